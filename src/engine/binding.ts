// The typed surface of the native addon (native/src/addon.cc), as tfjs-node's TFJSBinding types its
// addon: one member per exported function, so every call from src/engine is checked by tsc. The
// addon cannot check its arguments against these types, so keep them in step with addon.cc: the
// load-time check (checkBinding) and binding.test.ts catch names that drift apart; argument kinds
// are only as right as this file.
import type { Device, TypedArray } from './dtype.js';

/** A tensor: an index into the addon's tensor table (a number at run time, opaque to TypeScript). */
export type NativeHandle = { readonly __native: unique symbol };
/** A scalar operand: the addon's S() takes a number or a boolean. */
export type NativeScalar = number | boolean;
/** A dtype code shared with dtype.ts (DTYPE_CODES). */
export type DTypeCode = number;

/** A libtorch generator object (the addon's GeneratorWrap class). */
export interface NativeGenerator {
  getState(): Buffer;
  setState(state: Uint8Array): void;
  initialSeed(): number;
}

// Devices: every device the engine hands the addon is a Device, so every device it reports is one
// too (libtorch names 'cuda' 'cuda:0'). Where `device` is optional the addon uses the CPU.
export interface NativeBinding {
  // ---------------------------------------------------------------- generators
  /** new Generator(seed, device): a CPU generator, or a clone of the device's CUDA generator, seeded. */
  Generator: new (seed: number, device?: Device) => NativeGenerator;

  // ---------------------------------------------------------------- creation
  /** A tensor of zeros. */
  zeros(shape: number[], dtype: DTypeCode, device?: Device): NativeHandle;
  /** A tensor of ones. */
  ones(shape: number[], dtype: DTypeCode, device?: Device): NativeHandle;
  /** A tensor filled with value. */
  full(shape: number[], value: NativeScalar, dtype: DTypeCode, device?: Device): NativeHandle;
  /** [start, end) by step. */
  arange(start: number, end: number, step: number, dtype: DTypeCode, device?: Device): NativeHandle;
  /** The n x n identity. */
  eye(n: number, dtype: DTypeCode, device?: Device): NativeHandle;
  /** A copy of data (whose byte length must match shape and dtype), then moved to device. */
  fromBuffer(data: TypedArray, shape: number[], dtype: DTypeCode, device?: Device): NativeHandle;

  // ---------------------------------------------------------------- random (explicit generators only)
  /** Standard normal draws. */
  randn(shape: number[], gen: NativeGenerator, dtype: DTypeCode, device?: Device): NativeHandle;
  /** Uniform draws on [0, 1). */
  rand(shape: number[], gen: NativeGenerator, dtype: DTypeCode, device?: Device): NativeHandle;
  /** Integers uniform on [low, high). */
  randint(low: number, high: number, shape: number[], gen: NativeGenerator, dtype: DTypeCode, device?: Device): NativeHandle;
  /** A random permutation of 0..n-1. */
  randperm(n: number, gen: NativeGenerator, dtype: DTypeCode, device?: Device): NativeHandle;
  /** Bernoulli draws with the probabilities in p. */
  bernoulli(p: NativeHandle, gen: NativeGenerator): NativeHandle;
  /** Fills t with N(mean, std^2) draws in place; returns t. */
  normal_(t: NativeHandle, mean: number, std: number, gen: NativeGenerator): NativeHandle;
  /** Fills t with U[low, high) draws in place; returns t. */
  uniform_(t: NativeHandle, low: number, high: number, gen: NativeGenerator): NativeHandle;

  // ---------------------------------------------------------------- elementwise (nameS: scalar right operand)
  /** a + b. */
  add(a: NativeHandle, b: NativeHandle): NativeHandle;
  /** a - b. */
  sub(a: NativeHandle, b: NativeHandle): NativeHandle;
  /** a * b. */
  mul(a: NativeHandle, b: NativeHandle): NativeHandle;
  /** a / b. */
  div(a: NativeHandle, b: NativeHandle): NativeHandle;
  /** a ** b. */
  pow(a: NativeHandle, b: NativeHandle): NativeHandle;
  /** Elementwise max(a, b). */
  maximum(a: NativeHandle, b: NativeHandle): NativeHandle;
  /** Elementwise min(a, b). */
  minimum(a: NativeHandle, b: NativeHandle): NativeHandle;
  /** a + s. */
  addS(a: NativeHandle, s: NativeScalar): NativeHandle;
  /** a - s. */
  subS(a: NativeHandle, s: NativeScalar): NativeHandle;
  /** a * s. */
  mulS(a: NativeHandle, s: NativeScalar): NativeHandle;
  /** a / s. */
  divS(a: NativeHandle, s: NativeScalar): NativeHandle;
  /** a ** s. */
  powS(a: NativeHandle, s: NativeScalar): NativeHandle;
  /** max(a, s) (clamp_min). */
  maximumS(a: NativeHandle, s: NativeScalar): NativeHandle;
  /** min(a, s) (clamp_max). */
  minimumS(a: NativeHandle, s: NativeScalar): NativeHandle;
  /** a == b (bool). */
  eq(a: NativeHandle, b: NativeHandle): NativeHandle;
  /** a != b (bool). */
  ne(a: NativeHandle, b: NativeHandle): NativeHandle;
  /** a < b (bool). */
  lt(a: NativeHandle, b: NativeHandle): NativeHandle;
  /** a <= b (bool). */
  le(a: NativeHandle, b: NativeHandle): NativeHandle;
  /** a > b (bool). */
  gt(a: NativeHandle, b: NativeHandle): NativeHandle;
  /** a >= b (bool). */
  ge(a: NativeHandle, b: NativeHandle): NativeHandle;
  /** a && b (bool). */
  logicalAnd(a: NativeHandle, b: NativeHandle): NativeHandle;
  /** a || b (bool). */
  logicalOr(a: NativeHandle, b: NativeHandle): NativeHandle;
  /** a == s (bool). */
  eqS(a: NativeHandle, s: NativeScalar): NativeHandle;
  /** a != s (bool). */
  neS(a: NativeHandle, s: NativeScalar): NativeHandle;
  /** a < s (bool). */
  ltS(a: NativeHandle, s: NativeScalar): NativeHandle;
  /** a <= s (bool). */
  leS(a: NativeHandle, s: NativeScalar): NativeHandle;
  /** a > s (bool). */
  gtS(a: NativeHandle, s: NativeScalar): NativeHandle;
  /** a >= s (bool). */
  geS(a: NativeHandle, s: NativeScalar): NativeHandle;
  /** a && s (bool). */
  logicalAndS(a: NativeHandle, s: NativeScalar): NativeHandle;
  /** a || s (bool). */
  logicalOrS(a: NativeHandle, s: NativeScalar): NativeHandle;
  /** -a. */
  neg(a: NativeHandle): NativeHandle;
  /** |a|. */
  abs(a: NativeHandle): NativeHandle;
  /** e^a. */
  exp(a: NativeHandle): NativeHandle;
  /** Natural log. */
  log(a: NativeHandle): NativeHandle;
  /** log(1 + a). */
  log1p(a: NativeHandle): NativeHandle;
  /** Square root. */
  sqrt(a: NativeHandle): NativeHandle;
  /** 1 / sqrt(a). */
  rsqrt(a: NativeHandle): NativeHandle;
  /** a^2. */
  square(a: NativeHandle): NativeHandle;
  /** -1, 0 or 1. */
  sign(a: NativeHandle): NativeHandle;
  /** Round down. */
  floor(a: NativeHandle): NativeHandle;
  /** max(a, 0). */
  relu(a: NativeHandle): NativeHandle;
  /** 1 / (1 + e^-a). */
  sigmoid(a: NativeHandle): NativeHandle;
  /** Hyperbolic tangent. */
  tanh(a: NativeHandle): NativeHandle;
  /** log(sigmoid(a)). */
  logSigmoid(a: NativeHandle): NativeHandle;
  /** !a (bool). */
  logicalNot(a: NativeHandle): NativeHandle;
  /** Whether each element is finite (bool). */
  isfinite(a: NativeHandle): NativeHandle;
  /** log(1 + exp(beta a)) / beta, linear above threshold. */
  softplus(a: NativeHandle, beta: number, threshold: number): NativeHandle;
  /** a clamped to [min, max]; a null bound is left open. */
  clamp(a: NativeHandle, min: number | null, max: number | null): NativeHandle;
  /** cond ? a : b; aIsScalar / bIsScalar say which operands are scalars rather than handles. */
  where(cond: NativeHandle, a: NativeHandle | NativeScalar, b: NativeHandle | NativeScalar, aIsScalar: boolean, bIsScalar: boolean): NativeHandle;
  /** a with value where mask is true. */
  maskedFill(a: NativeHandle, mask: NativeHandle, value: NativeScalar): NativeHandle;

  // ---------------------------------------------------------------- linear algebra
  /** Matrix product (with batching and broadcasting, as torch.matmul). */
  matmul(a: NativeHandle, b: NativeHandle): NativeHandle;
  /** x W^T + b (no bias when null). */
  linear(x: NativeHandle, weight: NativeHandle, bias: NativeHandle | null): NativeHandle;
  /** Outer product of two vectors. */
  outer(a: NativeHandle, b: NativeHandle): NativeHandle;

  // ---------------------------------------------------------------- reductions
  /** Sum over dims (all of them when null). */
  sum(a: NativeHandle, dims: number | number[] | null, keepdim: boolean): NativeHandle;
  /** Mean over dims (all of them when null). */
  mean(a: NativeHandle, dims: number | number[] | null, keepdim: boolean): NativeHandle;
  /** Variance over dims (all of them when null; keepdim is ignored then). */
  variance(a: NativeHandle, dims: number | number[] | null, unbiased: boolean, keepdim: boolean): NativeHandle;
  /** log(sum(exp(a))) over dims. */
  logsumexp(a: NativeHandle, dims: number | number[], keepdim: boolean): NativeHandle;
  /** 2-norm of all elements. */
  norm(a: NativeHandle): NativeHandle;
  /** Maximum of all elements. */
  maxAll(a: NativeHandle): NativeHandle;
  /** Minimum of all elements. */
  minAll(a: NativeHandle): NativeHandle;
  /** Maximum along dim: [values, indices]. */
  maxDim(a: NativeHandle, dim: number, keepdim: boolean): [NativeHandle, NativeHandle];
  /** Minimum along dim: [values, indices]. */
  minDim(a: NativeHandle, dim: number, keepdim: boolean): [NativeHandle, NativeHandle];
  /** Index of the maximum along dim (int64). */
  argmax(a: NativeHandle, dim: number, keepdim: boolean): NativeHandle;
  /** Index of the minimum along dim (int64). */
  argmin(a: NativeHandle, dim: number, keepdim: boolean): NativeHandle;

  // ---------------------------------------------------------------- shape
  /** Same data in a new shape (a view when possible). */
  reshape(a: NativeHandle, shape: number[]): NativeHandle;
  /** Swaps dims d0 and d1 (a view). */
  transpose(a: NativeHandle, d0: number, d1: number): NativeHandle;
  /** Reorders the dims (a view). */
  permute(a: NativeHandle, dims: number[]): NativeHandle;
  /** Drops dim if its size is 1. */
  squeeze(a: NativeHandle, dim: number): NativeHandle;
  /** Inserts a dim of size 1. */
  unsqueeze(a: NativeHandle, dim: number): NativeHandle;
  /** Broadcasts size-1 dims to shape (a view). */
  expand(a: NativeHandle, shape: number[]): NativeHandle;
  /** Tiles a, times[i] copies along dim i. */
  repeat(a: NativeHandle, times: number[]): NativeHandle;
  /** Merges dims start..end into one. */
  flatten(a: NativeHandle, start: number, end: number): NativeHandle;
  /** length elements of dim from start (a view). */
  narrow(a: NativeHandle, dim: number, start: number, length: number): NativeHandle;
  /** a in contiguous memory (a itself, as a new handle, when it already is). */
  contiguous(a: NativeHandle): NativeHandle;
  /** A copy of a (recorded by autograd). */
  clone(a: NativeHandle): NativeHandle;
  /** Concatenation along dim. */
  cat(ts: NativeHandle[], dim: number): NativeHandle;
  /** Stacking along a new dim. */
  stack(ts: NativeHandle[], dim: number): NativeHandle;
  /** The entries of a at index (int64) along dim. */
  indexSelect(a: NativeHandle, dim: number, index: NativeHandle): NativeHandle;
  /** torch.gather along dim. */
  gather(a: NativeHandle, dim: number, index: NativeHandle): NativeHandle;
  /** The elements of a where mask is true (1-D). */
  maskedSelect(a: NativeHandle, mask: NativeHandle): NativeHandle;
  /** Indices of the non-zero elements, shape [n, ndim]. */
  nonzero(a: NativeHandle): NativeHandle;
  /** a[index] = values along dim, in place; returns a. */
  indexCopy_(a: NativeHandle, dim: number, index: NativeHandle, values: NativeHandle): NativeHandle;
  indexAdd_(a: NativeHandle, dim: number, index: NativeHandle, values: NativeHandle): NativeHandle;

  // ---------------------------------------------------------------- neural-network ops
  /** 2-D convolution; stride, padding and dilation are [h, w]. */
  conv2d(x: NativeHandle, weight: NativeHandle, bias: NativeHandle | null, stride: number[], padding: number[], dilation: number[], groups: number): NativeHandle;
  /** Batch norm over dim 1; updates runningMean / runningVar in place when training. */
  batchNorm(x: NativeHandle, weight: NativeHandle | null, bias: NativeHandle | null, runningMean: NativeHandle | null, runningVar: NativeHandle | null, training: boolean, momentum: number, eps: number): NativeHandle;
  /** 2-D max pooling; kernel, stride and padding are [h, w]. */
  maxPool2d(x: NativeHandle, kernel: number[], stride: number[], padding: number[]): NativeHandle;
  /** 2-D average pooling; kernel, stride and padding are [h, w]. */
  avgPool2d(x: NativeHandle, kernel: number[], stride: number[], padding: number[]): NativeHandle;
  /** Average pooling to an output of size [h, w]. */
  adaptiveAvgPool2d(x: NativeHandle, size: number[]): NativeHandle;
  /** log(softmax(x)) along dim. */
  logSoftmax(x: NativeHandle, dim: number): NativeHandle;
  /** Softmax along dim. */
  softmax(x: NativeHandle, dim: number): NativeHandle;
  /** Cross-entropy of logits against int64 targets; reduction 0 none, 1 mean, 2 sum. */
  crossEntropy(logits: NativeHandle, target: NativeHandle, reduction: number): NativeHandle;

  // ---------------------------------------------------------------- in place (optimizers; no autograd); each returns a
  /** a += alpha * b. */
  addAlpha(a: NativeHandle, b: NativeHandle, alpha: number): NativeHandle;
  add_(a: NativeHandle, b: NativeHandle, alpha: number): NativeHandle;
  /** a += alpha * s. */
  add_S(a: NativeHandle, s: NativeScalar, alpha: number): NativeHandle;
  /** a *= b. */
  mul_(a: NativeHandle, b: NativeHandle): NativeHandle;
  /** a *= s. */
  mul_S(a: NativeHandle, s: NativeScalar): NativeHandle;
  /** a = src (converted, broadcast). */
  copy_(a: NativeHandle, src: NativeHandle): NativeHandle;
  /** a = 0. */
  zero_(a: NativeHandle): NativeHandle;
  /** a = value. */
  fill_(a: NativeHandle, value: NativeScalar): NativeHandle;
  /** a += value * b * c. */
  addcmul_(a: NativeHandle, b: NativeHandle, c: NativeHandle, value: NativeScalar): NativeHandle;

  // ---------------------------------------------------------------- batched programs (dim 0 stacks same-shaped problems)
  /** Batched matrix product [P, n, k] x [P, k, m] (at::bmm: each slice the same BLAS call as a lone mm). */
  bmm(a: NativeHandle, b: NativeHandle): NativeHandle;
  /** at::mm of each slice, slices side by side on the intra-op threads: [P, n, k] x [P, k, m] -> [P, n, m]. */
  mmEach(a: NativeHandle, b: NativeHandle): NativeHandle;
  /** How mmEach multiplies such slices: 'chain' (its own fused multiply-add chain), 'blas' (the BLAS call itself), each where that gives at::mm's bits, or 'mm'. */
  mmEachKernel(a: NativeHandle, b: NativeHandle): 'chain' | 'blas' | 'mm';
  /** at::mv of each slice: A [P, n, h], v [P, h] -> [P, n]. */
  mvEach(a: NativeHandle, v: NativeHandle): NativeHandle;
  /** How mvEach multiplies such slices: 'blas' (the BLAS call itself, where that gives at::mv's bits) or 'mv'. */
  mvEachKernel(a: NativeHandle, v: NativeHandle): 'blas' | 'mv';
  /** dst[k] += alphas[k] * src[k] slice by slice, in place; returns dst. */
  addEach_(dst: NativeHandle, src: NativeHandle, alphas: number[]): NativeHandle;
  /** Fills slice k of t with N(mean, std^2) draws from gens[k] (null: slice left as is); returns t. */
  normalEach_(t: NativeHandle, gens: (NativeGenerator | null)[], mean: number, std: number): NativeHandle;
  addNormalEach_(t: NativeHandle, gens: (NativeGenerator | null)[], stds: number[]): NativeHandle;
  normalKernel(t: NativeHandle): 'fill' | 'normal_';
  reluGradMmEach(gf: NativeHandle, u: NativeHandle, h: NativeHandle, X: NativeHandle): NativeHandle;
  /** relu's backward: grad where x > threshold, else 0. */
  thresholdBackward(grad: NativeHandle, x: NativeHandle, threshold: number): NativeHandle;
  /** softplus's backward (as autograd computes it). */
  softplusBackward(grad: NativeHandle, x: NativeHandle, beta: number, threshold: number): NativeHandle;

  // ---------------------------------------------------------------- autograd
  /** Turns gradient recording for leaf a on or off; returns a. */
  setRequiresGrad(a: NativeHandle, on: boolean): NativeHandle;
  /** Whether autograd records ops on a. */
  requiresGrad(a: NativeHandle): boolean;
  /** Whether a is a leaf of the autograd graph. */
  isLeaf(a: NativeHandle): boolean;
  /** A new handle to a's accumulated gradient (sharing its storage), or null before any backward. */
  grad(a: NativeHandle): NativeHandle | null;
  /** Sets a's gradient to g (shared, not copied), or clears it when null. */
  setGrad(a: NativeHandle, g: NativeHandle | null): void;
  /** Backpropagates from a, seeded with grad (a must be a scalar when null). */
  backward(a: NativeHandle, grad: NativeHandle | null, retainGraph: boolean): void;
  /** Keeps the gradient of non-leaf a after backward. */
  retainGrad(a: NativeHandle): void;
  /** a cut from the autograd graph (same storage). */
  detach(a: NativeHandle): NativeHandle;
  /** Turns gradient recording on or off globally; returns the previous setting. */
  setGradEnabled(on: boolean): boolean;
  /** Whether gradient recording is on. */
  isGradEnabled(): boolean;

  // ---------------------------------------------------------------- data out, metadata, memory
  /** The sizes of a's dims. */
  shape(a: NativeHandle): number[];
  /** a's dtype code (-1 for a dtype lrlab does not support). */
  dtype(a: NativeHandle): DTypeCode;
  /** a's device, as libtorch names it ('cpu', 'cuda:0'). */
  device(a: NativeHandle): Device;
  /** Number of elements. */
  numel(a: NativeHandle): number;
  /** The one element of a (a boolean for bool tensors). */
  item(a: NativeHandle): number | boolean;
  /** A copy of a's data on the CPU, converted to dtype, in row-major order. */
  toBuffer(a: NativeHandle, dtype: DTypeCode): ArrayBuffer;
  /** a converted to dtype and/or moved to device (null keeps it). */
  to(a: NativeHandle, dtype: DTypeCode | null, device: Device | null): NativeHandle;
  /** Frees the handle's table slot (a no-op for a freed or invalid handle). */
  dispose(a: NativeHandle): void;
  /** Number of live handles in the tensor table. */
  liveTensors(): number;
  /** Whether a and b are the same tensor or share storage. */
  sameStorage(a: NativeHandle, b: NativeHandle): boolean;

  // ---------------------------------------------------------------- runtime
  /** Sets libtorch's intra-op thread count. */
  setNumThreads(n: number): void;
  /** libtorch's intra-op thread count. */
  getNumThreads(): number;
  /** Sets OpenBLAS's own thread count (its GEMMs use its pool, not libtorch's); false where the BLAS is not OpenBLAS. */
  setBlasThreads(n: number): boolean;
  /** OpenBLAS's thread count (openblas_get_num_threads), -1 where another BLAS is loaded. */
  getBlasThreads(): number;
  /** Whether the linked libtorch has CUDA and a GPU is visible. */
  cudaAvailable(): boolean;
  /** Number of visible GPUs (0 without CUDA). */
  cudaDeviceCount(): number;
  /** Turns libtorch's deterministic algorithms on or off (ops without one warn rather than throw). */
  setDeterministic(on: boolean): void;
  /** libtorch's build configuration (at::show_config). */
  config(): string;
  /** libtorch's threading information (at::get_parallel_info). */
  parallelInfo(): string;
}

/** Every member of NativeBinding, in addon.cc's registration order. */
export const NATIVE_FUNCTIONS = [
  'Generator',
  'zeros', 'ones', 'full', 'arange', 'eye', 'fromBuffer',
  'randn', 'rand', 'randint', 'randperm', 'bernoulli', 'normal_', 'uniform_',
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum',
  'addS', 'subS', 'mulS', 'divS', 'powS', 'maximumS', 'minimumS',
  'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr',
  'eqS', 'neS', 'ltS', 'leS', 'gtS', 'geS', 'logicalAndS', 'logicalOrS',
  'neg', 'abs', 'exp', 'log', 'log1p', 'sqrt', 'rsqrt', 'square', 'sign', 'floor',
  'relu', 'sigmoid', 'tanh', 'logSigmoid', 'logicalNot', 'isfinite', 'softplus', 'clamp',
  'where', 'maskedFill',
  'matmul', 'linear', 'outer',
  'sum', 'mean', 'variance', 'logsumexp', 'norm', 'maxAll', 'minAll', 'maxDim', 'minDim',
  'argmax', 'argmin',
  'reshape', 'transpose', 'permute', 'squeeze', 'unsqueeze', 'expand', 'repeat', 'flatten',
  'narrow', 'contiguous', 'clone', 'cat', 'stack', 'indexSelect', 'gather', 'maskedSelect',
  'nonzero', 'indexCopy_', 'indexAdd_',
  'conv2d', 'batchNorm', 'maxPool2d', 'avgPool2d', 'adaptiveAvgPool2d', 'logSoftmax', 'softmax',
  'crossEntropy',
  'addAlpha', 'add_', 'add_S', 'mul_', 'mul_S', 'copy_', 'zero_', 'fill_', 'addcmul_',
  'bmm', 'mmEach', 'mmEachKernel', 'mvEach', 'mvEachKernel', 'addEach_', 'normalEach_', 'addNormalEach_', 'normalKernel', 'reluGradMmEach', 'thresholdBackward', 'softplusBackward',
  'setRequiresGrad', 'requiresGrad', 'isLeaf', 'grad', 'setGrad', 'backward', 'retainGrad',
  'detach', 'setGradEnabled', 'isGradEnabled',
  'shape', 'dtype', 'device', 'numel', 'item', 'toBuffer', 'to', 'dispose', 'liveTensors',
  'sameStorage',
  'setNumThreads', 'getNumThreads', 'setBlasThreads', 'getBlasThreads', 'cudaAvailable', 'cudaDeviceCount', 'setDeterministic',
  'config', 'parallelInfo',
] as const;

// Compile-time check that NATIVE_FUNCTIONS and NativeBinding name the same functions, so the
// run-time checks below cover every typed member. When they drift apart, tsc names the culprits:
// a member missing from the list is a missing property of _unlisted, a listed name without a type
// is a missing property of _untyped.
type NativeFunctionName = (typeof NATIVE_FUNCTIONS)[number];
const _unlisted: Record<Exclude<keyof NativeBinding, NativeFunctionName>, never> = {};
const _untyped: Record<Exclude<NativeFunctionName, keyof NativeBinding>, never> = {};

/** The names in NATIVE_FUNCTIONS that `addon` does not export as functions of its own. */
export function missingFunctions(addon: unknown): string[] {
  // Own properties only: inherited ones (String.prototype.sub, say) are no addon's exports.
  const exports = typeof addon === 'object' && addon !== null ? addon as Record<string, unknown> : {};
  return NATIVE_FUNCTIONS.filter((name) => !Object.hasOwn(exports, name) || typeof exports[name] !== 'function');
}

/**
 * `addon` as a NativeBinding, after checking that it exports every function this file types. An
 * addon built from an older or newer addon.cc than the TypeScript would otherwise fail only when
 * the missing function is first called, deep inside a run.
 */
export function checkBinding(addon: unknown, file = 'the native addon'): NativeBinding {
  const missing = missingFunctions(addon);
  if (missing.length > 0) {
    throw new Error(`lrlab: ${file} lacks ${missing.length} function(s) src/engine needs (${missing.join(', ')}); ` +
      'it was built from another version of native/src/addon.cc. Rebuild it with `npm run build:native`.');
  }
  return addon as NativeBinding;
}
