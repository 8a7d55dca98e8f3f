// Ops of batched programs: dim 0 stacks same-shaped problems (the parts of a run trained together),
// each slice computed by the same ATen call a lone tensor would get, so a batched program reproduces
// its parts' numbers; and the backward kernels autograd itself calls, for closed-form gradients that
// equal autograd's bit for bit.
import { native } from './native.js';
import { Tensor } from './tensor.js';
import type { Generator } from './random.js';

function need3(op: string, t: Tensor, name: string): void {
  if (t.ndim !== 3) throw new Error(`${op}: ${name} must be 3-D [P, ., .], got [${t.shape.join(', ')}]`);
}

/** Batched matrix product: a [P, n, k] x b [P, k, m] -> [P, n, m]. */
export function bmm(a: Tensor, b: Tensor): Tensor {
  need3('bmm', a, 'a');
  need3('bmm', b, 'b');
  return new Tensor(native.bmm(a.handle, b.handle));
}

/**
 * a[k] b[k] for every slice k, each as a lone mm computes it, the slices side by side on the
 * intra-op threads: a [P, n, k] x b [P, k, m] -> [P, n, m]. Where ATen's mm sums each element's
 * products one fused multiply-add at a time in k order (OpenBLAS's Haswell/Zen kernels do in double,
 * and in float on some shapes; the addon checks each shape, layout and dtype once on random
 * operands), the slices are multiplied by the addon's own loop of that order, without a BLAS call
 * per slice; elsewhere by the BLAS call ATen makes, made directly (without ATen's dispatch around
 * it), where that too gives mm's bits. The same bits, several times faster on small slices
 * (mmEachKernel says which way).
 */
export function mmEach(a: Tensor, b: Tensor): Tensor {
  need3('mmEach', a, 'a');
  need3('mmEach', b, 'b');
  return new Tensor(native.mmEach(a.handle, b.handle));
}

/**
 * The gradient of a relu layer's weights per slice: thresholdBackward(gf[k] (x) u[k], h[k], 0)^T X[k]
 * for gf [P, b] (the output's gradient), u [P, m] (the second layer), h [P, b, m] (the relu's
 * output) and X [P, b, c] (the input) -> [P, m, c], with the bits of
 * mmEach(thresholdBackward(gf.unsqueeze(2).mul(u.unsqueeze(1)), h, 0).transpose(1, 2), X), without
 * its [P, b, m] tensors (each slice's masked outer product is made in a buffer, then multiplied as
 * mmEach multiplies it). No autograd: use it under noGrad.
 */
export function reluGradMmEach(gf: Tensor, u: Tensor, h: Tensor, X: Tensor): Tensor {
  return new Tensor(native.reluGradMmEach(gf.handle, u.handle, h.handle, X.handle));
}

/** How mmEach(a, b) multiplies the slices: 'chain' (the addon's own loop), 'blas' (the BLAS call itself), each where it gives at::mm's bits, or 'mm' (at::mm per slice). */
export function mmEachKernel(a: Tensor, b: Tensor): 'chain' | 'blas' | 'mm' {
  need3('mmEachKernel', a, 'a');
  need3('mmEachKernel', b, 'b');
  return native.mmEachKernel(a.handle, b.handle);
}

/**
 * A[k] v[k] for every slice k (a matrix-vector product each, as a lone mv computes it): A [P, n, h],
 * v [P, h] -> [P, n]; by the BLAS call ATen makes, made directly, where the addon has checked that
 * this gives mv's bits (mvEachKernel says which way).
 */
export function mvEach(A: Tensor, v: Tensor): Tensor { return new Tensor(native.mvEach(A.handle, v.handle)); }

/** How mvEach(A, v) multiplies the slices: 'blas' (the BLAS call itself, where it gives at::mv's bits) or 'mv' (at::mv per slice). */
export function mvEachKernel(A: Tensor, v: Tensor): 'blas' | 'mv' { return native.mvEachKernel(A.handle, v.handle); }

/** dst[k] += alphas[k] * src[k] for every slice k, in place (use under noGrad for parameters). */
export function addEach_(dst: Tensor, src: Tensor, alphas: number[]): Tensor {
  if (alphas.some((a) => !Number.isFinite(a))) throw new Error(`addEach_: alphas must be finite numbers, got ${JSON.stringify(alphas)}`);
  native.addEach_(dst.handle, src.handle, alphas);
  return dst;
}

/**
 * Fill slice k of t with N(mean, std^2) draws from gens[k] (the draws of normal_ on that slice alone),
 * in place, slices in parallel; a null generator leaves its slice as it is. The generators must be distinct.
 * A float32 slice of 16 or more elements is filled by the addon's own loop where that gives ATen's
 * bits (normalKernel says which way).
 */
export function normalEach_(t: Tensor, gens: (Generator | null)[], mean = 0, std = 1): Tensor {
  native.normalEach_(t.handle, gens.map((g) => g?.native ?? null), mean, std);
  return t;
}

/**
 * t[k] += stds[k] * N(0, 1) for every slice k whose generator is not null, in place, slices in
 * parallel: slice k's noise drawn from gens[k] into a tensor of its own, so each slice gets the draws
 * and the rounding of t[k].add(randn(t[k].shape, gens[k]).mul(stds[k])) (a lone pre-activation noise).
 * The generators must be distinct.
 */
export function addNormalEach_(t: Tensor, gens: (Generator | null)[], stds: number[]): Tensor {
  if (stds.some((s) => !Number.isFinite(s))) throw new Error(`addNormalEach_: stds must be finite numbers, got ${JSON.stringify(stds)}`);
  native.addNormalEach_(t.handle, gens.map((g) => g?.native ?? null), stds);
  return t;
}

/**
 * How normalEach_ and addNormalEach_ fill a slice shaped and typed as t: 'fill', the addon's own loop
 * (ATen's float32 kernel with its uniforms drawn 8 at a time from a copy of the generator's MT19937
 * state, where the addon has checked once that this gives at::normal_'s bits and leaves the generator
 * where it does), or 'normal_' (at::normal_ itself).
 */
export function normalKernel(t: Tensor): 'fill' | 'normal_' { return native.normalKernel(t.handle); }

/** The backward of relu (threshold 0): grad where x > threshold, else 0. */
export function thresholdBackward(grad: Tensor, x: Tensor, threshold = 0): Tensor {
  return new Tensor(native.thresholdBackward(grad.handle, x.handle, threshold));
}

/** The backward of x.softplus(beta, threshold): grad times d softplus / dx, as autograd computes it. */
export function softplusBackward(grad: Tensor, x: Tensor, beta = 1, threshold = 20): Tensor {
  return new Tensor(native.softplusBackward(grad.handle, x.handle, beta, threshold));
}
