// sharesOf: the parts of a run for processes side by side, runs of consecutive parts of at least 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharesOf } from './partRunner.js';

const keys = (n: number) => Array.from({ length: n }, (_, i) => ({ method: `m${i % 3}`, seed: Math.floor(i / 3) }));

test('sharesOf splits the parts into runs of consecutive parts, sizes within one, at least 2 each', () => {
  const todo = keys(7);
  const s = sharesOf(todo, 3)!;
  assert.deepEqual(s.map((x) => x.length), [3, 2, 2]);
  assert.deepEqual(s.flat(), todo, 'every part once, in order');
  assert.deepEqual(sharesOf(keys(24), 2)!.map((x) => x.length), [12, 12]);
  assert.deepEqual(sharesOf(keys(5), 8)!.map((x) => x.length), [3, 2], 'no more shares than parts / 2');
  assert.equal(sharesOf(keys(3), 2), null, 'fewer than 2 shares of 2');
  assert.equal(sharesOf(keys(24), 1), null);
});
