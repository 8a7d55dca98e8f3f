// Training one method of the image experiments on one seed (paper Section 6, Appendix H):
// minibatch SGD (Nesterov momentum, weight decay) with the method's learning-rate schedule, the
// pre-activation noise of its noise schedule, on its training subset (patched, clean-only or
// no-patch), with optional BatchNorm recalibration before each evaluation. The whole state
// (weights, BN buffers, SGD, batch iterator, noise generator, epoch sums) is saved and restored
// exactly, also in the middle of an epoch.
import { Generator, deriveSeed, dispose, keep, ones, randperm, stack, tidy, type Device, type Tensor } from '../engine/index.js';
import { ImageBatchIterator, type ImageBatch, type ImageBatchIteratorState, type TrainSubset } from '../data/imageDataset.js';
import type { ImageData } from '../data/imageDatasetRegistry.js';
import { labelsTensor, normalizeImages, type RawImages } from '../data/normalize.js';
import { PatchState, drawLoads, mixedValidationSet, patchOnlyValidationSet, type LoadDraws, type PatchConfig } from '../data/patch.js';
import { createImageModel, recalibrateBatchNorm, type ImageModel, type ImageModelSection, type ImageShape } from '../models/index.js';
import { SGD, type SGDState } from './sgd.js';
import { lrAt, noiseAt, type LrSchedule, type NoiseSchedule, type SchedulePosition } from './schedules.js';
import type { StateDict } from '../nn/parameters.js';
import {
  KindAccumulator, exampleCorrect, perExample, validationMetrics, type EvalSet, type ImageMetricsRow, type PerValSet, type ValSet,
} from '../metrics/imageMetrics.js';
import { EventLog } from '../metrics/eventLog.js';

export type ImageRunStatus = 'running' | 'done' | 'diverged';
/** The data setupImageSeed takes (a loaded data set, see data/imageDatasets.ts). */
export type { ImageData };

/**
 * What the trainer needs of an experiment config (a structural slice, so that the trainer does
 * not depend on any experiment): the data-set sizes, the model section and the image shape it is
 * built for, the patch resolved for that shape (null: no patch), and the SGD and evaluation settings.
 */
export interface ImageTrainerConfig {
  dataset: {
    /** Train on a random subset of this many training images, drawn from the seed (null: all). */
    trainSize: number | null;
    /** Evaluate on the first testSize test images (null: all). */
    testSize: number | null;
  };
  model: ImageModelSection;
  shape: ImageShape;
  patch: PatchConfig | null;
  train: {
    batchSize: number;
    momentum: number;
    nesterov: boolean;
    weightDecay: number;
    /** Recalibrate the BatchNorm running statistics on training batches before each evaluation. */
    recalibrateBn: boolean;
    /** Batches used by the recalibration (at most one epoch's). */
    recalibrateBatches: number;
    /** Batch size of the evaluation passes. */
    evalBatchSize: number;
    device: Device;
  };
  /** Record per-example learning events (metrics/eventLog.ts): the training pass's, and an extra eval pass over the training set at each evaluation. */
  exampleEvents?: boolean;
}

/** One compared method: its learning-rate and noise schedules, and the training images it sees. */
export interface ImageTrainerMethod { name: string; lr: LrSchedule; noise: NoiseSchedule; subset: TrainSubset }

/** What every method of one seed shares: its training subsample, patch state and validation sets. */
export interface ImageSeedSetup {
  seed: number;
  /** Normalized training images [n, C, H, W] and int64 labels [n], on the run's device. */
  images: Tensor;
  labels: Tensor;
  patch: PatchState | null;
  val: Record<ValSet, EvalSet | null>;
  /** The training labels on the host (for the event log). */
  trainLabels: Uint8Array;
  /** The fixed draws of each training image's patched version (mixed, never patch-only), for the event log; null without a patch. */
  eventDraws: LoadDraws | null;
}

/** A random subset of k images (the same k for the same generator), in dataset order. */
export function subsampleImages(raw: RawImages, k: number, gen: Generator): RawImages {
  if (k > raw.n) throw new Error(`config key 'dataset.trainSize' is ${k} but the data set has only ${raw.n} training images`);
  if (k === raw.n) return raw;
  const idx = Array.from(tidy(() => randperm(raw.n, gen).narrow(0, 0, k).toInt32Array())).sort((x, y) => x - y);
  const size = raw.channels * raw.height * raw.width;
  const images = new Uint8Array(k * size);
  const labels = new Uint8Array(k);
  idx.forEach((j, i) => { images.set(raw.images.subarray(j * size, (j + 1) * size), i * size); labels[i] = raw.labels[j]!; });
  return { ...raw, images, labels, n: k };
}

/** The first `k` images of a split (all if k is null). */
function firstImages(raw: RawImages, k: number | null): RawImages {
  if (k === null || k >= raw.n) return raw;
  const size = raw.channels * raw.height * raw.width;
  return { ...raw, images: raw.images.slice(0, k * size), labels: raw.labels.slice(0, k), n: k };
}

/**
 * Build a seed's setup: the training subsample (from the seed), the normalized tensors on the
 * device, the patch state (mask and patterns from the seed) and the validation sets.
 */
export function setupImageSeed(cfg: ImageTrainerConfig, data: ImageData, seed: number): ImageSeedSetup {
  const device = cfg.train.device;
  const rawTrain = cfg.dataset.trainSize === null ? data.train : subsampleImages(data.train, cfg.dataset.trainSize, new Generator(deriveSeed(seed, 'data/subsample')));
  const rawTest = firstImages(data.test, cfg.dataset.testSize);
  const images = keep(normalizeImages(rawTrain, data.stats, { device }));
  const labels = keep(labelsTensor(rawTrain, { device }));
  const testX = keep(normalizeImages(rawTest, data.stats, { device }));
  const testY = keep(labelsTensor(rawTest, { device }));
  const pc = cfg.patch;
  let patch: PatchState | null = null;
  let eventDraws: LoadDraws | null = null;
  const val: Record<ValSet, EvalSet | null> = { clean: { x: testX, y: testY }, mixed: null, patch_only: null };
  if (pc) {
    patch = new PatchState(pc, rawTrain.n, new Generator(deriveSeed(seed, 'patch')), { device });
    const mixed = mixedValidationSet(patch, testX, testY);
    const only = patchOnlyValidationSet(patch);
    keep(mixed.x); keep(mixed.y); only.kind.dispose(); mixed.kind.dispose();
    keep(only.x); keep(only.y);
    val.mixed = { x: mixed.x, y: mixed.y };
    val.patch_only = only.x.shape[0]! > 0 ? { x: only.x, y: only.y } : null;
    if (!val.patch_only) { only.x.dispose(); only.y.dispose(); }
    // its own generator: the draws of training and validation are unchanged
    eventDraws = drawLoads(rawTrain.n, 0, patch.generator('events/patched'), device);
    for (const t of Object.values(eventDraws)) keep(t);
  }
  return { seed, images, labels, patch, val, trainLabels: Uint8Array.from(rawTrain.labels), eventDraws };
}

export function disposeSeedSetup(s: ImageSeedSetup): void {
  s.images.dispose(); s.labels.dispose(); s.patch?.dispose();
  if (s.eventDraws) for (const t of Object.values(s.eventDraws)) t.dispose();
  for (const v of Object.values(s.val)) if (v) { v.x.dispose(); v.y.dispose(); }
}

/** Everything a checkpoint needs to continue a method exactly. */
export interface ImageTrainerState {
  method: string;
  seed: number;
  epoch: number;
  step: number;
  status: ImageRunStatus;
  message: string | null;
  lr: number;
  noise: number;
  /** Training sums since the last metrics row. */
  sums: number[];
  /** Validation accuracies of the rows so far. */
  history: { epoch: number; val_acc: PerValSet }[];
  model: StateDict;
  sgd: SGDState;
  iterator: ImageBatchIteratorState;
  gens: { noise: string };
  /** The per-example event log (EventLog.toBase64), null when not recorded. */
  events?: string | null;
}

export interface BatchInfo { epoch: number; batch: number; batches: number; step: number; loss: number | null; acc: number | null }

export class ImageTrainer {
  readonly method: ImageTrainerMethod;
  readonly seed: number;
  readonly model: ImageModel;
  private readonly cfg: ImageTrainerConfig;
  private readonly setup: ImageSeedSetup;
  private readonly sgd: SGD;
  private readonly iter: ImageBatchIterator;
  private readonly noiseGen: Generator;
  private readonly sums = new KindAccumulator();
  private evLog: EventLog | null = null;
  private st: { status: ImageRunStatus; message: string | null; lr: number; noise: number; history: ImageTrainerState['history'] };

  /** The model's initial weights come from the seed alone, so every method of a seed starts from the same model. */
  constructor(cfg: ImageTrainerConfig, method: ImageTrainerMethod, setup: ImageSeedSetup) {
    this.cfg = cfg;
    this.method = method;
    this.seed = setup.seed;
    this.setup = setup;
    const t = cfg.train;
    this.model = createImageModel(cfg.model, cfg.shape, { device: t.device }, new Generator(deriveSeed(setup.seed, 'init')));
    this.sgd = new SGD(this.model.params, { lr: 0, momentum: t.momentum, nesterov: t.nesterov, weightDecay: t.weightDecay });
    this.iter = new ImageBatchIterator({
      images: setup.images, labels: setup.labels, batchSize: t.batchSize, subset: method.subset,
      patch: setup.patch ?? undefined, gen: new Generator(deriveSeed(setup.seed, 'data')),
    });
    this.noiseGen = new Generator(deriveSeed(setup.seed, 'noise'));
    if (cfg.exampleEvents) this.evLog = this.newEventLog();
    const p0 = this.position();
    this.st = { status: 'running', message: null, lr: lrAt(method.lr, p0), noise: noiseAt(method.noise, p0), history: [] };
  }

  /** Finished epochs. */
  get epoch(): number { return this.iter.epoch; }
  /** Optimizer steps taken. */
  get step(): number { return this.sgd.steps; }
  get batchesPerEpoch(): number { return this.iter.numBatches; }
  get status(): ImageRunStatus { return this.st.status; }
  get message(): string | null { return this.st.message; }
  get done(): boolean { return this.st.status !== 'running'; }
  get history(): readonly { epoch: number; val_acc: PerValSet }[] { return this.st.history; }

  /** The per-example learning events so far (null when not recorded). */
  get events(): EventLog | null { return this.evLog; }

  private newEventLog(): EventLog {
    const s = this.setup;
    const n = s.trainLabels.length;
    const patched = s.patch ? Uint8Array.from(s.patch.mask) : new Uint8Array(n);
    const trained = this.method.subset === 'cleanOnly' ? patched.map((m) => 1 - m) : new Uint8Array(n).fill(1);
    return new EventLog({ labels: s.trainLabels, patched, trained, evalPatched: s.eventDraws !== null });
  }

  private position(): SchedulePosition { return { epoch: this.iter.epoch, step: this.sgd.steps, stepsPerEpoch: this.iter.numBatches }; }

  /**
   * Train the rest of the current epoch. `shouldStop` is polled before each batch; on 'stopped' the
   * trainer can be saved and resumed, or continued. With `pauseAfterMs`, it returns 'paused' once
   * that much time has passed (after a batch), so that an async caller can let signals in; calling
   * it again continues the epoch exactly. On a non-finite batch loss the method stops with status
   * 'diverged' (no update is made from that batch).
   */
  trainEpoch(o: { shouldStop?: () => boolean; onBatch?: (b: BatchInfo) => void; pauseAfterMs?: number } = {}): 'epoch' | 'stopped' | 'paused' | 'diverged' {
    if (this.done) throw new Error(`ImageTrainer: method ${this.method.name} has already stopped (${this.st.status})`);
    const deadline = o.pauseAfterMs === undefined ? Infinity : Date.now() + o.pauseAfterMs;
    const batches = this.iter.epochBatches();
    try {
      for (;;) {
        if (o.shouldStop?.()) return 'stopped';
        const r = batches.next();
        if (r.done) break;
        const epoch = this.iter.epoch;
        const ok = this.trainBatch(r.value);
        if (!ok) return 'diverged';
        if (o.onBatch) {
          const { loss, acc } = this.sums.result();
          o.onBatch({ epoch, batch: this.iter.batch, batches: this.iter.numBatches, step: this.sgd.steps, loss: loss.all, acc: acc.all });
        }
        // finish the epoch now, so that a checkpoint never sees a handed-out but unfinished last batch
        if (this.iter.batch >= this.iter.numBatches) { batches.next(); break; }
        if (Date.now() >= deadline) return 'paused';
      }
    } finally { batches.return?.(undefined); }
    return 'epoch';
  }

  /** One SGD step on a batch (which it frees). Returns false if the loss was not finite. */
  private trainBatch(b: ImageBatch): boolean {
    const pos = this.position();
    const lr = lrAt(this.method.lr, pos);
    const noise = noiseAt(this.method.noise, pos);
    let finite = true;
    try {
      tidy(() => {
        const logits = this.model.forward(b.x, { training: true, noiseStd: noise, gen: this.noiseGen });
        const e = perExample(logits, b.y);
        const tally = KindAccumulator.tally(e.loss.detach(), e.correct, b.kind);
        if (!Number.isFinite(tally[1]! + tally[4]! + tally[7]!)) { finite = false; return; }
        this.sgd.setLr(lr);
        e.loss.mean().backward();
        this.sgd.step();
        this.sgd.zeroGrad();
        this.sums.addTally(tally);
        if (this.evLog) {
          // one host read: dataset index, load kind (2: patch-only) and correctness of each example as trained
          const v = stack([b.index, b.kind, e.correct.long()]).to({ dtype: 'int32', device: 'cpu' }).toInt32Array();
          const B = v.length / 3;
          this.evLog.recordTrain(this.iter.epoch + 1, v.subarray(0, B), v.subarray(2 * B), v.subarray(B, 2 * B).map((k) => (k === 2 ? 1 : 0)));
        }
      });
    } finally { dispose(b); }
    if (!finite) {
      this.sgd.zeroGrad();
      this.st.status = 'diverged';
      this.st.message = `training diverged in epoch ${this.iter.epoch + 1} at step ${this.sgd.steps} (non-finite loss) with lr ${lr}` +
        `${noise > 0 ? ` and noise ${noise}` : ''}: lower the learning rate`;
      return false;
    }
    this.st.lr = lr;
    this.st.noise = noise;
    return true;
  }

  /** Reset the BatchNorm running statistics to their average over training batches (no noise, no update). */
  private recalibrate(): void {
    const t = this.cfg.train;
    const it = new ImageBatchIterator({
      images: this.setup.images, labels: this.setup.labels, batchSize: t.batchSize, subset: this.method.subset,
      patch: this.setup.patch ?? undefined, gen: new Generator(deriveSeed(this.seed, `recalibrate/${this.iter.epoch}`)),
    });
    try {
      const k = Math.min(t.recalibrateBatches, it.numBatches);
      const xs = function* (): IterableIterator<Tensor> {
        let i = 0;
        for (const b of it.epochBatches()) {
          try { yield b.x; } finally { dispose(b); }
          if (++i >= k) return;
        }
      };
      recalibrateBatchNorm(this.model, xs());
    } finally { it.dispose(); }
  }

  /**
   * Evaluate the model (after recalibrating BatchNorm if configured) and return the metrics row of
   * the epochs since the previous row; the training sums start afresh.
   */
  evaluate(seconds: number): ImageMetricsRow {
    if (this.cfg.train.recalibrateBn) this.recalibrate();
    const v = validationMetrics(this.model, this.setup.val, this.cfg.train.evalBatchSize);
    if (this.evLog) this.recordEvalEvents();
    const tr = this.sums.result();
    this.sums.reset();
    this.st.history.push({ epoch: this.epoch, val_acc: { ...v.acc } });
    return {
      method: this.method.name, seed: this.seed, epoch: this.epoch, step: this.step, lr: this.st.lr, noise: this.st.noise,
      train_loss: tr.loss, train_acc: tr.acc, val_loss: v.loss, val_acc: v.acc, seconds,
    };
  }

  /** Each training example's correctness on its clean image and on its patched version, in eval mode, into the event log. */
  private recordEvalEvents(): void {
    const s = this.setup;
    const bs = this.cfg.train.evalBatchSize;
    const clean = exampleCorrect(this.model, s.images, s.labels, bs);
    const d = s.eventDraws;
    const patched = d && s.patch ? exampleCorrect(this.model, s.images, s.labels, bs, (x, y, i, len) => {
      const c = x.clone();
      const all = ones([len], { dtype: 'bool', device: c.device });
      s.patch!.apply(c, y, all, { patchOnly: d.patchOnly.narrow(0, i, len), sign: d.sign.narrow(0, i, len), scale: d.scale.narrow(0, i, len) });
      return c;
    }) : null;
    this.evLog!.recordEval(this.epoch, clean, patched);
  }

  /** Mark the method finished (after its last epoch). */
  finish(): void { if (this.st.status === 'running') this.st.status = 'done'; }

  state(): ImageTrainerState {
    return {
      method: this.method.name, seed: this.seed, epoch: this.epoch, step: this.step,
      status: this.st.status, message: this.st.message, lr: this.st.lr, noise: this.st.noise,
      sums: this.sums.state(), history: structuredClone(this.st.history),
      model: this.model.params.stateDict(), sgd: this.sgd.stateDict(), iterator: this.iter.state(),
      gens: { noise: this.noiseGen.serialize() }, events: this.evLog?.toBase64() ?? null,
    };
  }

  restore(s: ImageTrainerState): void {
    if (s.method !== this.method.name || s.seed !== this.seed) {
      throw new Error(`the state is for method ${s.method} seed ${s.seed}, not ${this.method.name} seed ${this.seed}`);
    }
    if (typeof s.gens?.noise !== 'string') throw new Error("the state lacks the noise generator's state");
    this.model.params.loadStateDict(s.model);
    this.sgd.loadStateDict(s.sgd);
    this.iter.restore(s.iterator);
    if (this.iter.epoch !== s.epoch || this.sgd.steps !== s.step) {
      throw new Error(`the state is inconsistent: epoch ${s.epoch} / step ${s.step} but the iterator is at epoch ${this.iter.epoch} and SGD at step ${this.sgd.steps}`);
    }
    this.noiseGen.restore(s.gens.noise);
    this.sums.restore(s.sums);
    if (this.evLog) {
      if (typeof s.events !== 'string') throw new Error('the state has no per-example events but this run records them');
      const log = EventLog.fromBase64(s.events);
      if (log.n !== this.setup.trainLabels.length) throw new Error(`the state's events are for ${log.n} examples, not ${this.setup.trainLabels.length}`);
      this.evLog = log;
    }
    this.st = { status: s.status, message: s.message, lr: s.lr, noise: s.noise, history: structuredClone(s.history) };
  }

  dispose(): void { this.sgd.dispose(); this.iter.dispose(); this.model.dispose(); }
}
