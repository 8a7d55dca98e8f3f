// What the batched trainer's tests share: a small block-net config, its parts (seeds x methods), a
// part's whole outcome, and the check that parts trained as one batch end as each trained alone.
import assert from 'node:assert/strict';
import { deepMerge } from '../experiments/configTools.js';
import { baseSyntheticConfig, validateSyntheticConfig, type SyntheticExperimentConfig } from '../experiments/synthetic/config.js';
import { SyntheticTrainer, setupSynthetic, disposeSetup, type SyntheticTrainerOptions } from './syntheticTrainer.js';
import { BatchedSyntheticTrainer } from './batchedSyntheticTrainer.js';
import { SYNTHETIC_METHODS, type SyntheticMethod } from './syntheticAlgorithms.js';

/** A small config: d = 16, N = 40, m = 16, noisy GD with gradient noise; `patch` on top. */
export function small(patch: unknown = {}): SyntheticExperimentConfig {
  return validateSyntheticConfig(deepMerge(deepMerge(baseSyntheticConfig(), {
    data: { d: 16, n: 40, qSupport: 16, gamma: 1, qScale: 10, aMin: 0.5, testSizes: { pOnly: 10, qOnly: 10, both: 10 } },
    model: { m: 16 },
    train: {
      lambda: 1e-3, tauXi: 0.05, tau0: 0.3, eta1: 2, eta2: 0.5, eps1: 0.1, eps2: 0.01, eps2S: 0.01, stopAtLoss: false, maxSteps: 120,
      annealAtStep: 60, noiseStd: 0.4, noiseAnnealAtStep: 60, noiseAnnealAtLoss: null, lossCheckEvery: 7, evalEvery: 50, checkpointEvery: 0,
    },
  }), patch));
}

/** The parts seeds x methods; `opts.autograd`: parts that train alone by autograd (the reference a batch is checked against). */
export function trainers(cfg: SyntheticExperimentConfig, seeds: number[], methods: readonly SyntheticMethod[] = SYNTHETIC_METHODS, opts: SyntheticTrainerOptions = {}): SyntheticTrainer[] {
  return seeds.flatMap((seed) => methods.map((m) => new SyntheticTrainer(cfg, m, seed, setupSynthetic(cfg, seed), opts)));
}

/** The parts trained alone by autograd to the end. */
export function aloneByAutograd(cfg: SyntheticExperimentConfig, seeds: number[], methods: readonly SyntheticMethod[] = SYNTHETIC_METHODS): SyntheticTrainer[] {
  const ts = trainers(cfg, seeds, methods, { autograd: true });
  for (const t of ts) while (t.advance());
  return ts;
}

export function disposeAll(ts: SyntheticTrainer[]): void {
  for (const t of ts) { t.dispose(); disposeSetup(t.seedSetup); }
}

/** Everything a part's result depends on: its whole state (weights, optimizer, generators, batch cursor and order, schedule events) and its status. */
export function outcome(t: SyntheticTrainer) {
  const { model, ...rest } = t.state();
  return { ...rest, fingerprint: t.model.params.fingerprint(), keys: Object.keys(model) };
}

/** The parts seeds x methods of `cfg` trained `steps` steps as one batch, and every part's state then (synced from the batch). */
export function batchedFor(cfg: SyntheticExperimentConfig, seeds: number[], steps: number): { parts: SyntheticTrainer[]; batch: BatchedSyntheticTrainer; saved: ReturnType<SyntheticTrainer['state']>[] } {
  const parts = trainers(cfg, seeds);
  const batch = new BatchedSyntheticTrainer(parts);
  for (let i = 0; i < steps; i++) batch.advance();
  parts.forEach((_, k) => batch.sync(k));
  return { parts, batch, saved: parts.map((t) => t.state()) };
}

/** New parts seeds x methods of `cfg`, restored from `saved` into a new batch and trained to their end (synced). */
export function resumedInNewBatch(cfg: SyntheticExperimentConfig, seeds: number[], saved: ReturnType<SyntheticTrainer['state']>[]): { parts: SyntheticTrainer[]; batch: BatchedSyntheticTrainer } {
  const parts = trainers(cfg, seeds);
  const batch = new BatchedSyntheticTrainer(parts);
  parts.forEach((t, k) => { t.restore(saved[k]!); batch.invalidate(k); });
  while (!batch.done) batch.advance();
  parts.forEach((_, k) => batch.sync(k));
  return { parts, batch };
}

/** Train the parts of `cfgs` (each config's seeds x methods) one by one by autograd and as one batch; assert each part ends bit-identical. */
export function assertSameAsAlone(cfgs: SyntheticExperimentConfig | SyntheticExperimentConfig[], seeds: number[], methods?: readonly SyntheticMethod[], inspect?: (alone: SyntheticTrainer[]) => void): SyntheticTrainer[] {
  const all = Array.isArray(cfgs) ? cfgs : [cfgs];
  const alone = all.flatMap((cfg) => aloneByAutograd(cfg, seeds, methods));
  const together = all.flatMap((cfg) => trainers(cfg, seeds, methods));
  const batch = new BatchedSyntheticTrainer(together);
  let steps = 0;
  while (!batch.done) { batch.advance(); steps++; }
  together.forEach((_, k) => batch.sync(k));
  assert.equal(steps, Math.max(...alone.map((t) => t.step)), 'the batch runs until its longest part ends');
  alone.forEach((a, k) => assert.deepEqual(outcome(together[k]!), outcome(a), `part ${k} (${a.method} seed ${a.state().seed})`));
  inspect?.(alone);
  batch.dispose();
  disposeAll([...alone, ...together]);
  return alone;
}
