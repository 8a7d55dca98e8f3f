// Minibatch SGD in the batched trainer: every part draws its own minibatches (its batches generator,
// its epoch order and cursor) and ends bit-identical to training it alone (whole trainer state: weights,
// the optimizer's step count and learning rate, generators, batch cursor and order, schedule events).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepMerge } from '../experiments/configTools.js';
import { BatchedSyntheticTrainer } from './batchedSyntheticTrainer.js';
import { aloneByAutograd, assertSameAsAlone, batchedFor, disposeAll, outcome, resumedInNewBatch, small, trainers } from './batchedParts.testutil.js';

/** The small config with minibatch SGD: batch 6 of N = 40 (6 minibatches an epoch, 4 examples left over), a loss check every 7 steps. */
function sgd(patch: unknown = {}) {
  return small(deepMerge({ train: { update: 'sgd', batchSize: 6, eta1: 1, eta2: 0.3, lambda: 1e-3 } }, patch));
}

test('SGD: batched parts (3 methods x 3 seeds: lr anneal, pre-activation noise, weight decay) end bit-identical to each part alone', () => {
  const alone = assertSameAsAlone(sgd(), [0, 1, 2]);
  assert.ok(alone.some((t) => t.annealedAtStep !== null) && alone.some((t) => t.noiseOffAtStep === 60), 'the schedules fired');
  const s = alone[0]!.state();
  assert.equal(s.sgd!.steps, 120);
  assert.ok(s.batchCursor > 0 && s.batchCursor < 40 && s.batchOrder.length === 40, 'the run ended mid-epoch');
});

test('SGD in float32, and with a batch that divides N, end bit-identical to each part alone', () => {
  assertSameAsAlone(sgd({ data: { dtype: 'float32' } }), [3, 4]);
  assertSameAsAlone(sgd({ train: { batchSize: 8 } }), [5]);
});

test('SGD on the reduced Q block with its own block widths (float64 and float32) ends bit-identical to each part alone', () => {
  for (const dtype of ['float64', 'float32']) {
    assertSameAsAlone(sgd({ data: { dtype }, model: { m: 24, mW: 8, mV: 16, secondLayerScale: 'block', reduceQBlock: true } }), [0, 1]);
  }
});

test('SGD with a batch of the whole training set (full-batch SGD) ends bit-identical to each part alone', () => {
  assertSameAsAlone(sgd({ train: { batchSize: 40, lossCheckEvery: 3 } }), [0]);
});

test('SGD: parts that stop at different steps leave the batch; the others go on, still bit-identical', () => {
  const alone = assertSameAsAlone(sgd({ train: { stopAtLoss: true, eps2: 0.4, eps2S: 0.3, maxSteps: 400, annealAtStep: 20, noiseAnnealAtStep: 30, lossCheckEvery: 3 } }), [2, 3]);
  const steps = new Set(alone.map((t) => t.step));
  assert.ok(steps.size > 1, `parts stopped at different steps (${[...steps].join(', ')})`);
  assert.ok(alone.some((t) => t.status === 'converged'));
});

test('SGD: a part that diverges stops as it does alone (weights of its last finite step); the others are unaffected', () => {
  const alone = assertSameAsAlone(sgd({ train: { eta1: 1e308, eps1: 0, annealAtStep: 100 } }), [0], ['L-S', 'S']);
  assert.equal(alone[0]!.status, 'diverged');
  assert.notEqual(alone[1]!.status, 'diverged');
});

test('SGD: parts of configs with one batchKey (weight decay 0 or not, different loss-check cadences and rates) each end bit-identical to it alone', () => {
  const cfgs = [sgd(), sgd({ train: { lambda: 0, eta1: 0.5, lossCheckEvery: 4 } }), sgd({ train: { lambda: 5e-3, noiseStd: 0.8, lossCheckEvery: 1 } })];
  assertSameAsAlone(cfgs, [1]);
});

test('SGD: a part restored mid-epoch (batch cursor inside its order) rejoins a batch whose other parts are at other steps, bit-identical', () => {
  const cfg = sgd();
  const ref = aloneByAutograd(cfg, [4]);
  // part 0 (L-S) trained alone for 23 steps, then saved mid-epoch
  const early = trainers(cfg, [4], ['L-S'], { autograd: true });
  for (let i = 0; i < 23; i++) early[0]!.advance();
  const saved = early[0]!.state();
  assert.ok(saved.batchCursor > 0 && saved.batchCursor + 6 <= saved.batchOrder.length, `mid-epoch (cursor ${saved.batchCursor})`);
  // a batch that has trained 37 steps of the other two parts takes the restored part in
  const together = trainers(cfg, [4]);
  const batch = new BatchedSyntheticTrainer(together);
  for (let i = 0; i < 37; i++) batch.advance();
  batch.sync(0);
  together[0]!.restore(saved);
  batch.invalidate(0);
  while (!batch.done) batch.advance();
  together.forEach((_, k) => batch.sync(k));
  ref.forEach((r, k) => assert.deepEqual(outcome(together[k]!), outcome(r), r.method));
  assert.ok(ref.every((r) => r.step === 120));
  batch.dispose();
  disposeAll([...ref, ...early, ...together]);
});

test('SGD: a batched run saved mid-epoch and restored into a new batch ends as the uninterrupted one', () => {
  const cfg = sgd();
  const ref = aloneByAutograd(cfg, [5]);
  const { parts: first, batch: b1, saved } = batchedFor(cfg, [5], 37);
  assert.equal(saved[0]!.batchCursor, 6, 'mid-epoch');
  const { parts: second, batch: b2 } = resumedInNewBatch(cfg, [5], saved);
  ref.forEach((r, k) => assert.deepEqual(outcome(second[k]!), outcome(r)));
  b1.dispose(); b2.dispose();
  disposeAll([...ref, ...first, ...second]);
});
