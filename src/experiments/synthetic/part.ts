// One synthetic part (a method on a seed) behind the part runner's interface: the seed's problem,
// splits and initial model (setupSynthetic), the method's trainer, and its evaluation rows (test
// and training accuracy per component, losses, Q-contrast) every train.evalEvery steps and at the end.
import {
  SyntheticTrainer, disposeSetup, setupSynthetic, type SyntheticSetup, type SyntheticTrainerOptions, type SyntheticTrainerState,
} from '../../train/syntheticTrainer.js';
import { syntheticMetrics, type SyntheticMetrics } from '../../metrics/syntheticMetrics.js';
import type { MetricsRow } from '../../runs/format.js';
import type { BatchItem, PartBatch, PartWork } from '../experiment.js';
import { BatchedSyntheticTrainer, batchKey } from '../../train/batchedSyntheticTrainer.js';
import { firstLearnedStep, firstMarginStep } from './learned.js';
import type { SyntheticExperimentConfig, SyntheticMethod } from './config.js';

export class SyntheticPart implements PartWork {
  private readonly setup: SyntheticSetup;
  private readonly trainer: SyntheticTrainer;
  private final: SyntheticMetrics | null = null;
  /** The training loss at the start, and the largest seen since (to warn about a loss that explodes but stays finite). */
  private loss0: number;
  private maxLoss: number;
  private maxLossLr = 0;

  /** `opts`: the trainer's (autograd: the single-part step by autograd, e.g. for a benchmark's baseline). */
  constructor(private readonly cfg: SyntheticExperimentConfig, private readonly method: SyntheticMethod, private readonly seed: number, opts: SyntheticTrainerOptions = {}) {
    this.setup = setupSynthetic(cfg, seed);
    try { this.trainer = new SyntheticTrainer(cfg, method, seed, this.setup, opts); } catch (e) { disposeSetup(this.setup); throw e; }
    this.loss0 = this.maxLoss = this.trainer.trainLoss;
  }

  get done(): boolean { return this.trainer.done; }

  /** The part's trainer (a batch updates its weights; this part keeps its bookkeeping). */
  get syntheticTrainer(): SyntheticTrainer { return this.trainer; }

  /** One update; evaluate every evalEvery steps and once at the end, checkpoint every checkpointEvery steps. */
  advance(): { evaluate: boolean; checkpoint: boolean } {
    const lr = this.trainer.lr;
    this.trainer.advance();
    return this.afterUpdate(lr);
  }

  /** What follows an update made with learning rate `lr` (by advance, or by a batch): whether to evaluate and to checkpoint. */
  afterUpdate(lr: number): { evaluate: boolean; checkpoint: boolean } {
    if (Number.isFinite(this.trainer.trainLoss) && this.trainer.trainLoss > this.maxLoss) { this.maxLoss = this.trainer.trainLoss; this.maxLossLr = lr; }
    const t = this.cfg.train;
    const step = this.trainer.step;
    return { evaluate: step % t.evalEvery === 0 || this.trainer.done, checkpoint: t.checkpointEvery > 0 && step % t.checkpointEvery === 0 };
  }

  /** Set by a batch: bring this part's model up to date before it is read (a restore the batch notices itself: its weightsVersion moves). */
  beforeRead: () => void = () => {};

  evaluate(): MetricsRow {
    this.beforeRead();
    const s = this.setup;
    const m = syntheticMetrics(s.model, s.splits.train, s.splits.test, this.cfg.data.p0, this.cfg.data.q0, s.problem.zv, s.problem.zeta);
    this.final = m;
    const tr = this.trainer;
    return { method: this.method, seed: this.seed, step: tr.step, lr: tr.lr, noise: tr.noise, annealed: tr.annealedAtStep !== null, ...m };
  }

  state(): unknown { this.beforeRead(); return { ...this.trainer.state(), lossWatch: { loss0: this.loss0, maxLoss: this.maxLoss, maxLossLr: this.maxLossLr } }; }
  restore(state: unknown): void {
    const { lossWatch, ...trainer } = state as SyntheticTrainerState & { lossWatch?: { loss0: number; maxLoss: number; maxLossLr: number } };
    this.trainer.restore(trainer);
    if (lossWatch) ({ loss0: this.loss0, maxLoss: this.maxLoss, maxLossLr: this.maxLossLr } = lossWatch);
  }

  result(rows: MetricsRow[]) {
    const tr = this.trainer;
    const learned = rows as { step: number; test_acc?: Record<string, number | null> }[];
    return {
      status: tr.status, message: tr.message, steps: tr.step, annealedAtStep: tr.annealedAtStep, noiseOffAtStep: tr.noiseOffAtStep,
      learnedAtStep: { p_only: firstLearnedStep(learned, 'p_only'), q_only: firstLearnedStep(learned, 'q_only') },
      marginLearnedAtStep: { p: firstMarginStep(learned, 'p'), q: firstMarginStep(learned, 'q') },
      final: this.final,
      warnings: this.warnings(),
    };
  }

  /** A loss that grew far above its start (logistic loss starts near log 2) means the learning rate is too large even if it stayed finite. */
  private warnings(): string[] {
    if (this.trainer.status === 'diverged' || !(this.maxLoss > Math.max(100 * this.loss0, 10))) return [];
    return [`the training loss grew from ${this.loss0.toPrecision(3)} to ${this.maxLoss.toPrecision(3)} (with learning rate ${this.maxLossLr}, which may be too large); its numbers are those of a broken run`];
  }

  fingerprint(): string { this.beforeRead(); return this.setup.model.params.fingerprint(); }

  progress() {
    const tr = this.trainer;
    const max = this.cfg.train.maxSteps;
    return { at: tr.step, of: max, info: `${this.method} seed ${this.seed} step ${tr.step}/${max} loss ${tr.trainLoss.toPrecision(3)}` };
  }

  dispose(): void {
    this.trainer.dispose();
    disposeSetup(this.setup);
  }
}

/**
 * Parts as one batched program (BatchedSyntheticTrainer: noisy GD (3.1) or minibatch SGD on the
 * block net, each part with its own minibatches): the parts still to do of a run, or of several runs
 * (the points of a sweep) whose configs share a batchKey; each part keeps its own config, trainer
 * state, rows, checkpoint and part file. Null when the configs do not batch (the full and conv
 * nets), their batchKeys differ, or there is one part.
 */
export function createSyntheticBatch(items: BatchItem<SyntheticExperimentConfig>[]): PartBatch | null {
  const keys = items.map((it) => batchKey(it.cfg));
  if (items.length < 2 || keys[0] === null || keys.some((k) => k !== keys[0])) return null;
  const parts: SyntheticPart[] = [];
  let batch: BatchedSyntheticTrainer;
  try {
    for (const { cfg, key } of items) parts.push(new SyntheticPart(cfg, key.method as SyntheticMethod, key.seed));
    batch = new BatchedSyntheticTrainer(parts.map((p) => p.syntheticTrainer));
  } catch (e) { for (const p of parts) p.dispose(); throw e; }
  parts.forEach((p, k) => { p.beforeRead = () => batch.sync(k); });
  return {
    parts,
    advance() {
      const lrs = parts.map((p) => (p.done ? null : p.syntheticTrainer.lr));
      batch.advance();
      return parts.map((p, k) => (lrs[k] === null ? null : p.afterUpdate(lrs[k]!)));
    },
    dispose() { batch.dispose(); },
  };
}
