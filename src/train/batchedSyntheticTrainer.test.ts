import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepMerge } from '../experiments/configTools.js';
import { baseSyntheticConfig, validateSyntheticConfig, type SyntheticExperimentConfig } from '../experiments/synthetic/config.js';
import { SyntheticTrainer, setupSynthetic, disposeSetup } from './syntheticTrainer.js';
import { BatchedSyntheticTrainer, batchKey, batchable } from './batchedSyntheticTrainer.js';
import { SYNTHETIC_METHODS, type SyntheticMethod } from './syntheticAlgorithms.js';

/** A small config: d = 16, N = 40, m = 16, noisy GD with gradient noise; `patch` on top. */
function small(patch: unknown = {}): SyntheticExperimentConfig {
  return validateSyntheticConfig(deepMerge(deepMerge(baseSyntheticConfig(), {
    data: { d: 16, n: 40, qSupport: 16, gamma: 1, qScale: 10, aMin: 0.5, testSizes: { pOnly: 10, qOnly: 10, both: 10 } },
    model: { m: 16 },
    train: {
      lambda: 1e-3, tauXi: 0.05, tau0: 0.3, eta1: 2, eta2: 0.5, eps1: 0.1, eps2: 0.01, eps2S: 0.01, stopAtLoss: false, maxSteps: 120,
      annealAtStep: 60, noiseStd: 0.4, noiseAnnealAtStep: 60, noiseAnnealAtLoss: null, lossCheckEvery: 7, evalEvery: 50, checkpointEvery: 0,
    },
  }), patch));
}

function trainers(cfg: SyntheticExperimentConfig, seeds: number[], methods: readonly SyntheticMethod[] = SYNTHETIC_METHODS): SyntheticTrainer[] {
  return seeds.flatMap((seed) => methods.map((m) => new SyntheticTrainer(cfg, m, seed, setupSynthetic(cfg, seed))));
}

/** Everything a part's result depends on: its whole state (weights, generators, schedule events) and its status. */
function outcome(t: SyntheticTrainer) {
  const { model, ...rest } = t.state();
  return { ...rest, fingerprint: t.model.params.fingerprint(), keys: Object.keys(model) };
}

/** Train the parts of `cfgs` (each config's seeds x methods) one by one and as one batch; assert each part ends bit-identical. */
function assertSameAsAlone(cfgs: SyntheticExperimentConfig | SyntheticExperimentConfig[], seeds: number[], methods?: readonly SyntheticMethod[], inspect?: (alone: SyntheticTrainer[]) => void): SyntheticTrainer[] {
  const all = Array.isArray(cfgs) ? cfgs : [cfgs];
  const make = () => all.flatMap((cfg) => trainers(cfg, seeds, methods));
  const alone = make();
  for (const t of alone) while (t.advance());
  const together = make();
  const batch = new BatchedSyntheticTrainer(together);
  let steps = 0;
  while (!batch.done) { batch.advance(); steps++; }
  together.forEach((_, k) => batch.sync(k));
  assert.equal(steps, Math.max(...alone.map((t) => t.step)), 'the batch runs until its longest part ends');
  alone.forEach((a, k) => assert.deepEqual(outcome(together[k]!), outcome(a), `part ${k} (${a.method} seed ${a.state().seed})`));
  inspect?.(alone);
  batch.dispose();
  for (const t of [...alone, ...together]) { t.dispose(); disposeSetup(t.seedSetup); }
  return alone;
}

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
  const ref = trainers(cfg, [4]);
  for (const t of ref) while (t.advance());
  const first = trainers(cfg, [4]);
  const b1 = new BatchedSyntheticTrainer(first);
  for (let i = 0; i < 37; i++) b1.advance();
  first.forEach((_, k) => b1.sync(k));
  const saved = first.map((t) => t.state());
  const second = trainers(cfg, [4]);
  const b2 = new BatchedSyntheticTrainer(second);
  second.forEach((t, k) => { t.restore(saved[k]!); b2.invalidate(k); });
  while (!b2.done) b2.advance();
  second.forEach((_, k) => b2.sync(k));
  ref.forEach((r, k) => assert.deepEqual(outcome(second[k]!), outcome(r)));
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
  assert.equal(batchKey(small({ train: { update: 'sgd' } })), null);
  const mixed = [...trainers(small(), [0], ['S']), ...trainers(small({ model: { m: 18 } }), [0], ['S'])];
  assert.throws(() => new BatchedSyntheticTrainer(mixed), /part 1 does not share the first part's update, shapes and dtype/);
  for (const t of mixed) { t.dispose(); disposeSetup(t.seedSetup); }
});

test('batchable: noisy GD on the block net only', () => {
  assert.equal(batchable(small()), true);
  assert.equal(batchable(small({ train: { update: 'sgd' } })), false);
  assert.equal(batchable(small({ model: { arch: 'full', m: 16 } })), false);
  assert.throws(() => new BatchedSyntheticTrainer([]), /no parts/);
});
