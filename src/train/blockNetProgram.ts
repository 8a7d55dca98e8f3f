// The block net's training step (Section 2: f = w^T relu(W x1) + v^T relu(V x2), mean logistic
// loss) for parts stacked along dim 0, in closed form: the forward by one product per block and
// part, the loss per part, and the gradient of W and V by the backward kernels autograd itself runs
// for that forward (no graph). Every slice goes through the ATen call a lone part's autograd step
// makes, with the same strides, so each part's numbers are those of training it alone: products by
// mmEach (at::mm per slice; at::bmm takes another kernel below 400 multiply-adds per slice and
// rounds differently), elementwise ops either exact per element or run row by row (rowwise).
// Shared by both updates of the batched trainer (noisy GD (3.1) on the full batch, minibatch SGD).
import { Tensor, addEach_, mmEach, mvEach, normalEach_, ones, softplusBackward, tensor, thresholdBackward, zeros, type Generator } from '../engine/index.js';

/** The trained weights per part ([P, mW, d] and [P, mV, k]) and their fixed second layers ([P, mW], [P, mV]). */
export interface StackedNet { W: Tensor; V: Tensor; uW: Tensor; uV: Tensor }
/** What one update trains on, per part: W's input x1 [P, b, d], V's input [P, b, k] (vInput(x2)), the labels [P, b]. */
export interface StackedData { X1: Tensor; X2: Tensor; Y: Tensor }
/** Pre-activations per part: x1 W^T [P, b, mW] and (vInput x2) V^T [P, b, mV]. */
export interface Pre { preW: Tensor; preV: Tensor }

/**
 * t [P, n] as a view whose rows are n apart in memory no longer (stride n + 1): an elementwise op then
 * runs row by row, each row through the vectorized loop and its scalar tail exactly as a lone [n]
 * tensor (a contiguous [P, n] is one flat array, and where n is not a multiple of the vector width
 * its rows would meet other lanes: transcendental kernels such as exp differ in the last bit there).
 */
export function rowwise(t: Tensor): Tensor {
  const [P, n] = t.shape as [number, number];
  return zeros([P, n + 1], { dtype: t.dtype }).narrow(1, 0, n).copy_(t);
}

/** Mean logistic loss per part, [P], from z = -y f (as logisticLoss computes it for one part). */
function meanLoss(z: Tensor): Float64Array { return z.softplus(1, 20).mean(1).toFloat64Array(); }

/** The clean pre-activations of the data at the weights (linear(x1, W) and linear(vInput x2, V) per part). */
export function preActivations(net: StackedNet, data: StackedData): Pre {
  return { preW: mmEach(data.X1, net.W.transpose(1, 2)), preV: mmEach(data.X2, net.V.transpose(1, 2)) };
}

/** f = uW^T relu(preW) + uV^T relu(preV) per part, [P, b], and the relu outputs. */
function outputs(net: StackedNet, pre: Pre): { hW: Tensor; hV: Tensor; f: Tensor } {
  const hW = pre.preW.relu(), hV = pre.preV.relu();
  return { hW, hV, f: mvEach(hW, net.uW).add(mvEach(hV, net.uV)) };
}

/** The clean mean training loss per part at pre-activations `pre` of `data` (datasetLoss of each part). */
export function cleanLoss(net: StackedNet, data: StackedData, pre: Pre): Float64Array {
  return meanLoss(rowwise(outputs(net, pre).f.mul(data.Y).neg()));
}

/**
 * `pre` plus Gaussian noise of std noises[j] in part j's pre-activations (W's block, then V's, drawn
 * from gens[j] as its lone forward draws them: Appendix F.1's noise inside the relu); parts with std 0
 * draw nothing and keep `pre`.
 */
export function noisyPre(pre: Pre, noises: number[], gens: Generator[]): Pre {
  const noisy = noises.flatMap((v, j) => (v > 0 ? [j] : []));
  if (noisy.length === 0) return pre;
  const dtype = pre.preW.dtype;
  const idx = tensor(Int32Array.from(noisy), { dtype: 'int64' });
  const std = tensor(Float64Array.from(noisy.map((j) => noises[j]!)), { shape: [noisy.length, 1, 1], dtype });
  const g = noisy.map((j) => gens[j]!);
  const noiseW = normalEach_(zeros([noisy.length, ...pre.preW.shape.slice(1)], { dtype }), g);
  const noiseV = normalEach_(zeros([noisy.length, ...pre.preV.shape.slice(1)], { dtype }), g);
  return {
    preW: pre.preW.clone().indexCopy_(0, idx, pre.preW.indexSelect(0, idx).add(noiseW.mul(std))),
    preV: pre.preV.clone().indexCopy_(0, idx, pre.preV.indexSelect(0, idx).add(noiseV.mul(std))),
  };
}

/**
 * The mean logistic loss per part of the net whose pre-activations of `data` are `pre` (noise
 * included), and its gradient w.r.t. W and V: the closed-form backward, op for op what autograd runs
 * for linear -> relu -> mv -> add -> mul(y) -> neg -> softplus -> mean (the loss's
 * backward through softplus_backward, relu's through threshold_backward on its output, mm's for a
 * transposed weight as grad^T x).
 */
export function lossAndGrads(net: StackedNet, data: StackedData, pre: Pre): { losses: Float64Array; gW: Tensor; gV: Tensor } {
  const [P, b] = data.Y.shape as [number, number];
  const dtype = net.W.dtype;
  const { hW, hV, f } = outputs(net, pre);
  const z = rowwise(f.mul(data.Y).neg());
  const losses = meanLoss(z);
  const gf = softplusBackward(ones([P, b], { dtype }).div(b), z, 1, 20).neg().mul(data.Y).unsqueeze(2);
  const grad = (X: Tensor, h: Tensor, u: Tensor) => mmEach(thresholdBackward(gf.mul(u.unsqueeze(1)), h, 0).transpose(1, 2), X);
  return { losses, gW: grad(data.X1, hW, net.uW), gV: grad(data.X2, hV, net.uV) };
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
