// Many synthetic parts per step: the parts of a run (methods x seeds of one config, or the points of
// a sweep with one batchKey) trained together as ONE batched program on the block net (Section 2),
// by either update: the paper's noisy GD (3.1) on the full batch, or minibatch SGD. Their weights are
// stacked along dim 0 ([P, mW, d] for W; [P, mV, d] for V, or [P, mV, 2] for the reduced Q block's
// Vspan), the forward pass is one product per block and part in one call instead of P small
// matmuls, and the gradient is the closed form of the logistic loss's backward (blockNetProgram.ts:
// no autograd graph). Every slice goes through the same ATen kernels, in the same order, as
// SyntheticTrainer's autograd step on that part alone, so each part's numbers equal those of training
// it alone; the tests (batchedSyntheticTrainer*.test.ts) check whole trainer states bit for bit.
//   Per part: its own learning rate and pre-activation noise (its schedules), its own generators
// (the noise of part k is drawn from part k's generators, in the single trainer's order), its own
// minibatches (SGD: drawn by the part's own SyntheticTrainer.nextBatchIndices, so its epoch order and
// cursor are those of training alone; the program gathers each part's rows from its stacked training
// set), its own weight decay, gradient noise, loss checks, anneal and stop rules and divergence
// (SyntheticTrainer.finishStep). A part that stops leaves the stack; the others go on.
//   One part (SyntheticTrainer's own closed-form step, or the last part of a batch): the stacks are
// views of the part's tensors (unsqueeze(0): the same memory and strides), so the updates land in its
// model's parameters and there is nothing to sync.
//   Fewer ops per step: on the full batch, the clean training loss measured after an update (every
// update of noisy GD without pre-activation noise) is the same forward pass the next update starts
// from, so it is computed once and kept (the autograd step computes it twice): the next update adds
// its noise to the kept pre-activations, or, with no part noisy, takes the kept forward as its own.
// It is dropped once a part's weightsVersion moves (restore(), an update made by another program).
// On minibatches the clean loss is computed for the parts that measure it only.
import { Tensor, addEach_, keep, mmEach, mmEachKernel, noGrad, normalEach_, stack, tensor, tidy, zeros, type Generator } from '../engine/index.js';
import type { SyntheticDataConfig, SyntheticDataset } from '../data/synthetic.js';
import type { SyntheticModelConfig } from '../models/syntheticModel.js';
import type { BlockView, SyntheticModel } from '../models/twoLayerRelu.js';
import type { SyntheticTrainConfig } from './syntheticTrainConfig.js';
import {
  addWhere_, forward, forwardTensors, gradients, meanGrad, noisyW, preActivationsW, stackedNet, type Forward, type StackedData, type StackedNet, type StackedRays,
} from './blockNetProgram.js';

/** Whether a config's parts can train as one batched program (noisy GD (3.1) or minibatch SGD on the block net); else one by one. */
export function batchable(cfg: { model: Pick<SyntheticModelConfig, 'arch'>; train: Pick<SyntheticTrainConfig, 'update'> }): boolean {
  return (cfg.train.update === 'noisy-gd' || cfg.train.update === 'sgd') && cfg.model.arch === 'block';
}

/**
 * What parts must share to train in one batched program (null: the config does not batch): the
 * update, the stacked shapes (training set size, d, the block widths, the reduced Q block, and SGD's
 * batch size) and the dtype. Parts of different configs with the same key batch together (the points
 * of a sweep); their learning rates, noise, weight decay, gradient noise and stopping rules stay their own.
 */
export function batchKey(cfg: { data: SyntheticDataConfig; model: SyntheticModelConfig; train: Pick<SyntheticTrainConfig, 'update' | 'batchSize'> }): string | null {
  const m = cfg.model;
  if (!batchable(cfg) || m.arch !== 'block') return null;
  const t = cfg.train;
  return JSON.stringify([t.update, cfg.data.n, cfg.data.d, cfg.data.dtype, m.m, m.mW ?? m.m / 2, m.reduceQBlock ?? false, t.update === 'sgd' ? t.batchSize : null]);
}

/**
 * Whether each row of x2 B (a part's x2 [n, d] and basis B [d, k]) is the same whatever the other
 * rows: where the product takes one chain of fused multiply-adds per element both for the whole
 * training set and for a minibatch of `b` rows (mmEachKernel 'chain': at::mm's own order there), a
 * minibatch's V input is then the rows of the full batch's, gathered instead of multiplied again at
 * every step. (The parts of a batch share these shapes, layouts and dtype.)
 */
function rowsOfFullProduct(x2: Tensor, B: Tensor, b: number): boolean {
  return tidy(() => mmEachKernel(x2.unsqueeze(0), B.unsqueeze(0)) === 'chain'
    && mmEachKernel(zeros([1, b, x2.shape[1]!], { dtype: x2.dtype }), B.unsqueeze(0)) === 'chain');
}

/**
 * What the batched trainer reads and calls of a part (SyntheticTrainer is one; see its members of
 * these names): its model, train section and training set, the next update's learning rate and
 * noise, its generators and minibatches, and the bookkeeping of an update made for it.
 */
export interface BatchedPart {
  readonly model: SyntheticModel;
  readonly trainConfig: Pick<SyntheticTrainConfig, 'update' | 'batchSize' | 'lambda' | 'tauXi'>;
  readonly seedSetup: { splits: { train: Pick<SyntheticDataset, 'x1' | 'x2' | 'y' | 'rays'> } };
  readonly done: boolean;
  readonly lr: number;
  readonly noise: number;
  readonly generators: Readonly<Record<'gradNoise' | 'batches' | 'preact', Generator>>;
  readonly minibatched: boolean;
  /** Counts the changes of the part's weights (by restore(), or by an update made for it): a cache of them is stale once it moves. */
  readonly weightsVersion: number;
  nextBatchIndices(): number[] | null;
  measuresLoss(noise: number, lossValue: number): boolean;
  finishStep(lr: number, noise: number, lossValue: number, measureLoss: () => number): boolean;
  updatedElsewhere(lr: number): void;
}

/**
 * The parts' stacked data and net: the training set (x1, V's input vInput(x2), -y) and the weights,
 * and d mean / d loss of the full batch (dN) and of a minibatch (dB). With minibatches, also what a
 * minibatch of V's input is made from: the raw x2 and the bases that map it (null where V's input is
 * x2 itself, X2).
 */
interface Stacks extends StackedNet, StackedData { dN: Tensor; dB: Tensor | null; X2raw: Tensor | null; B: Tensor | null; rays: StackedRays | null }

export class BatchedSyntheticTrainer {
  /** Indices (into trainers) of the parts still training, in order. */
  private active: number[] = [];
  private stacks: Stacks | null = null;
  /**
   * The clean forward pass of the full batch at the current stacked weights (reused by the next
   * full-batch update), and the active parts' weightsVersion it was made at (stale once one moves).
   */
  private clean: { preW: Tensor; fwd: Forward; owned: Tensor[] } | null = null;
  private cleanAt: number[] = [];
  /** One part: the stacks are views of its own tensors (dim 0 of size 1), so updates land in its model. */
  private shared = false;
  /** Each active part's weightsVersion its slice of the (copied) stacks holds: a part restored since has moved on. */
  private stackedAt = new Map<number, number>();
  /** Parts whose model parameters lag behind their slice of the stack. */
  private readonly dirty = new Set<number>();

  /** The names of the stacked weights (on x1, on x2) and the input the x2 weight multiplies, per part. */
  private readonly views: BlockView[];

  constructor(readonly trainers: BatchedPart[]) {
    if (trainers.length === 0) throw new Error('BatchedSyntheticTrainer: no parts');
    this.views = trainers.map((t) => {
      const view = t.model.blockView?.();
      const update = t.trainConfig.update;
      if ((update !== 'noisy-gd' && update !== 'sgd') || !view) {
        throw new Error('BatchedSyntheticTrainer: only noisy GD or minibatch SGD on the block net trains batched');
      }
      return view;
    });
    const shapes = trainers.map((t, k) => {
      const p = t.model.params;
      const sgd = t.trainConfig.update === 'sgd' ? [t.trainConfig.batchSize, t.minibatched] : null;
      return JSON.stringify([t.trainConfig.update, sgd, t.seedSetup.splits.train.x1.shape, p.get(this.views[k]!.w).shape, p.get(this.views[k]!.v).shape, p.get(this.views[k]!.v).dtype]);
    });
    const other = shapes.findIndex((sh) => sh !== shapes[0]);
    if (other >= 0) throw new Error(`BatchedSyntheticTrainer: part ${other} does not share the first part's update, batch size, shapes and dtype (${shapes[other]} vs ${shapes[0]}): batch only parts with the same batchKey`);
  }

  get done(): boolean { return this.trainers.every((t) => t.done); }

  /** Copy part k's slice of the stacked weights into its model (before it is evaluated, saved or fingerprinted). */
  sync(k: number): void {
    this.refresh();
    this.copySlice(k);
  }

  /** The copy of sync, without refreshing the stacks; a part whose weights changed since it was stacked (restored) keeps them. */
  private copySlice(k: number): void {
    if (!this.dirty.has(k) || !this.stacks || this.shared) return;
    if (this.trainers[k]!.weightsVersion !== this.stackedAt.get(k)) { this.dirty.delete(k); return; }
    const j = this.active.indexOf(k);
    const params = this.trainers[k]!.model.params;
    const view = this.views[k]!;
    noGrad(() => tidy(() => {
      params.get(view.w).copy_(this.stacks!.W.narrow(0, j, 1).squeeze(0));
      params.get(view.v).copy_(this.stacks!.V.narrow(0, j, 1).squeeze(0));
    }));
    this.dirty.delete(k);
  }

  /**
   * Part k's weights (or state) were replaced, e.g. from a checkpoint: rebuild the stack from the
   * models now (a restore through the part's trainer is also noticed by itself, at the next advance or sync).
   */
  invalidate(k: number): void {
    this.dirty.delete(k);
    this.drop();
  }

  /**
   * Parts whose weights changed outside the batch since they were stacked (a restore: their
   * weightsVersion moved) are invalidated, so a stale slice is never copied over restored weights.
   * (With one part the stacks are its own tensors, restored in place: only the clean forward goes.)
   */
  private refresh(): void {
    if (!this.stacks || this.shared) return;
    if (this.active.some((k) => this.trainers[k]!.weightsVersion !== this.stackedAt.get(k))) this.drop(); // (copySlice keeps the moved parts' weights)
  }

  private drop(): void {
    for (const k of [...this.dirty]) this.copySlice(k);
    this.dirty.clear();
    if (this.stacks) {
      const { rays, ...rest } = this.stacks;
      for (const t of [...Object.values(rest), ...(rays ? [rays.D, rays.index, rays.scale] : [])]) t?.dispose();
    }
    this.dropClean();
    for (const v of this.flatViews.values()) v.dispose();
    this.flatViews.clear();
    this.stacks = null;
  }

  private dropClean(): void {
    if (this.clean) for (const t of this.clean.owned) t.dispose();
    this.clean = null;
  }

  /**
   * Whether part k's next update runs V's block on the rays (the full batch, no noise, and data with
   * rays), as alone: the stack puts these parts first, so that each group is one slice of it.
   */
  private onRays(k: number): boolean {
    const t = this.trainers[k]!;
    return !t.minibatched && t.noise === 0 && t.seedSetup.splits.train.rays !== undefined;
  }

  private build(): Stacks {
    const todo = this.trainers.flatMap((t, k) => (t.done ? [] : [k]));
    this.active = [...todo.filter((k) => this.onRays(k)), ...todo.filter((k) => !this.onRays(k))];
    // one part: views (a tensor's slice 0 is that tensor, same strides); else copies, stacked
    this.shared = this.active.length === 1;
    this.stackedAt = new Map(this.active.map((k) => [k, this.trainers[k]!.weightsVersion]));
    const of = (f: (t: BatchedPart, view: BlockView) => Tensor) => keep(tidy(() => (this.shared
      ? f(this.trainers[this.active[0]!]!, this.views[this.active[0]!]!).unsqueeze(0)
      : stack(this.active.map((k) => f(this.trainers[k]!, this.views[k]!))))));
    const first = this.trainers[this.active[0]!]!;
    const firstView = this.views[this.active[0]!]!;
    // the reduced block's minibatch V input: its x2 rows times the basis, unless rows of the full batch's do
    const multiplyBasis = first.minibatched && firstView.vBasis !== undefined
      && !rowsOfFullProduct(first.seedSetup.splits.train.x2, firstView.vBasis, first.trainConfig.batchSize);
    return noGrad(() => {
      const net = stackedNet(of((t, v) => t.model.params.get(v.w)), of((t, v) => t.model.params.get(v.v)), of((t) => t.model.params.get('uW')), of((t) => t.model.params.get('uV')));
      for (const k of ['Wt', 'Vt'] as const) keep(net[k]);
      const negY = of((t) => t.seedSetup.splits.train.y.neg());
      const [P, n] = negY.shape as [number, number];
      return {
        ...net, X1: of((t) => t.seedSetup.splits.train.x1), X2: of((t, v) => v.vInput(t.seedSetup.splits.train.x2)), negY,
        dN: keep(tidy(() => meanGrad(P, n, negY.dtype))), dB: first.minibatched ? keep(tidy(() => meanGrad(P, first.trainConfig.batchSize, negY.dtype))) : null,
        X2raw: multiplyBasis ? of((t) => t.seedSetup.splits.train.x2) : null, B: multiplyBasis ? of((_t, v) => v.vBasis!) : null,
        // x2 as rays, where every part's data has them (V's block of a part without noise runs on them, as alone)
        rays: this.active.every((k) => this.trainers[k]!.seedSetup.splits.train.rays)
          ? { D: of((t, v) => v.vInput(t.seedSetup.splits.train.rays!.directions)), index: of((t) => t.seedSetup.splits.train.rays!.index), scale: of((t) => t.seedSetup.splits.train.rays!.scale) }
          : null,
      };
    });
  }

  /**
   * Each part's minibatch (its indices into its own training set) from the stacks: the rows j n + i of
   * the flattened [P n, .] stacks (the rows indexSelect copies alone), and V's input as vInput
   * computes it from those x2 rows (a BLAS product's row need not be the same whatever the number of
   * rows), or the rows of the full batch's vInput where it is (rowsOfFullProduct: X2raw null).
   */
  private gather(s: Stacks, batches: number[][]): StackedData {
    const [P, n] = s.negY.shape as [number, number];
    const b = batches[0]!.length;
    const rowIndex = new Int32Array(P * b);
    for (let j = 0, o = 0; j < P; j++) { const ix = batches[j]!; for (let i = 0; i < b; i++) rowIndex[o++] = j * n + ix[i]!; }
    const it = tensor(rowIndex, { dtype: 'int64' });
    const rows = (t: Tensor) => {
      if (P === 1) return t.indexSelect(1, it);
      const rest = t.shape.slice(2);
      return this.flat(t).indexSelect(0, it).reshape([P, b, ...rest]);
    };
    const x2 = rows(s.X2raw ?? s.X2);
    // (a minibatch's V block runs on its rows: with b rows against K = 3 directions the rays save less than their ops cost)
    return { X1: rows(s.X1), X2: s.B ? mmEach(x2, s.B) : x2, negY: rows(s.negY), rays: null };
  }

  /** A stack [P, n, ...] as the view [P n, ...] (made once per stack: the views live until the stacks are dropped). */
  private flat(t: Tensor): Tensor {
    let v = this.flatViews.get(t);
    if (!v) {
      v = keep(t.reshape([t.shape[0]! * t.shape[1]!, ...t.shape.slice(2)]));
      this.flatViews.set(t, v);
    }
    return v;
  }
  private readonly flatViews = new Map<Tensor, Tensor>();

  /** The clean full-batch training loss of the parts js (indices into the stack) at the current weights, [P] (NaN for the others). */
  private cleanLossOf(s: Stacks, js: number[]): Float64Array {
    const P = s.negY.shape[0]!;
    const clean = (net: StackedNet, data: StackedData) => forward(net, data, preActivationsW(net, data), new Array<number>(data.negY.shape[0]!).fill(0), []).losses;
    if (js.length === P) return clean(s, s);
    const idx = tensor(Int32Array.from(js), { dtype: 'int64' });
    const pick = (t: Tensor) => t.indexSelect(0, idx);
    const net = stackedNet(pick(s.W), pick(s.V), pick(s.uW), pick(s.uV));
    const some = clean(net, { X1: pick(s.X1), X2: pick(s.X2), negY: pick(s.negY), rays: s.rays && { D: pick(s.rays.D), index: pick(s.rays.index), scale: pick(s.rays.scale) } });
    const all = new Float64Array(P).fill(NaN);
    js.forEach((j, i) => { all[j] = some[i]!; });
    return all;
  }

  /** One update of every part still training (each as SyntheticTrainer.advance would make it). */
  advance(): void {
    if (this.done) return;
    this.refresh();
    // a part whose noise started or stopped moves to the other group: restack (parts on rays first)
    if (this.stacks && this.active.some((k, j) => j > 0 && this.onRays(k) && !this.onRays(this.active[j - 1]!))) this.drop();
    const s = this.stacks ??= this.build();
    const parts = this.active.map((k) => this.trainers[k]!);
    const P = parts.length;
    const lrs = parts.map((p) => p.lr), noises = parts.map((p) => p.noise), lambdas = parts.map((p) => p.trainConfig.lambda);
    // SGD draws no gradient noise (its update is the optimizer's: weight decay, then the step)
    const tauXis = parts.map((p) => (p.trainConfig.update === 'sgd' ? 0 : p.trainConfig.tauXi));
    // each part's minibatch, drawn as it would draw it alone (null: the full batch, for all parts alike)
    const batches = parts.map((p) => p.nextBatchIndices());
    const full = batches[0] === null;
    if (batches.some((b) => (b === null) !== full)) throw new Error('BatchedSyntheticTrainer: parts mix minibatches and full batches');
    const dtype = s.W.dtype;
    const gens = parts.map((p) => p.generators.preact);
    let losses: Float64Array = new Float64Array(P);
    const measured: { loss: Float64Array | null } = { loss: null };
    if (parts.some((p, j) => p.weightsVersion !== this.cleanAt[j])) this.dropClean(); // weights changed since (restored)
    // (noisyW adds the noise in place to the kept clean pre-activations: a step that throws drops them)
    try {
      noGrad(() => tidy(() => {
        const data = full ? s : this.gather(s, batches as number[][]);
        const cached = full ? this.clean : null;
        // the training forward (the clean pre-activations plus each noisy part's own noise: without noise,
        // the clean forward measured after the last update) and the closed-form backward
        const fwd = cached && noises.every((v) => v === 0)
          ? cached.fwd
          : forward(s, data, noisyW(cached?.preW ?? preActivationsW(s, data), noises, gens), noises, gens);
        const { gW, gV } = gradients(s, data, fwd, full ? s.dN : s.dB!);
        losses = fwd.losses;
        const ok = Array.from(losses, (v) => Number.isFinite(v));
        const grads: [Tensor, Tensor][] = [[s.W, gW], [s.V, gV]];
        // a part whose loss is not finite is not updated (and draws no gradient noise)
        const keepSlices = ok.every(Boolean) ? null : grads.map(([w]) => w.clone());
        for (const [w, g] of grads) {
          // weight decay (noisy GD's g.add_(p, lambda), SGD's grad.addScaled(p, weightDecay): one add kernel
          // each), noisy GD's gradient noise, then the step w - lr g
          addWhere_(g, w, lambdas);
          if (tauXis.some((v) => v > 0)) addWhere_(g, normalEach_(zeros(w.shape, { dtype }), parts.map((p, j) => (ok[j] && tauXis[j]! > 0 ? p.generators.gradNoise : null))), tauXis);
          addEach_(w, g, lrs.map((lr) => -lr));
        }
        if (keepSlices) {
          const bad = tensor(Int32Array.from(ok.flatMap((v, j) => (v ? [] : [j]))), { dtype: 'int64' });
          grads.forEach(([w], i) => w.indexCopy_(0, bad, keepSlices[i]!.indexSelect(0, bad)));
        }
        // what follows a part's update alone: its optimizer's count, its model's afterUpdate (after its gradient noise)
        parts.forEach((p, j) => { if (ok[j]) p.updatedElsewhere(lrs[j]!); this.stackedAt.set(this.active[j]!, p.weightsVersion); });
        // the clean loss at the new weights, where a part measures it; on the full batch the next update starts from it
        this.dropClean();
        const need = parts.flatMap((p, j) => (p.measuresLoss(noises[j]!, losses[j]!) ? [j] : []));
        if (need.length > 0 && full) {
          const preW = preActivationsW(s, s), fwd = forward(s, s, preW, noises.map(() => 0), gens);
          const owned = [preW, ...forwardTensors(fwd, s, s)];
          for (const t of owned) keep(t);
          measured.loss = fwd.losses;
          this.clean = { preW, fwd, owned };
          this.cleanAt = parts.map((p) => p.weightsVersion);
        } else if (need.length > 0) {
          measured.loss = this.cleanLossOf(s, need);
        }
      }));
    } catch (e) { this.dropClean(); throw e; }
    let stopped = false;
    parts.forEach((p, j) => {
      if (!this.shared) this.dirty.add(this.active[j]!);
      p.finishStep(lrs[j]!, noises[j]!, losses[j]!, () => measured.loss![j]!);
      if (p.done) stopped = true;
    });
    if (stopped) this.drop(); // the stack shrinks to the parts still training
  }

  dispose(): void { this.drop(); }
}
