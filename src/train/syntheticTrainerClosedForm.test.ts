// SyntheticTrainer's closed-form step (the batched trainer of the part alone, its stacks views of the
// part's tensors) against its autograd step: every part ends with the same whole state bit for bit
// (weights, optimizer, generators, batch cursor and order, schedule events), also where its cached
// pre-activations would go stale: after restore() and after another program updated its weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepMerge } from '../experiments/configTools.js';
import type { SyntheticExperimentConfig } from '../experiments/synthetic/config.js';
import { BatchedSyntheticTrainer } from './batchedSyntheticTrainer.js';
import { aloneByAutograd, disposeAll, outcome, small, trainers } from './batchedParts.testutil.js';
import { SYNTHETIC_METHODS, type SyntheticMethod } from './syntheticAlgorithms.js';

const SGD = { train: { update: 'sgd', batchSize: 6, eta1: 1, eta2: 0.3 } };
const REDUCED = { model: { m: 24, mW: 8, mV: 16, secondLayerScale: 'block', reduceQBlock: true } };

/** Each part trained to the end by the closed form and by autograd: the same outcome. */
function assertSameAsAutograd(cfg: SyntheticExperimentConfig, seeds: number[], methods: readonly SyntheticMethod[] = SYNTHETIC_METHODS): void {
  const ref = aloneByAutograd(cfg, seeds, methods);
  const closed = trainers(cfg, seeds, methods);
  for (const t of closed) while (t.advance());
  ref.forEach((r, k) => assert.deepEqual(outcome(closed[k]!), outcome(r), `${r.method} seed ${r.state().seed}`));
  disposeAll([...ref, ...closed]);
}

test('the closed-form step equals autograd: noisy GD (float64, float32, the reduced Q block) and SGD (also reduced, float32)', () => {
  for (const patch of [{}, { data: { dtype: 'float32' } }, REDUCED, SGD, deepMerge(SGD, deepMerge(REDUCED, { data: { dtype: 'float32' } }))]) {
    assertSameAsAutograd(small(patch), [0, 1]);
  }
});

test('the closed-form step equals autograd where runs stop at the loss or diverge', () => {
  assertSameAsAutograd(small({ train: { stopAtLoss: true, eps2: 0.4, eps2S: 0.3, maxSteps: 400, annealAtStep: 20, noiseAnnealAtStep: 30 } }), [2]);
  assertSameAsAutograd(small({ train: { eta1: 1e308, eps1: 0, tauXi: 1, annealAtStep: 100 } }), [0], ['L-S', 'S']);
  assertSameAsAutograd(small(deepMerge(SGD, { train: { eta1: 1e308, eps1: 0, annealAtStep: 100 } })), [0], ['L-S', 'S']);
});

test('restore() drops the closed-form step\'s cached pre-activations: a trainer restored to another point continues exactly', () => {
  for (const patch of [{}, SGD]) {
    const cfg = small(patch);
    const ref = aloneByAutograd(cfg, [3], ['S']);
    const early = trainers(cfg, [3], ['S'], { autograd: true });
    for (let i = 0; i < 11; i++) early[0]!.advance();
    // S without noise measures (and caches) the clean loss at every step: the cache is live at step 30
    const t = trainers(cfg, [3], ['S']);
    for (let i = 0; i < 30; i++) t[0]!.advance();
    t[0]!.restore(early[0]!.state());
    while (t[0]!.advance());
    assert.deepEqual(outcome(t[0]!), outcome(ref[0]!));
    disposeAll([...ref, ...early, ...t]);
  }
});

test('a trainer whose weights another batched program updated drops its cached pre-activations', () => {
  const cfg = small();
  const ref = aloneByAutograd(cfg, [4], ['S', 'L-S']);
  const ts = trainers(cfg, [4], ['S', 'L-S']);
  for (let i = 0; i < 5; i++) ts[0]!.advance();
  for (let i = 0; i < 5; i++) ts[1]!.advance();
  const batch = new BatchedSyntheticTrainer(ts);
  for (let i = 0; i < 7; i++) batch.advance();
  ts.forEach((_, k) => batch.sync(k));
  batch.dispose();
  for (const t of ts) while (t.advance());
  ref.forEach((r, k) => assert.deepEqual(outcome(ts[k]!), outcome(r), r.method));
  disposeAll([...ref, ...ts]);
});
