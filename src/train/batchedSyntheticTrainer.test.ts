import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepMerge } from '../experiments/configTools.js';
import { setupSynthetic, disposeSetup } from './syntheticTrainer.js';
import { BatchedSyntheticTrainer, batchKey, batchable } from './batchedSyntheticTrainer.js';
import { aloneByAutograd, assertSameAsAlone, batchedFor, disposeAll, outcome, resumedInNewBatch, small, trainers } from './batchedParts.testutil.js';

test('batched parts (3 methods x 2 seeds, lr anneal, pre-activation noise, gradient noise) end bit-identical to each part alone', () => {
  const alone = assertSameAsAlone(small(), [0, 1]);
  assert.ok(alone.some((t) => t.annealedAtStep !== null) && alone.some((t) => t.noiseOffAtStep === 60), 'the schedules fired');
});

test('parts that stop at different steps leave the batch; the others go on, still bit-identical', () => {
  const alone = assertSameAsAlone(small({ train: { stopAtLoss: true, eps2: 0.4, eps2S: 0.3, maxSteps: 400, annealAtStep: 20, noiseAnnealAtStep: 30 } }), [2, 3]);
  const steps = new Set(alone.map((t) => t.step));
  assert.ok(steps.size > 1, `parts stopped at different steps (${[...steps].join(', ')})`);
  assert.ok(alone.some((t) => t.status === 'converged'));
});

test('a part that diverges stops as it does alone (weights of its last finite step); the others are unaffected', () => {
  // L-S's absurd rate overflows the weights at its first step (loss NaN), S's does not
  const alone = assertSameAsAlone(small({ train: { eta1: 1e308, eps1: 0, tauXi: 1, annealAtStep: 100 } }), [0], ['L-S', 'S']);
  assert.equal(alone[0]!.status, 'diverged');
  assert.notEqual(alone[1]!.status, 'diverged');
});

test('the reduced Q block with its own block widths trains batched bit-identical to each part alone (Vspan, ||Vperp||^2 and all generators)', () => {
  const cfg = small({ model: { m: 24, mW: 8, mV: 16, secondLayerScale: 'block', reduceQBlock: true } });
  const setup = setupSynthetic(cfg, 0);
  assert.deepEqual(setup.model.params.named().map(([k, t]) => [k, t.shape]), [['W', [8, 16]], ['Vspan', [16, 2]]]);
  disposeSetup(setup);
  assertSameAsAlone(cfg, [0, 1]);
});

test('a restored part rejoins the batch from its checkpoint: the same end as training without the pause', () => {
  const cfg = small();
  const ref = aloneByAutograd(cfg, [4]);
  const { saved } = batchedFor(cfg, [4], 37);
  const { parts: second } = resumedInNewBatch(cfg, [4], saved);
  ref.forEach((r, k) => assert.deepEqual(outcome(second[k]!), outcome(r)));
});

test('a part restored in place (without invalidate) after the batch moved on: its stale slice is dropped, the same end as without the detour', () => {
  const cfg = small();
  const ref = aloneByAutograd(cfg, [4]);
  const { parts: ts, batch: b, saved } = batchedFor(cfg, [4], 37);
  for (let i = 0; i < 11; i++) b.advance();
  ts[1]!.restore(saved[1]!); // one part back to step 37 (the others at 48), straight into its trainer
  ts.forEach((t, k) => { if (k !== 1) t.restore(saved[k]!); });
  while (!b.done) b.advance();
  ts.forEach((_, k) => b.sync(k));
  ref.forEach((r, k) => assert.deepEqual(outcome(ts[k]!), outcome(r), `part ${k}`));
});

test('parts of different configs with one batchKey (a sweep over eta1, lambda, tauXi, noise) train batched, each bit-identical to it alone', () => {
  const cfgs = [small(), small({ train: { eta1: 1, lambda: 0, tauXi: 0.1 } }), small({ train: { tauXi: 0, noiseStd: 0.8, lambda: 5e-3 } })];
  assert.equal(new Set(cfgs.map(batchKey)).size, 1);
  assertSameAsAlone(cfgs, [0], undefined, (alone) => assert.equal(new Set(alone.map((t) => t.model.params.fingerprint())).size, alone.length, 'every part trained differently'));
});

test('batchKey: equal for configs that share the stacked shapes, different (or null) otherwise; the trainer refuses parts of different shapes', () => {
  assert.equal(batchKey(small()), batchKey(small({ train: { eta1: 3 }, data: { r: 0.3 } })));
  for (const patch of [{ data: { n: 41 } }, { data: { d: 15, qSupport: 15 } }, { model: { m: 18 } }, { data: { dtype: 'float32' } }, { model: { m: 16, mW: 4, mV: 12 } }]) {
    assert.notEqual(batchKey(small(patch)), batchKey(small()), JSON.stringify(patch));
  }
  const sgd = (b: number, patch: object = {}) => small(deepMerge({ train: { update: 'sgd', batchSize: b } }, patch));
  assert.notEqual(batchKey(sgd(8)), null);
  assert.notEqual(batchKey(sgd(8)), batchKey(small()), 'the update');
  assert.notEqual(batchKey(sgd(8)), batchKey(sgd(10)), 'the batch size');
  assert.equal(batchKey(sgd(8)), batchKey(sgd(8, { train: { eta1: 3, lossCheckEvery: 3 } })));
  assert.equal(batchKey(small()), batchKey(small({ train: { batchSize: 3 } })), 'noisy GD ignores the batch size');
  const mixed = [...trainers(small(), [0], ['S']), ...trainers(small({ model: { m: 18 } }), [0], ['S'])];
  assert.throws(() => new BatchedSyntheticTrainer(mixed), /part 1 does not share the first part's update, batch size, shapes and dtype/);
  const updates = [...trainers(small(), [0], ['S']), ...trainers(sgd(8), [0], ['S']), ...trainers(sgd(10), [0], ['S'])];
  assert.throws(() => new BatchedSyntheticTrainer(updates.slice(0, 2)), /part 1 does not share/);
  assert.throws(() => new BatchedSyntheticTrainer(updates.slice(1)), /part 1 does not share/);
  disposeAll([...mixed, ...updates]);
});

test('batchable: noisy GD and minibatch SGD on the block net', () => {
  assert.equal(batchable(small()), true);
  assert.equal(batchable(small({ train: { update: 'sgd' } })), true);
  assert.equal(batchable(small({ model: { arch: 'full', m: 16 } })), false);
  assert.equal(batchable(small({ model: { arch: 'full', m: 16 }, train: { update: 'sgd' } })), false);
  assert.throws(() => new BatchedSyntheticTrainer([]), /no parts/);
  const full = trainers(small({ model: { arch: 'full', m: 16 } }), [0], ['S']);
  assert.throws(() => new BatchedSyntheticTrainer(full), /only noisy GD or minibatch SGD on the block net/);
  disposeAll(full);
});
