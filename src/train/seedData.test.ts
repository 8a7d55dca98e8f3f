// A seed's data is drawn once per process and shared by its holders: the same tensors for the same
// data section and seed, the same values as a draw of its own, freed at the last release only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, deriveSeed } from '../engine/index.js';
import { makeSplits, makeSyntheticProblem, splitsTensors } from '../data/synthetic.js';
import { acquireSeedData, releaseSeedData, seedDataHeld } from './seedData.js';
import { disposeSetup, setupSynthetic } from './syntheticTrainer.js';
import { small } from './batchedParts.testutil.js';


test('the setups of one seed share its data; other seeds and other data sections draw their own', () => {
  const held = seedDataHeld();
  const cfg = small();
  const a = setupSynthetic(cfg, 4), b = setupSynthetic(cfg, 4), c = setupSynthetic(cfg, 5);
  const other = small({ data: { n: 30 } });
  const d = setupSynthetic(other, 4);
  assert.equal(a.splits, b.splits);
  assert.equal(a.problem, b.problem);
  assert.notEqual(a.model, b.model, 'each setup has a model of its own');
  assert.notEqual(c.splits, a.splits);
  assert.notEqual(d.splits, a.splits);
  assert.equal(d.splits.train.y.shape[0], 30);
  assert.equal(seedDataHeld(), held + 3);
  // the last holder of a seed frees it, not the first
  disposeSetup(a);
  assert.ok(splitsTensors(b.splits).every((t) => !t.isDisposed));
  assert.ok(!b.problem.zv.isDisposed);
  const bTensors = splitsTensors(b.splits);
  disposeSetup(b);
  assert.ok(bTensors.every((t) => t.isDisposed), 'freed at the last release');
  assert.ok(b.problem.zv.isDisposed);
  assert.throws(() => releaseSeedData(b), /released more often than acquired/);
  disposeSetup(c); disposeSetup(d);
  assert.equal(seedDataHeld(), held);
});

test('shared data is the data the seed draws on its own, and a new acquire after the last release draws it again', () => {
  const cfg = small();
  const gen = new Generator(deriveSeed(7, 'data'));
  const problem = makeSyntheticProblem(cfg.data, gen);
  const own = makeSplits(problem, gen);
  const first = acquireSeedData(cfg.data, 7);
  const second = acquireSeedData(cfg.data, 7);
  assert.equal(second, first);
  const values = (s: typeof own) => splitsTensors(s).map((t) => Array.from(t.to({ dtype: 'float64' }).toFloat64Array()));
  assert.deepEqual(values(first.splits), values(own));
  assert.deepEqual(first.problem.zv.toFloat64Array(), problem.zv.toFloat64Array());
  releaseSeedData(first); releaseSeedData(second);
  const again = acquireSeedData(cfg.data, 7);
  assert.notEqual(again, first, 'drawn afresh');
  assert.deepEqual(values(again.splits), values(own));
  releaseSeedData(again);
  problem.dispose();
  for (const t of splitsTensors(own)) t.dispose();
});
