// The block net's training step (Section 2: f = w^T relu(W x1) + v^T relu(V x2), mean logistic
// loss) for parts stacked along dim 0, in closed form: the forward by one product per block and
// part, the loss per part, and the gradient of W and V by the backward kernels autograd itself runs
// for that forward (no graph). Every slice goes through the ATen call a lone part's autograd step
// makes, with the same strides, so each part's numbers are those of training it alone: products by
// mmEach (at::mm per slice; at::bmm takes another kernel below 400 multiply-adds per slice and
// rounds differently), elementwise ops either exact per element or run row by row (rowwise).
// Shared by both updates of the batched trainer (noisy GD (3.1) on the full batch, minibatch SGD),
// which is also SyntheticTrainer's own step on the block net (one part).
import { Tensor, addEach_, arange, addNormalEach_, mmEach, mvEach, ones, reluGradMmEach, softplusBackward, tensor, zeros, type DType, type Generator } from '../engine/index.js';

/**
 * The trained weights per part (W [P, mW, d], V [P, mV, k]) with their transposes (views, what the
 * products take, as linear takes W^T), and the fixed second layers ([P, mW], [P, mV]).
 */
export interface StackedNet { W: Tensor; V: Tensor; Wt: Tensor; Vt: Tensor; uW: Tensor; uV: Tensor }
/**
 * What one update trains on, per part: W's input x1 [P, b, d], V's input [P, b, k] (vInput(x2)), and
 * the negated labels -y [P, b]: z = f (-y) and dz/df = -y are bit for bit what neg(mul(f, y)) and
 * its backward give (|y| = 1: each is a sign flip, exact).
 */
export interface StackedData { X1: Tensor; X2: Tensor; negY: Tensor }
/** Pre-activations per part: x1 W^T [P, b, mW] and (vInput x2) V^T [P, b, mV]. */
export interface Pre { preW: Tensor; preV: Tensor }
/** The forward pass from pre-activations: the relu outputs, z = -y f [P, b] (rowwise) and the mean loss per part. */
export interface Forward { hW: Tensor; hV: Tensor; z: Tensor; losses: Float64Array }

/** The net of stacked weights and second layers, with the views the step takes of them. */
export function stackedNet(W: Tensor, V: Tensor, uW: Tensor, uV: Tensor): StackedNet {
  return { W, V, Wt: W.transpose(1, 2), Vt: V.transpose(1, 2), uW, uV };
}

/** d mean / d loss_i for P means over b examples each, [P, b]: 1 / b, as autograd's mean backward divides. */
export function meanGrad(P: number, b: number, dtype: DType): Tensor { return ones([P, b], { dtype }).div(b); }

/**
 * t [P, n] as a view whose rows are n apart in memory no longer (stride n + 1): an elementwise op then
 * runs row by row, each row through the vectorized loop and its scalar tail exactly as a lone [n]
 * tensor (a contiguous [P, n] is one flat array, and where n is not a multiple of the vector width
 * its rows would meet other lanes: transcendental kernels such as exp differ in the last bit there).
 * One row (P = 1) is laid out as a lone [n] already: t itself.
 */
export function rowwise(t: Tensor): Tensor {
  const [P, n] = t.shape as [number, number];
  return P === 1 ? t : zeros([P, n + 1], { dtype: t.dtype }).narrow(1, 0, n).copy_(t);
}

/** The clean pre-activations of the data at the weights (linear(x1, W) and linear(vInput x2, V) per part). */
export function preActivations(net: StackedNet, data: StackedData): Pre {
  return { preW: mmEach(data.X1, net.Wt), preV: mmEach(data.X2, net.Vt) };
}

/**
 * The forward pass from pre-activations (noise included): f = uW^T relu(preW) + uV^T relu(preV) per
 * part, z = -y f, and the mean logistic loss per part (as logisticLoss computes it for one part).
 */
export function forward(net: StackedNet, data: StackedData, pre: Pre): Forward {
  const hW = pre.preW.relu(), hV = pre.preV.relu();
  const z = rowwise(mvEach(hW, net.uW).add(mvEach(hV, net.uV)).mul(data.negY));
  return { hW, hV, z, losses: z.softplus(1, 20).mean(1).toFloat64Array() };
}

/**
 * The parts' x2 as rays (X2Rays), stacked: each part's directions as V multiplies them (vInput of the
 * directions) [P, K, k], each row's direction [P, n] (int64 in [0, K)) and scale [P, n].
 */
export interface StackedRays { D: Tensor; index: Tensor; scale: Tensor }

/**
 * The clean mean loss per part with the V block on the rays (the model's forward with x2Rays, as
 * datasetLoss makes it for one part): uV^T relu(V d) once per direction d and part, picked and scaled
 * per row; W's block on the rows.
 */
export function lossesOnRays(net: StackedNet, X1: Tensor, negY: Tensor, rays: StackedRays): Float64Array {
  const [P, n] = negY.shape as [number, number];
  const K = rays.D.shape[1]!;
  const gD = mvEach(mmEach(rays.D, net.Vt).relu(), net.uV);
  const flat = rays.index.add(arange(0, P * K, K, { dtype: 'int64' }).unsqueeze(1)).reshape([P * n]); // (part j's rows index its K slots from j K)
  const fV = gD.reshape([P * K]).indexSelect(0, flat).reshape([P, n]).mul(rays.scale);
  const z = rowwise(mvEach(mmEach(X1, net.Wt).relu(), net.uW).add(fV).mul(negY));
  return z.softplus(1, 20).mean(1).toFloat64Array();
}

/**
 * `pre` plus Gaussian noise of std noises[j] in part j's pre-activations (W's block, then V's, drawn
 * from gens[j] as its lone forward draws them: Appendix F.1's noise inside the relu, with its
 * rounding: addNormalEach_); parts with std 0 draw nothing and keep theirs. The noise is added in
 * place: `pre` is the noisy one afterwards.
 */
export function noisyPre(pre: Pre, noises: number[], gens: Generator[]): Pre {
  if (noises.every((v) => v === 0)) return pre;
  const g = noises.map((v, j) => (v > 0 ? gens[j]! : null));
  addNormalEach_(pre.preW, g, noises);
  addNormalEach_(pre.preV, g, noises);
  return pre;
}

/**
 * The gradient of the mean loss w.r.t. W and V from the forward pass: the closed-form backward, op
 * for op what autograd runs for linear -> relu -> mv -> add -> mul(y) -> neg -> softplus -> mean
 * (dMean: meanGrad; the loss's backward through softplus_backward, relu's through threshold_backward
 * on its output, mm's for a transposed weight as grad^T x).
 */
export function gradients(net: StackedNet, data: StackedData, fwd: Forward, dMean: Tensor): { gW: Tensor; gV: Tensor } {
  const gf = softplusBackward(dMean, fwd.z, 1, 20).mul(data.negY);
  // (reluGradMmEach: mmEach(thresholdBackward(gf (x) u, h, 0)^T, X) in one call, bit for bit)
  return { gW: reluGradMmEach(gf, net.uW, fwd.hW, data.X1), gV: reluGradMmEach(gf, net.uV, fwd.hV, data.X2) };
}

/**
 * dst[k] += alphas[k] src[k] in place for the slices whose alpha is not 0, the others untouched: a
 * lone update skips a term whose coefficient is 0 (weight decay, gradient noise), and x + 0 y is not
 * always x (x = -0, or y not finite).
 */
export function addWhere_(dst: Tensor, src: Tensor, alphas: number[]): void {
  const on = alphas.flatMap((a, k) => (a !== 0 ? [k] : []));
  if (on.length === alphas.length) { addEach_(dst, src, alphas); return; }
  if (on.length === 0) return;
  const idx = tensor(Int32Array.from(on), { dtype: 'int64' });
  dst.indexCopy_(0, idx, addEach_(dst.indexSelect(0, idx), src.indexSelect(0, idx), on.map((k) => alphas[k]!)));
}
