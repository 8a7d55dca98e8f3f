import { test } from 'node:test';
import assert from 'node:assert/strict';
import { averageRanks, quantile, quartiles, spearman, wilson } from './stats.js';

const close = (a: number | null, b: number, tol = 5e-5) => assert.ok(a !== null && Math.abs(a - b) < tol, `${a} vs ${b}`);

test('wilson: the 95% score interval matches published values (statsmodels proportion_confint, method wilson)', () => {
  const cases: [number, number, number, number][] = [[5, 10, 0.23659, 0.76341], [0, 10, 0, 0.27753], [8, 10, 0.49016, 0.94332], [10, 10, 0.72247, 1]];
  for (const [k, n, lo, hi] of cases) {
    const w = wilson(k, n);
    close(w.lo, lo); close(w.hi, hi);
    assert.equal(w.p, k / n);
  }
  assert.deepEqual(wilson(0, 0), { k: 0, n: 0, p: null, lo: null, hi: null });
  assert.throws(() => wilson(3, 2), /0 <= k <= n/);
});

test('spearman: tie-corrected rank correlation (scipy.stats.spearmanr example) and edge cases', () => {
  close(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]), 0.8207826816681233, 1e-12);
  close(spearman([1, 2, 3], [3, 2, 1]), -1, 1e-12);
  // Infinity (never learned) ranks last, tied with other Infinities
  close(spearman([1, Infinity, Infinity, 2], [1, 9, 8, 2]), spearman([1, 3.5, 3.5, 2], [1, 4, 3, 2])!, 1e-12);
  assert.equal(spearman([1, 1, 1], [1, 2, 3]), null);
  assert.deepEqual(Array.from(averageRanks([10, 20, 10, 30])), [1.5, 3, 1.5, 4]);
});

test('quantile: linear interpolation between order statistics (numpy default)', () => {
  assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantile([4, 1, 3, 2, null, NaN], 0.25), 1.75);
  assert.equal(quantile([], 0.5), null);
  assert.deepEqual(quartiles([7]), { median: 7, q1: 7, q3: 7, n: 1 });
});
