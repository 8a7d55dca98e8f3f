// One image part (a method on a seed) behind the part runner's interface: the method's trainer over
// the seed's shared setup (training subsample, patch state, validation sets), one epoch per unit
// (paused every few hundred ms so signals are seen), evaluated every train.evalEvery epochs and after
// the last, checkpointed every train.checkpointEvery epochs.
import { ImageTrainer, type BatchInfo, type ImageSeedSetup, type ImageTrainerState } from '../../train/imageTrainer.js';
import { firstEpochAbove, lastRowsMean, type ImageMetricsRow } from '../../metrics/imageMetrics.js';
import type { MetricsRow } from '../../runs/format.js';
import type { Advance, PartWork } from '../experiment.js';
import { imageTrainerConfig, type ImageExperimentConfig, type ImageMethodConfig } from './config.js';
import { learnedFractions, orderSample, partEvents } from './events.js';

const pct = (v: number | null | undefined) => (typeof v === 'number' ? (100 * v).toFixed(1) : '-');

export class ImagePart implements PartWork {
  private readonly trainer: ImageTrainer;
  private readonly method: ImageMethodConfig;
  private last: ImageMetricsRow | null = null;
  private batch: BatchInfo | null = null;
  private finishAfterEvaluation = false;

  constructor(private readonly cfg: ImageExperimentConfig, private readonly setup: ImageSeedSetup, methodName: string) {
    const m = cfg.methods.find((x) => x.name === methodName);
    if (!m) throw new Error(`no method '${methodName}' in the config`);
    this.method = m;
    this.trainer = new ImageTrainer(imageTrainerConfig(cfg), m, setup);
  }

  get done(): boolean { return this.trainer.done; }

  advance(ctl: { shouldStop: () => boolean; pauseAfterMs: number }): Advance {
    const r = this.trainer.trainEpoch({ shouldStop: ctl.shouldStop, onBatch: (b) => { this.batch = b; }, pauseAfterMs: ctl.pauseAfterMs });
    if (r === 'paused' || r === 'stopped') return r;
    if (r === 'diverged') return { evaluate: false, checkpoint: false };
    const t = this.cfg.train;
    const e = this.trainer.epoch;
    const last = e >= t.epochs;
    this.finishAfterEvaluation = last; // the last epoch's evaluation is recorded before the part is marked finished
    this.batch = null;
    return { evaluate: e % t.evalEvery === 0 || last, checkpoint: !last && t.checkpointEvery > 0 && e % t.checkpointEvery === 0 };
  }

  evaluate(seconds: number): MetricsRow {
    const row = this.trainer.evaluate(seconds);
    const log = this.trainer.events;
    // the learning events so far: fraction learned per group (and, in the last row, the order map's sample)
    const events = log ? { ...learnedFractions(log), ...(this.finishAfterEvaluation ? { order_sample: orderSample(log) } : {}) } : {};
    this.last = { ...row, ...events };
    if (this.finishAfterEvaluation) this.trainer.finish();
    return this.last as unknown as MetricsRow;
  }

  /** parts/<part>.events.bin: the per-example event log (metrics/eventLog.ts). */
  sideFiles(): Record<string, Uint8Array> {
    const log = this.trainer.events;
    return log ? { 'events.bin': log.encode() } : {};
  }

  state(): unknown { return this.trainer.state(); }
  restore(state: unknown): void { this.trainer.restore(state as ImageTrainerState); }

  result(rows: MetricsRow[]) {
    const tr = this.trainer;
    const history = [...tr.history];
    return {
      subset: this.method.subset, status: tr.status, message: tr.message, epochs: tr.epoch, steps: tr.step, recalibratedBn: this.cfg.train.recalibrateBn,
      // a part that diverged right after a resume wrote no row itself
      final: this.last ?? ((rows[rows.length - 1] as unknown as ImageMetricsRow | undefined) ?? null),
      val_acc_last5_mean: lastRowsMean(history, 5), patch_only_above_50_epoch: firstEpochAbove(history, 0.5),
      ...(tr.events ? { events: partEvents(tr.events, tr.events.encode().length) } : {}),
    };
  }

  fingerprint(): string { return this.trainer.model.params.fingerprint(); }

  progress() {
    const tr = this.trainer;
    const epochs = this.cfg.train.epochs;
    const b = this.batch;
    const l = this.last;
    const val = l ? `  val after epoch ${l.epoch}: clean ${pct(l.val_acc.clean)} mixed ${pct(l.val_acc.mixed)} patch ${pct(l.val_acc.patch_only)}` : '';
    const train = b && b.loss !== null ? ` loss ${b.loss.toPrecision(3)} acc ${pct(b.acc)}` : '';
    return {
      at: tr.epoch + (b && b.batches ? b.batch / b.batches : 0), of: epochs,
      info: `${this.method.name} seed ${this.setup.seed} epoch ${Math.min(tr.epoch + 1, epochs)}/${epochs}${train}${val}`,
    };
  }

  dispose(): void { this.trainer.dispose(); }
}

/**
 * Where a checkpointed image part stands (the Experiment's resumeAt): at an epoch's end, the epochs
 * done ('step 360, 9 epoch(s) done'); within one (a checkpoint written when the run was stopped), the
 * epoch it is in and its batches done ('step 363: in epoch 10, after 3 of 40 batches'), so that the
 * resume line does not read as a finished epoch. Null for a state without the iterator's position.
 */
export function imageResumeAt(cfg: ImageExperimentConfig, state: unknown): string | null {
  const s = state as Partial<ImageTrainerState> | null;
  const it = s?.iterator;
  if (typeof s?.step !== 'number' || !it || typeof it.batch !== 'number' || typeof it.size !== 'number') return null;
  const batches = Math.ceil(it.size / cfg.train.batchSize); // the trainer's iterator keeps the last, short batch
  const done = it.batch >= batches ? it.epoch + 1 : it.epoch; // the last batch handed out, the epoch not yet closed
  if (it.batch === 0 || it.batch >= batches) return `step ${s.step}, ${done} epoch(s) done`;
  return `step ${s.step}: in epoch ${it.epoch + 1}, after ${it.batch} of ${batches} batches`;
}
