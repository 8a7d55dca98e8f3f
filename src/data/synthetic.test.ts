// Tests of the synthetic P/Q distribution: component and label statistics, the half-Gaussian
// margin, the Q construction, exact zeros, hidden-direction geometry, determinism and validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, dispose } from '../engine/index.js';
import { ConfigError } from '../util/schema.js';
import {
  COMPONENT, defaultSyntheticDataConfig, makeSplits, makeSyntheticProblem, validateSyntheticDataConfig,
  type SyntheticDataConfig,
} from './synthetic.js';

const cfgOf = (over: Partial<SyntheticDataConfig> = {}): SyntheticDataConfig => ({ ...defaultSyntheticDataConfig(16), ...over });

/** Rows of a [n, d] tensor as arrays. */
function rows(a: Float64Array, d: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let i = 0; i < a.length / d; i++) out.push(a.subarray(i * d, (i + 1) * d));
  return out;
}
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!; return s; };
const norm = (a: ArrayLike<number>) => Math.sqrt(dot(a, a));
/** |count - n p| within `k` binomial standard deviations. */
function assertBinomial(count: number, n: number, p: number, what: string, k = 4.5) {
  const sd = Math.sqrt(n * p * (1 - p));
  assert.ok(Math.abs(count - n * p) <= k * sd + 1e-9, `${what}: ${count} of ${n}, expected ${n * p} +- ${k * sd}`);
}

test('defaults follow the paper scalings and validate', () => {
  const c = defaultSyntheticDataConfig(64, 0.5);
  assert.equal(c.gamma, 1 / 8);
  assert.ok(Math.abs(c.r - 64 ** -0.75) < 1e-15);
  assert.equal(c.n, 256);
  assert.equal(c.p0 * c.n, 32); // p0 N = d / 2
  assert.equal(c.aMin, 0);
  assert.equal(c.qScale, 1);
  assert.equal(c.qSupport, 64);
  validateSyntheticDataConfig(c);
});

test('hidden directions: unit w* and zv, zeta orthogonal to zv with norm r, support respected', () => {
  for (const qSupport of [16, 4]) {
    const p = makeSyntheticProblem(cfgOf({ r: 0.07, qSupport }), new Generator(3));
    const w = p.wStar.toFloat64Array(), zv = p.zv.toFloat64Array(), zeta = p.zeta.toFloat64Array();
    assert.ok(Math.abs(norm(w) - 1) < 1e-12);
    assert.ok(Math.abs(norm(zv) - 1) < 1e-12);
    assert.ok(Math.abs(norm(zeta) - 0.07) < 1e-12);
    assert.ok(Math.abs(dot(zeta, zv)) < 1e-12, `<zeta, zv> = ${dot(zeta, zv)}`);
    for (let i = 0; i < 16 - qSupport; i++) assert.ok(zv[i] === 0 && zeta[i] === 0, `coordinate ${i} outside the support`);
    assert.ok(zv.slice(16 - qSupport).every((v) => v !== 0));
    const q = p.qDirections({ scaled: false }).toFloat64Array();
    assert.deepEqual(Array.from(q.subarray(0, 16)), Array.from(zv));
    assert.ok(Math.abs(q[16 + 3]! - (zv[3]! + zeta[3]!)) < 1e-15 && Math.abs(q[32 + 3]! - (zv[3]! - zeta[3]!)) < 1e-15);
    p.dispose();
  }
});

test('component fractions and iid labels match p0, q0 and 1/2 (binomial tolerance)', () => {
  const cfg = cfgOf({ p0: 0.2, q0: 0.3 });
  const p = makeSyntheticProblem(cfg, new Generator(1));
  const n = 20000;
  const ds = p.sample(n, new Generator(2));
  assert.equal(ds.component.dtype, 'int64');
  const comp = ds.component.toFloat64Array();
  const count = (c: number) => comp.filter((v) => v === c).length;
  assertBinomial(count(COMPONENT.pOnly), n, 0.2, 'P-only');
  assertBinomial(count(COMPONENT.qOnly), n, 0.3, 'Q-only');
  assertBinomial(count(COMPONENT.both), n, 0.5, 'both');
  assert.equal(count(0) + count(1) + count(2), n);
  const y = ds.y.toFloat64Array();
  assert.ok(y.every((v) => v === 1 || v === -1));
  assertBinomial(y.filter((v) => v === 1).length, n, 0.5, 'labels +1');
  dispose(ds); p.dispose();
});

test('balancedLabels gives exactly floor/ceil(n/2) of each label', () => {
  const p = makeSyntheticProblem(cfgOf({ balancedLabels: true }), new Generator(1));
  for (const n of [10, 11, 501]) {
    const y = p.sample(n, new Generator(n)).y.toFloat64Array();
    const pos = y.filter((v) => v === 1).length;
    assert.ok(pos === Math.floor(n / 2) || pos === Math.ceil(n / 2), `n=${n}: ${pos} positives`);
    assert.equal(y.filter((v) => v === -1).length, n - pos);
  }
  p.dispose();
});

test('P part: margin y<w*,x1> >= gamma, half-Gaussian excess, E||z||^2 = 1, exact zeros for Q-only', () => {
  const d = 16, gamma = 0.25;
  const p = makeSyntheticProblem(cfgOf({ d, gamma, p0: 0.3, q0: 0.3 }), new Generator(5));
  const n = 6000;
  const ds = p.sample(n, new Generator(6));
  const x1 = rows(ds.x1.toFloat64Array(), d), y = ds.y.toFloat64Array(), comp = ds.component.toFloat64Array();
  const w = p.wStar.toFloat64Array();
  let nP = 0, excess = 0, zsq = 0, minMargin = Infinity;
  const orthMean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    if (comp[i] === COMPONENT.qOnly) { assert.ok(x1[i]!.every((v) => v === 0), `x1 of Q-only row ${i} not 0`); continue; }
    nP++;
    const m = y[i]! * dot(w, x1[i]!);
    minMargin = Math.min(minMargin, m);
    excess += m - gamma;
    const z = x1[i]!.map((v, j) => v - y[i]! * gamma * w[j]!);
    zsq += dot(z, z);
    const zPar = dot(z, w);
    for (let j = 0; j < d; j++) orthMean[j] = orthMean[j]! + y[i]! * (z[j]! - zPar * w[j]!);
  }
  assert.ok(minMargin >= gamma - 1e-12, `min margin ${minMargin}`);
  // y<w*, z> = |N(0, 1/d)|: mean sqrt(2/(pi d)), sd of the mean < sqrt(1/(d nP)).
  const meanExcess = excess / nP, expected = Math.sqrt(2 / (Math.PI * d));
  assert.ok(Math.abs(meanExcess - expected) < 4.5 * Math.sqrt(1 / (d * nP)), `mean excess ${meanExcess} vs ${expected}`);
  // ||z||^2 has mean 1 and variance 2/d.
  assert.ok(Math.abs(zsq / nP - 1) < 4.5 * Math.sqrt(2 / (d * nP)), `E||z||^2 = ${zsq / nP}`);
  // The part of z orthogonal to w* is symmetric and independent of y.
  for (let j = 0; j < d; j++) assert.ok(Math.abs(orthMean[j]! / nP) < 4.5 / Math.sqrt(d * nP), `orthogonal mean ${orthMean[j]! / nP}`);
  dispose(ds); p.dispose();
});

test('Q part: x2 = s a (zv + [y=-1] b zeta) with a in [aMin, 1], b = +-1 fair; exact zeros for P-only', () => {
  const d = 16, r = 0.1, s = 3, aMin = 0.5;
  const p = makeSyntheticProblem(cfgOf({ d, r, qScale: s, aMin, p0: 0.3, q0: 0.3 }), new Generator(8));
  const n = 4000;
  const ds = p.sample(n, new Generator(9));
  const x2 = rows(ds.x2.toFloat64Array(), d), y = ds.y.toFloat64Array(), comp = ds.component.toFloat64Array();
  const zv = p.zv.toFloat64Array(), zeta = p.zeta.toFloat64Array();
  let nQ = 0, sumA = 0, nNeg = 0, nPlusB = 0, minA = Infinity, maxA = -Infinity;
  for (let i = 0; i < n; i++) {
    if (comp[i] === COMPONENT.pOnly) { assert.ok(x2[i]!.every((v) => v === 0), `x2 of P-only row ${i} not 0`); continue; }
    nQ++;
    const a = dot(x2[i]!, zv) / s;
    sumA += a; minA = Math.min(minA, a); maxA = Math.max(maxA, a);
    const c = dot(x2[i]!, zeta) / (r * r * s * a); // the zeta coefficient b (0 for y = +1)
    const resid = x2[i]!.map((v, j) => v - s * a * (zv[j]! + c * zeta[j]!));
    assert.ok(norm(resid) < 1e-12, `row ${i}: x2 is not in span(zv, zeta)`);
    if (y[i] === 1) assert.ok(Math.abs(c) < 1e-9, `label +1 row ${i} has zeta coefficient ${c}`);
    else {
      assert.ok(Math.abs(Math.abs(c) - 1) < 1e-9, `label -1 row ${i} has zeta coefficient ${c}`);
      nNeg++; if (c > 0) nPlusB++;
    }
  }
  assert.ok(minA >= aMin - 1e-12 && maxA <= 1 + 1e-12, `a in [${minA}, ${maxA}]`);
  assert.ok(Math.abs(sumA / nQ - (aMin + 1) / 2) < 4.5 * (1 - aMin) / Math.sqrt(12 * nQ), `mean a ${sumA / nQ}`);
  assertBinomial(nPlusB, nNeg, 0.5, 'b = +1 among label -1');
  dispose(ds); p.dispose();
});

test('determinism: the same seeds give identical data, another seed differs', () => {
  const draw = (s1: number, s2: number) => {
    const p = makeSyntheticProblem(cfgOf(), new Generator(s1));
    const sp = makeSplits(p, new Generator(s2));
    const out = [sp.train.x1, sp.train.x2, sp.train.y, sp.train.component, sp.test.both.x1, sp.test.qOnly.x2].map((t) => Array.from(t.toFloat64Array()));
    dispose(sp); p.dispose();
    return out;
  };
  const a = draw(11, 12), b = draw(11, 12), c = draw(11, 13), e = draw(14, 12);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a[0], c[0]);
  assert.notDeepEqual(a[1], e[1]);
});

test('makeSplits: sizes, forced components, dtype float32', () => {
  const cfg = cfgOf({ n: 50, testSizes: { pOnly: 7, qOnly: 0, both: 9 }, dtype: 'float32' });
  const p = makeSyntheticProblem(cfg, new Generator(1));
  const sp = makeSplits(p, new Generator(2));
  assert.deepEqual(sp.train.x1.shape, [50, 16]);
  assert.deepEqual(sp.train.x2.shape, [50, 16]);
  assert.deepEqual(sp.train.y.shape, [50]);
  assert.equal(sp.train.x1.dtype, 'float32');
  assert.equal(sp.train.y.dtype, 'float32');
  assert.equal(sp.train.component.dtype, 'int64');
  assert.deepEqual(sp.test.pOnly.x1.shape, [7, 16]);
  assert.deepEqual(sp.test.qOnly.x1.shape, [0, 16]);
  assert.ok(sp.test.pOnly.component.toFloat64Array().every((v) => v === COMPONENT.pOnly));
  assert.ok(sp.test.both.component.toFloat64Array().every((v) => v === COMPONENT.both));
  assert.ok(sp.test.pOnly.x2.toFloat64Array().every((v) => v === 0));
  assert.ok(sp.test.both.x1.abs().sum([1]).toFloat64Array().every((v) => v > 0));
  assert.ok(sp.test.both.x2.abs().sum([1]).toFloat64Array().every((v) => v > 0));
  assert.equal(p.qDirections({ scaled: true }).dtype, 'float32');
  dispose(sp); p.dispose();
});

test('validation: one-line errors naming the key', () => {
  const bad: [Partial<SyntheticDataConfig>, string][] = [
    [{ p0: 0.7, q0: 0.5 }, "config key 'data.q0' must satisfy p0 + q0 <= 1 (p0 is 0.7), got 0.5"],
    [{ r: -0.1 }, "config key 'data.r' must be a finite number >= 0, got -0.1"],
    [{ n: 10.5 }, "config key 'data.n' must be a positive integer, got 10.5"],
    [{ d: 1 }, "config key 'data.d' must be an integer >= 2, got 1"],
    [{ p0: -0.1 }, "config key 'data.p0' must be a probability in [0, 1], got -0.1"],
    [{ aMin: 1.5 }, "config key 'data.aMin' must be in [0, 1], got 1.5"],
    [{ qScale: 0 }, "config key 'data.qScale' must be a finite number > 0, got 0"],
    [{ qSupport: 17 }, "config key 'data.qSupport' must be an integer in [2, d=16], got 17"],
    [{ qSupport: 1 }, "config key 'data.qSupport' must be an integer in [2, d], got 1"],
    [{ gamma: Number.NaN }, "config key 'data.gamma' must be a finite number >= 0, got null"],
    [{ testSizes: { pOnly: 1, qOnly: -1, both: 1 } }, "config key 'data.testSizes.qOnly' must be an integer >= 0, got -1"],
    [{ dtype: 'int64' as 'float32' }, `config key 'data.dtype' must be one of "float32", "float64", got "int64"`],
    [{ balancedLabels: 1 as unknown as boolean }, "config key 'data.balancedLabels' must be a boolean, got 1"],
    [{ extra: 1 } as Partial<SyntheticDataConfig>, "unknown config key 'data.extra' (known keys of 'data': d, n, p0, q0, r, gamma, aMin, qScale, qSupport, balancedLabels, testSizes, dtype)"],
  ];
  // p0 + q0 = 1 (no example has both parts) is allowed
  assert.doesNotThrow(() => validateSyntheticDataConfig(cfgOf({ p0: 0.3, q0: 0.7 })));
  for (const [over, message] of bad) {
    assert.throws(() => validateSyntheticDataConfig(cfgOf(over)), (e: Error) => e instanceof ConfigError && e.message === message, JSON.stringify(over));
    assert.throws(() => makeSyntheticProblem(cfgOf(over), new Generator(0)), { message });
  }
  assert.throws(() => validateSyntheticDataConfig(cfgOf({ n: 0 }), 'base.data'), { message: "config key 'base.data.n' must be a positive integer, got 0" });
  const p = makeSyntheticProblem(cfgOf(), new Generator(0));
  assert.throws(() => p.sample(3.5, new Generator(0)), /sample: n must be a non-negative integer/);
  assert.throws(() => p.sample(3, new Generator(0), { component: 'neither' as 'pOnly' }), /sample: component must be one of pOnly, qOnly, both/);
  p.dispose();
});
