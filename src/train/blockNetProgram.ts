// The block net's training step (Section 2: f = w^T relu(W x1) + v^T relu(V x2), mean logistic
// loss) for parts stacked along dim 0, in closed form: the forward by one product per block and
// part, the loss per part, and the gradient of W and V by the backward kernels autograd itself runs
// for that forward (no graph). Every slice goes through the ATen call a lone part's autograd step
// makes, with the same strides, so each part's numbers are those of training it alone: products by
// mmEach (at::mm per slice; at::bmm takes another kernel below 400 multiply-adds per slice and
// rounds differently), elementwise ops either exact per element or run row by row (rowwise).
// Shared by both updates of the batched trainer (noisy GD (3.1) on the full batch, minibatch SGD),
// which is also SyntheticTrainer's own step on the block net (one part).
import { Tensor, addEach_, arange, cat, addNormalEach_, mmEach, mvEach, ones, reluGradMmEach, softplusBackward, tensor, zeros, type DType, type Generator } from '../engine/index.js';

/**
 * The trained weights per part (W [P, mW, d], V [P, mV, k]) with their transposes (views, what the
 * products take, as linear takes W^T), and the fixed second layers ([P, mW], [P, mV]).
 */
export interface StackedNet { W: Tensor; V: Tensor; Wt: Tensor; Vt: Tensor; uW: Tensor; uV: Tensor }
/**
 * The parts' x2 as rays (X2Rays), stacked: each part's directions as V multiplies them (vInput of the
 * directions) [P, K, k], each row's direction [P, n] (int64 in [0, K)) and scale [P, n].
 */
export interface StackedRays { D: Tensor; index: Tensor; scale: Tensor }
/**
 * What one update trains on, per part: W's input x1 [P, b, d], V's input [P, b, k] (vInput(x2)), and
 * the negated labels -y [P, b]: z = f (-y) and dz/df = -y are bit for bit what neg(mul(f, y)) and
 * its backward give (|y| = 1: each is a sign flip, exact); and x2 as rays, where the data has them.
 */
export interface StackedData { X1: Tensor; X2: Tensor; negY: Tensor; rays: StackedRays | null }
/**
 * V's block of a group of parts, as the backward needs it: the parts (positions in the stack), their
 * second layer u, what V multiplied (X: the rows' V input, or the directions D) and the relu output
 * h; on rays also each row's slot in the group's flattened [parts K] and its scale.
 */
export interface VBlock { parts: number[]; u: Tensor; X: Tensor; h: Tensor; rays: { slot: Tensor; scale: Tensor } | null }
/** The forward pass: W's relu output, V's block by group, z = -y f [P, b] (rowwise) and the mean loss per part. */
export interface Forward { hW: Tensor; v: VBlock[]; z: Tensor; losses: Float64Array }

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

/** The clean pre-activations of W's block (linear(x1, W) per part). */
export function preActivationsW(net: StackedNet, data: StackedData): Tensor { return mmEach(data.X1, net.Wt); }

/**
 * Gaussian noise of std noises[j] added in place to part j's W pre-activations, drawn from gens[j]
 * as its lone forward draws them (Appendix F.1's noise inside the relu, with its rounding:
 * addNormalEach_); parts with std 0 draw nothing. (Their V block's noise follows in forward, from the
 * same generators: a lone part draws W's block, then V's.)
 */
export function noisyW(preW: Tensor, noises: number[], gens: Generator[]): Tensor {
  if (noises.some((v) => v > 0)) addNormalEach_(preW, noises.map((v, j) => (v > 0 ? gens[j]! : null)), noises);
  return preW;
}

/** Whether parts (ascending positions) are one run of consecutive positions. */
const consecutive = (parts: number[]) => parts.every((j, i) => j === parts[0]! + i);

/** The slices `parts` of a stack [P, ...]: the stack itself, a narrowed view (consecutive parts: the same per-slice layout), or a copy. */
function slices(t: Tensor, parts: number[]): Tensor {
  if (parts.length === t.shape[0]) return t;
  if (consecutive(parts)) return t.narrow(0, parts[0]!, parts.length);
  return t.indexSelect(0, tensor(Int32Array.from(parts), { dtype: 'int64' }));
}

/** Per-group results [parts, ...] put back in stack order [P, ...]: one cat where the groups follow each other, else copies into place. */
function assemble(groups: number[][], values: Tensor[], shape: number[], dtype: DType): Tensor {
  if (values.length === 1) return values[0]!;
  let next = 0;
  if (groups.every((g) => consecutive(g) && g[0] === next && (next += g.length) > 0)) return cat(values, 0);
  const out = zeros(shape, { dtype });
  groups.forEach((g, i) => out.indexCopy_(0, tensor(Int32Array.from(g), { dtype: 'int64' }), values[i]!));
  return out;
}

/**
 * The forward pass from W's pre-activations (its noise added): f = uW^T relu(preW) + uV^T relu(V x2)
 * per part, z = -y f and the mean logistic loss per part (as logisticLoss computes it for one part).
 * V's block as a lone part's model computes it (x2Unit): on the rays (once per direction, then picked
 * and scaled per row) for the parts without noise where the data has rays; on the rows, with noise
 * of std noises[j] from gens[j], for the others. A batch that mixes both runs each group on its own
 * slices (the batched trainer stacks the parts on rays first, so each group is a view).
 */
export function forward(net: StackedNet, data: StackedData, preW: Tensor, noises: number[], gens: Generator[]): Forward {
  const [P, b] = data.negY.shape as [number, number];
  const rays = data.rays;
  const onRays = noises.map((v) => rays !== null && v === 0);
  const groups = [true, false].map((r) => onRays.flatMap((x, j) => (x === r ? [j] : []))).filter((g) => g.length > 0);
  const v: VBlock[] = [];
  const fVs = groups.map((g) => {
    const u = slices(net.uV, g), Vt = slices(net.V, g).transpose(1, 2);
    if (onRays[g[0]!]) {
      const D = slices(rays!.D, g), K = D.shape[1]!;
      const h = mmEach(D, Vt).relu();
      // row i of part j reads slot j K + index: one index_select over the group's flattened [parts K], as a lone part's over its [K]
      const slot = slices(rays!.index, g).add(arange(0, g.length * K, K, { dtype: 'int64' }).unsqueeze(1)).reshape([g.length * b]);
      const scale = slices(rays!.scale, g);
      v.push({ parts: g, u, X: D, h, rays: { slot, scale } });
      return mvEach(h, u).reshape([g.length * K]).indexSelect(0, slot).reshape([g.length, b]).mul(scale);
    }
    const X = slices(data.X2, g);
    const pre = mmEach(X, Vt);
    const ns = g.map((j) => noises[j]!);
    if (ns.some((x) => x > 0)) addNormalEach_(pre, g.map((j) => (noises[j]! > 0 ? gens[j]! : null)), ns);
    const h = pre.relu();
    v.push({ parts: g, u, X, h, rays: null });
    return mvEach(h, u);
  });
  const fV = assemble(groups, fVs, [P, b], data.negY.dtype);
  const hW = preW.relu();
  const z = rowwise(mvEach(hW, net.uW).add(fV).mul(data.negY));
  return { hW, v, z, losses: z.softplus(1, 20).mean(1).toFloat64Array() };
}

/** The tensors a forward pass made (to keep or dispose them; the stacks it read stay as they are). */
export function forwardTensors(f: Forward, data: StackedData, net: StackedNet): Tensor[] {
  const read = new Set<Tensor>([net.uV, data.X2, ...(data.rays ? [data.rays.D, data.rays.scale] : [])]);
  return [f.hW, f.z, ...f.v.flatMap((g) => [g.h, g.u, g.X, ...(g.rays ? [g.rays.slot, g.rays.scale] : [])])].filter((t) => !read.has(t));
}

/**
 * The gradient of the mean loss w.r.t. W and V from the forward pass: the closed-form backward, op
 * for op what autograd runs for linear -> relu -> mv -> add -> mul(y) -> neg -> softplus -> mean
 * (dMean: meanGrad; the loss's backward through softplus_backward, relu's through threshold_backward
 * on its output, mm's for a transposed weight as grad^T x). On rays, before the relu layer: mul's
 * backward (gf scale) and index_select's (index_add_ into zeros of the directions' slots).
 */
export function gradients(net: StackedNet, data: StackedData, fwd: Forward, dMean: Tensor): { gW: Tensor; gV: Tensor } {
  const gf = softplusBackward(dMean, fwd.z, 1, 20).mul(data.negY);
  // (reluGradMmEach: mmEach(thresholdBackward(g (x) u, h, 0)^T, X) in one call, bit for bit)
  const gW = reluGradMmEach(gf, net.uW, fwd.hW, data.X1);
  const gVs = fwd.v.map((g) => {
    const gfg = slices(gf, g.parts);
    if (!g.rays) return reluGradMmEach(gfg, g.u, g.h, g.X);
    const [Pg, K] = g.h.shape as [number, number];
    const gD = zeros([Pg * K], { dtype: gf.dtype }).indexAdd_(0, g.rays.slot, gfg.mul(g.rays.scale).reshape([-1])).reshape([Pg, K]);
    return reluGradMmEach(gD, g.u, g.h, g.X);
  });
  return { gW, gV: assemble(fwd.v.map((g) => g.parts), gVs, net.V.shape, gf.dtype) };
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
