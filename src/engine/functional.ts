// Functional ops over several tensors and the neural-network ops (conv, batch norm, pooling, losses).
import { native } from './native.js';
import { Tensor, type TensorOrScalar } from './tensor.js';
import { bernoulli } from './creation.js';
import type { Generator } from './random.js';

const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);
const h = (x: TensorOrScalar) => (x instanceof Tensor ? x.handle : x);

export function cat(ts: Tensor[], dim = 0): Tensor { return new Tensor(native.cat(ts.map((t) => t.handle), dim)); }
export function stack(ts: Tensor[], dim = 0): Tensor { return new Tensor(native.stack(ts.map((t) => t.handle), dim)); }
/** cond ? a : b, elementwise. */
export function where(cond: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return new Tensor(native.where(cond.handle, h(a), h(b), !(a instanceof Tensor), !(b instanceof Tensor)));
}
export function outer(a: Tensor, b: Tensor): Tensor { return new Tensor(native.outer(a.handle, b.handle)); }

/** x W^T + b. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return new Tensor(native.linear(x.handle, weight.handle, bias ? bias.handle : null));
}

export interface Conv2dOptions { stride?: number | [number, number]; padding?: number | [number, number]; dilation?: number | [number, number]; groups?: number }
/** 2-D convolution of x [N,C,H,W] with weight [O,C/groups,kh,kw]. */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, o: Conv2dOptions = {}): Tensor {
  return new Tensor(native.conv2d(x.handle, weight.handle, bias ? bias.handle : null,
    pair(o.stride ?? 1), pair(o.padding ?? 0), pair(o.dilation ?? 1), o.groups ?? 1));
}

export interface BatchNormOptions {
  weight?: Tensor | null; bias?: Tensor | null;
  runningMean?: Tensor | null; runningVar?: Tensor | null;
  training: boolean; momentum?: number; eps?: number;
}
/**
 * Batch normalization over dim 1 (as torch.nn.functional.batch_norm). In training it normalizes with
 * the batch statistics and updates the running statistics in place; in eval it uses the running ones.
 */
export function batchNorm(x: Tensor, o: BatchNormOptions): Tensor {
  return new Tensor(native.batchNorm(x.handle, o.weight?.handle ?? null, o.bias?.handle ?? null,
    o.runningMean?.handle ?? null, o.runningVar?.handle ?? null, o.training, o.momentum ?? 0.1, o.eps ?? 1e-5));
}

export function maxPool2d(x: Tensor, kernel: number | [number, number], stride?: number | [number, number], padding: number | [number, number] = 0): Tensor {
  return new Tensor(native.maxPool2d(x.handle, pair(kernel), pair(stride ?? kernel), pair(padding)));
}
export function avgPool2d(x: Tensor, kernel: number | [number, number], stride?: number | [number, number], padding: number | [number, number] = 0): Tensor {
  return new Tensor(native.avgPool2d(x.handle, pair(kernel), pair(stride ?? kernel), pair(padding)));
}
export function adaptiveAvgPool2d(x: Tensor, size: number | [number, number]): Tensor {
  return new Tensor(native.adaptiveAvgPool2d(x.handle, pair(size)));
}
export function logSoftmax(x: Tensor, dim: number): Tensor { return new Tensor(native.logSoftmax(x.handle, dim)); }
export function softmax(x: Tensor, dim: number): Tensor { return new Tensor(native.softmax(x.handle, dim)); }

export type Reduction = 'none' | 'mean' | 'sum';
const RED: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };
/** Cross-entropy of logits [N,C] against int64 class targets [N]. */
export function crossEntropy(logits: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return new Tensor(native.crossEntropy(logits.handle, target.handle, RED[reduction]));
}
/** Logistic loss log(1 + exp(-y f)) for labels y in {-1, +1}. */
export function logisticLoss(f: Tensor, y: Tensor, reduction: Reduction = 'mean'): Tensor {
  const l = f.mul(y).neg().softplus(1, 20);
  if (reduction === 'none') return l;
  const r = reduction === 'mean' ? l.mean() : l.sum();
  l.dispose();
  return r;
}

/** Inverted dropout: zeroes each element with probability p (drawn from gen) and scales by 1/(1-p). */
export function dropout(x: Tensor, p: number, training: boolean, gen: Generator): Tensor {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  if (!training || p === 0) return x.mul(1);
  const mask = bernoulli(1 - p, gen, x.shape, { dtype: x.dtype, device: x.device });
  try { return x.mul(mask).mul(1 / (1 - p)); } finally { mask.dispose(); }
}
