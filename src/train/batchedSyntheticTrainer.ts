// Many synthetic parts per step: the parts of a run (methods x seeds of one config) trained together
// as ONE batched program of the paper's update (3.1) on the block net (Section 2). Their weights are
// stacked along dim 0 ([P, mW, d] for W; [P, mV, d] for V, or [P, mV, 2] for the reduced Q block's
// Vspan), the forward pass is one bmm per block instead of P small matmuls, and the gradient is the
// closed form of the logistic loss's backward (no autograd graph). Every slice goes through the same ATen kernels, in the same order, as SyntheticTrainer's
// autograd step on that part alone (src/engine/batched.ts), so each part's numbers equal those of
// training it alone; the test (batchedSyntheticTrainer.test.ts) checks rows and weights bit for bit.
//   Per part: its own learning rate and pre-activation noise (its schedules), its own generators
// (the noise of part k is drawn from part k's generators, in the single trainer's order), its own
// loss checks, anneal and stop rules and divergence (SyntheticTrainer.finishStep). A part that
// stops leaves the stack; the others go on.
//   Fewer ops per step: the clean training loss that noisy GD without pre-activation noise measures
// after every update is the same forward pass the next update starts from, so it is computed once
// and reused (the single trainer computes it twice).
import {
  Tensor, addEach_, bmm, keep, mvEach, noGrad, normalEach_, ones, softplusBackward, stack, tensor, thresholdBackward, tidy, zeros,
} from '../engine/index.js';
import type { BlockView } from '../models/twoLayerRelu.js';
import type { SyntheticTrainer, SyntheticTrainerConfig } from './syntheticTrainer.js';

/** Whether a config's parts can train as one batched program (noisy GD (3.1) on the block net); else one by one. */
export function batchable(cfg: Pick<SyntheticTrainerConfig, 'model' | 'train'>): boolean {
  return cfg.train.update === 'noisy-gd' && cfg.model.arch === 'block';
}

/**
 * What parts must share to train in one batched program (null: the config does not batch): the
 * update, the stacked shapes (training set size, d, the block widths, the reduced Q block) and the
 * dtype. Parts of different configs with the same key batch together (the points of a sweep); their
 * learning rates, noise, weight decay, gradient noise and stopping rules stay their own.
 */
export function batchKey(cfg: SyntheticTrainerConfig): string | null {
  const m = cfg.model;
  if (!batchable(cfg) || m.arch !== 'block') return null;
  return JSON.stringify([cfg.train.update, cfg.data.n, cfg.data.d, cfg.data.dtype, m.m, m.mW ?? m.m / 2, m.reduceQBlock ?? false]);
}

interface Stacks { X1: Tensor; X2: Tensor; Y: Tensor; uW: Tensor; uV: Tensor; W: Tensor; V: Tensor }
interface Pre { preW: Tensor; preV: Tensor }

/**
 * t [P, n] as a view whose rows are n apart in memory no longer (stride n + 1): an elementwise op then
 * runs row by row, each row through the vectorized loop and its scalar tail exactly as a lone [n]
 * tensor (a contiguous [P, n] is one flat array, and where n is not a multiple of the vector width
 * its rows would meet other lanes: transcendental kernels such as exp differ in the last bit there).
 */
function rowwise(t: Tensor): Tensor {
  const [P, n] = t.shape as [number, number];
  return zeros([P, n + 1], { dtype: t.dtype }).narrow(1, 0, n).copy_(t);
}

/** Mean logistic loss per part, [P], from z = -y f (as logisticLoss computes it for one part). */
function meanLoss(z: Tensor): Float64Array { return z.softplus(1, 20).mean(1).toFloat64Array(); }

/** f = uW^T relu(preW) + uV^T relu(preV) per part, [P, n], and the relu outputs. */
function outputs(s: Stacks, pre: Pre): { hW: Tensor; hV: Tensor; f: Tensor } {
  const hW = pre.preW.relu(), hV = pre.preV.relu();
  return { hW, hV, f: mvEach(hW, s.uW).add(mvEach(hV, s.uV)) };
}

export class BatchedSyntheticTrainer {
  /** Indices (into trainers) of the parts still training, in order. */
  private active: number[] = [];
  private stacks: Stacks | null = null;
  /** Clean pre-activations at the current stacked weights (reused by the next update). */
  private clean: Pre | null = null;
  /** Parts whose model parameters lag behind their slice of the stack. */
  private readonly dirty = new Set<number>();

  /** The names of the stacked weights (on x1, on x2) and the input the x2 weight multiplies, per part. */
  private readonly views: BlockView[];

  constructor(readonly trainers: SyntheticTrainer[]) {
    if (trainers.length === 0) throw new Error('BatchedSyntheticTrainer: no parts');
    this.views = trainers.map((t) => {
      const view = t.model.blockView?.();
      if (t.trainConfig.update !== 'noisy-gd' || !view) throw new Error('BatchedSyntheticTrainer: only noisy GD on the block net trains batched');
      return view;
    });
    const shapes = trainers.map((t, k) => {
      const p = t.model.params;
      return JSON.stringify([t.trainConfig.update, t.seedSetup.splits.train.x1.shape, p.get(this.views[k]!.w).shape, p.get(this.views[k]!.v).shape, p.get(this.views[k]!.v).dtype]);
    });
    const other = shapes.findIndex((sh) => sh !== shapes[0]);
    if (other >= 0) throw new Error(`BatchedSyntheticTrainer: part ${other} does not share the first part's update, shapes and dtype (${shapes[other]} vs ${shapes[0]}): batch only parts with the same batchKey`);
  }

  get done(): boolean { return this.trainers.every((t) => t.done); }

  /** Copy part k's slice of the stacked weights into its model (before it is evaluated, saved or fingerprinted). */
  sync(k: number): void {
    if (!this.dirty.has(k) || !this.stacks) return;
    const j = this.active.indexOf(k);
    const params = this.trainers[k]!.model.params;
    const view = this.views[k]!;
    noGrad(() => tidy(() => {
      params.get(view.w).copy_(this.stacks!.W.narrow(0, j, 1).squeeze(0));
      params.get(view.v).copy_(this.stacks!.V.narrow(0, j, 1).squeeze(0));
    }));
    this.dirty.delete(k);
  }

  /** Part k's weights (or state) were replaced, e.g. from a checkpoint: rebuild the stack from the models. */
  invalidate(k: number): void {
    this.dirty.delete(k);
    this.drop();
  }

  private drop(): void {
    for (const k of [...this.dirty]) this.sync(k);
    if (this.stacks) for (const t of Object.values(this.stacks)) t.dispose();
    if (this.clean) { this.clean.preW.dispose(); this.clean.preV.dispose(); }
    this.stacks = null;
    this.clean = null;
  }

  private build(): Stacks {
    this.active = this.trainers.flatMap((t, k) => (t.done ? [] : [k]));
    const of = (f: (t: SyntheticTrainer, view: BlockView) => Tensor) => keep(tidy(() => stack(this.active.map((k) => f(this.trainers[k]!, this.views[k]!)))));
    return noGrad(() => ({
      X1: of((t) => t.seedSetup.splits.train.x1), X2: of((t, v) => v.vInput(t.seedSetup.splits.train.x2)), Y: of((t) => t.seedSetup.splits.train.y),
      uW: of((t) => t.model.params.get('uW')), uV: of((t) => t.model.params.get('uV')),
      W: of((t, v) => t.model.params.get(v.w)), V: of((t, v) => t.model.params.get(v.v)),
    }));
  }

  private cleanPre(s: Stacks): Pre {
    return { preW: bmm(s.X1, s.W.transpose(1, 2)), preV: bmm(s.X2, s.V.transpose(1, 2)) };
  }

  /** One update of every part still training (each as SyntheticTrainer.advance would make it). */
  advance(): void {
    if (this.done) return;
    const s = this.stacks ??= this.build();
    const parts = this.active.map((k) => this.trainers[k]!);
    const P = parts.length;
    const lrs = parts.map((p) => p.lr), noises = parts.map((p) => p.noise);
    const lambdas = parts.map((p) => p.trainConfig.lambda), tauXis = parts.map((p) => p.trainConfig.tauXi);
    const n = s.Y.shape[1]!;
    const dtype = s.W.dtype;
    let losses: Float64Array = new Float64Array(P);
    const measured: { loss: Float64Array | null } = { loss: null };
    noGrad(() => tidy(() => {
      const pre = this.clean ?? this.cleanPre(s);
      // the training forward: the clean pre-activations plus each noisy part's own noise (W's block, then V's)
      const noisy = noises.flatMap((v, j) => (v > 0 ? [j] : []));
      let preW = pre.preW, preV = pre.preV;
      if (noisy.length > 0) {
        const idx = tensor(Int32Array.from(noisy), { dtype: 'int64' });
        const std = tensor(Float64Array.from(noisy.map((j) => noises[j]!)), { shape: [noisy.length, 1, 1], dtype });
        const gens = noisy.map((j) => parts[j]!.generators.preact);
        const noiseW = normalEach_(zeros([noisy.length, ...preW.shape.slice(1)], { dtype }), gens);
        const noiseV = normalEach_(zeros([noisy.length, ...preV.shape.slice(1)], { dtype }), gens);
        preW = preW.clone().indexCopy_(0, idx, preW.indexSelect(0, idx).add(noiseW.mul(std)));
        preV = preV.clone().indexCopy_(0, idx, preV.indexSelect(0, idx).add(noiseV.mul(std)));
      }
      const { hW, hV, f } = outputs(s, { preW, preV });
      const z = rowwise(f.mul(s.Y).neg());
      losses = meanLoss(z);
      const ok = Array.from(losses, (v) => Number.isFinite(v));
      // the closed-form backward, op for op what autograd runs for the mean logistic loss
      const gf = softplusBackward(ones([P, n], { dtype }).div(n), z, 1, 20).neg().mul(s.Y).unsqueeze(2);
      const grad = (X: Tensor, h: Tensor, u: Tensor) => bmm(thresholdBackward(gf.mul(u.unsqueeze(1)), h, 0).transpose(1, 2), X);
      const grads: [Tensor, Tensor][] = [[s.W, grad(s.X1, hW, s.uW)], [s.V, grad(s.X2, hV, s.uV)]];
      // a part whose loss is not finite is not updated (and draws no gradient noise)
      const keepSlices = ok.every(Boolean) ? null : grads.map(([w]) => w.clone());
      for (const [w, g] of grads) {
        if (lambdas.some((l) => l > 0)) addEach_(g, w, lambdas);
        if (tauXis.some((v) => v > 0)) addEach_(g, normalEach_(zeros(w.shape, { dtype }), parts.map((p, j) => (ok[j] && tauXis[j]! > 0 ? p.generators.gradNoise : null))), tauXis);
        addEach_(w, g, lrs.map((lr) => -lr));
      }
      if (keepSlices) {
        const bad = tensor(Int32Array.from(ok.flatMap((v, j) => (v ? [] : [j]))), { dtype: 'int64' });
        grads.forEach(([w], i) => w.indexCopy_(0, bad, keepSlices[i]!.indexSelect(0, bad)));
      }
      // what a part's model updates besides its trained weights (after its gradient noise, as alone)
      parts.forEach((p, j) => { if (ok[j]) p.model.afterUpdate?.({ lr: lrs[j]!, weightDecay: lambdas[j]!, gradNoiseStd: tauXis[j]!, gen: p.generators.gradNoise }); });
      // the clean loss at the new weights, where a part measures it; the next update starts from it
      if (this.clean) { this.clean.preW.dispose(); this.clean.preV.dispose(); this.clean = null; }
      if (parts.some((p, j) => p.measuresLoss(noises[j]!, losses[j]!))) {
        const next = this.cleanPre(s);
        measured.loss = meanLoss(rowwise(outputs(s, next).f.mul(s.Y).neg()));
        this.clean = { preW: keep(next.preW), preV: keep(next.preV) };
      }
    }));
    let stopped = false;
    parts.forEach((p, j) => {
      this.dirty.add(this.active[j]!);
      p.finishStep(lrs[j]!, noises[j]!, losses[j]!, () => measured.loss![j]!);
      if (p.done) stopped = true;
    });
    if (stopped) this.drop(); // the stack shrinks to the parts still training
  }

  dispose(): void { this.drop(); }
}
