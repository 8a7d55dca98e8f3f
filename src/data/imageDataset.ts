// The training batch iterator for the image experiments: per-epoch shuffled minibatches of
// normalized images, with the patch augmentation redrawn at every load. Each batch tells the kind
// of each example (0 clean, 1 mixed, 2 patch-only) so that loss and accuracy can be split by kind.
import { Generator, keep, randperm, tensor, tidy, zeros, type Tensor } from '../engine/index.js';
import { drawLoads, type LoadDraws, type PatchState } from './patch.js';

/** Example kinds in a batch. */
export const KIND_CLEAN = 0;
export const KIND_MIXED = 1;
export const KIND_PATCH_ONLY = 2;
export const KIND_NAMES = ['clean', 'mixed', 'patchOnly'] as const;

/**
 * Which training set: 'patch' (all images, the masked ones patched: the paper's patch dataset),
 * 'cleanOnly' (only the images the mask leaves unpatched, no patches: the paper's 10,000-clean-image
 * reference), 'noPatch' (all images, no patches: the full-clean-set reference).
 */
export const TRAIN_SUBSETS = ['patch', 'cleanOnly', 'noPatch'] as const;
export type TrainSubset = (typeof TRAIN_SUBSETS)[number];

export interface ImageBatchIteratorOptions {
  /** Normalized images [n, C, H, W] (float32), as normalizeImages returns. Not owned. */
  images: Tensor;
  /** Labels: int64 tensor [n] or uint8 array. */
  labels: Tensor | Uint8Array;
  batchSize: number;
  /** Drop the last incomplete batch (default false). */
  dropLast?: boolean;
  /** Default 'patch' when a patch state is given, else 'noPatch'. */
  subset?: TrainSubset;
  /** Needed for 'patch' and 'cleanOnly'; its nTrain must equal n. */
  patch?: PatchState;
  /** Root generator: gen.derive('data/shuffle') shuffles, gen.derive('data/loads') draws the per-load randomness. */
  gen: Generator;
}

/** One minibatch. The caller owns the tensors (dispose them, or build the batch inside tidy). */
export interface ImageBatch {
  x: Tensor;
  /** int64 [B]. */
  y: Tensor;
  /** int64 [B]: 0 clean, 1 mixed, 2 patch-only. */
  kind: Tensor;
  /** Dataset indices of the examples (int64 [B]). */
  index: Tensor;
}

/** Serializable iterator state: the epoch, the next batch in it, and the generators at the epoch's start. */
export interface ImageBatchIteratorState { epoch: number; batch: number; shuffleGen: string; loadGen: string; subset: TrainSubset; size: number }

interface EpochPlan { order: Tensor; draws: LoadDraws | null }

export class ImageBatchIterator {
  readonly subset: TrainSubset;
  readonly batchSize: number;
  readonly dropLast: boolean;
  private readonly images: Tensor;
  private readonly labels: Tensor;
  private readonly patch: PatchState | null;
  /** The dataset indices one epoch iterates over (int64, on the images' device). */
  private readonly pool: Tensor;
  private readonly shuffleGen: Generator;
  private readonly loadGen: Generator;
  private epochNo = 0;
  private batchNo = 0;
  private plan: EpochPlan | null = null;
  private startStates: { shuffle: string; load: string } | null = null;

  constructor(o: ImageBatchIteratorOptions) {
    const s = o.images.shape;
    if (s.length !== 4) throw new Error(`ImageBatchIterator: images must be [n, C, H, W], got [${s.join(', ')}]`);
    const n = s[0]!;
    if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new Error(`ImageBatchIterator: batchSize must be a positive integer, got ${o.batchSize}`);
    this.subset = o.subset ?? (o.patch ? 'patch' : 'noPatch');
    if (!TRAIN_SUBSETS.includes(this.subset)) {
      throw new Error(`ImageBatchIterator: subset must be 'patch', 'cleanOnly' or 'noPatch', got '${String(this.subset)}'`);
    }
    if (this.subset !== 'noPatch' && !o.patch) throw new Error(`ImageBatchIterator: subset '${this.subset}' needs a patch state (option patch)`);
    if (o.patch && o.patch.nTrain !== n) throw new Error(`ImageBatchIterator: patch state is for ${o.patch.nTrain} images but images has ${n}`);
    const dev = o.images.device;
    if (o.patch && o.patch.device !== dev) throw new Error(`ImageBatchIterator: patch state is on ${o.patch.device} but images are on ${dev}`);
    this.images = o.images;
    this.batchSize = o.batchSize;
    this.dropLast = o.dropLast ?? false;
    this.patch = o.patch ?? null;
    this.labels = keep(tidy(() => (o.labels instanceof Uint8Array ? tensor(o.labels, { shape: [o.labels.length] }) : o.labels)
      .to({ dtype: 'int64', device: dev }).clone()));
    if (this.labels.shape.length !== 1 || this.labels.shape[0] !== n) {
      throw new Error(`ImageBatchIterator: labels must have ${n} entries, got [${this.labels.shape.join(', ')}]`);
    }
    const idx = this.subset === 'cleanOnly' ? this.patch!.cleanIndices() : Int32Array.from({ length: n }, (_, i) => i);
    this.pool = keep(tidy(() => tensor(idx, { shape: [idx.length] }).to({ dtype: 'int64', device: dev })));
    if (this.numBatches === 0) {
      const msg = `ImageBatchIterator: no batches: ${this.size} examples, batchSize ${this.batchSize} and dropLast`;
      this.dispose();
      throw new Error(msg);
    }
    this.shuffleGen = o.gen.derive('data/shuffle');
    this.loadGen = o.gen.derive('data/loads');
  }

  /** Examples per epoch. */
  get size(): number { return this.pool.shape[0]!; }
  get numBatches(): number { return this.dropLast ? Math.floor(this.size / this.batchSize) : Math.ceil(this.size / this.batchSize); }
  /** The epoch in progress (or the next one), counted from 0. */
  get epoch(): number { return this.epochNo; }
  /** Batches of the current epoch already handed out. */
  get batch(): number { return this.batchNo; }

  private startEpoch(): EpochPlan {
    this.startStates = { shuffle: this.shuffleGen.serialize(), load: this.loadGen.serialize() };
    const dev = this.images.device;
    return tidy(() => {
      const order = keep(this.pool.indexSelect(0, randperm(this.size, this.shuffleGen).to({ device: dev })));
      // Draws indexed by dataset index, one per example per epoch: every load is fresh.
      const draws = this.subset === 'patch' ? drawLoads(this.images.shape[0]!, this.patch!.config.patchOnlyProb, this.loadGen, dev) : null;
      if (draws) { keep(draws.patchOnly); keep(draws.sign); keep(draws.scale); }
      return { order, draws };
    });
  }

  private endEpoch(): void {
    if (this.plan) { this.plan.order.dispose(); if (this.plan.draws) for (const t of Object.values(this.plan.draws)) t.dispose(); }
    this.plan = null;
    this.startStates = null;
    this.epochNo++;
    this.batchNo = 0;
  }

  /** Build batch b of the current epoch. */
  private makeBatch(b: number): ImageBatch {
    const plan = this.plan!;
    const start = b * this.batchSize;
    const len = Math.min(this.batchSize, this.size - start);
    return tidy(() => {
      const index = plan.order.narrow(0, start, len);
      const x = this.images.indexSelect(0, index);
      const y = this.labels.indexSelect(0, index);
      let kind: Tensor;
      if (plan.draws) {
        const d = plan.draws;
        const sel = { patchOnly: d.patchOnly.indexSelect(0, index), sign: d.sign.indexSelect(0, index), scale: d.scale.indexSelect(0, index) };
        kind = this.patch!.apply(x, y, this.patch!.maskTensor.indexSelect(0, index), sel);
      } else {
        kind = zeros([len], { dtype: 'int64', device: this.images.device });
      }
      return { x, y, kind, index: index.clone() };
    });
  }

  /** The remaining batches of the current epoch; the epoch counter advances when it is exhausted. */
  *epochBatches(): IterableIterator<ImageBatch> {
    // An epoch whose last batch was handed out but whose loop was left early is finished here.
    if (this.plan && this.batchNo >= this.numBatches) this.endEpoch();
    if (!this.plan) this.plan = this.startEpoch();
    while (this.batchNo < this.numBatches) {
      const b = this.batchNo;
      const batch = this.makeBatch(b);
      this.batchNo = b + 1;
      yield batch;
    }
    this.endEpoch();
  }

  /** State for a checkpoint (JSON-serializable). Resuming replays the epoch's draws exactly. */
  state(): ImageBatchIteratorState {
    const st = this.startStates ?? { shuffle: this.shuffleGen.serialize(), load: this.loadGen.serialize() };
    return { epoch: this.epochNo, batch: this.batchNo, shuffleGen: st.shuffle, loadGen: st.load, subset: this.subset, size: this.size };
  }

  /** Restore a state saved by state() from an iterator with the same data, options and patch state. */
  restore(s: ImageBatchIteratorState): void {
    if (s.subset !== this.subset || s.size !== this.size) {
      throw new Error(`ImageBatchIterator.restore: state is for subset '${s.subset}' of ${s.size} examples, this iterator has '${this.subset}' of ${this.size}`);
    }
    if (!Number.isInteger(s.batch) || s.batch < 0 || s.batch > this.numBatches) {
      throw new Error(`ImageBatchIterator.restore: batch ${s.batch} is out of range 0..${this.numBatches}`);
    }
    if (this.plan) { this.endEpoch(); }
    this.shuffleGen.restore(s.shuffleGen);
    this.loadGen.restore(s.loadGen);
    this.epochNo = s.epoch;
    this.batchNo = s.batch;
    // The next epochBatches() re-plans the epoch from its starting generator states and skips
    // the batches before s.batch.
  }

  /** Free the iterator's own tensors (not the images). */
  dispose(): void {
    if (this.plan) { this.plan.order.dispose(); if (this.plan.draws) for (const t of Object.values(this.plan.draws)) t.dispose(); this.plan = null; }
    this.labels.dispose();
    this.pool.dispose();
  }
}
