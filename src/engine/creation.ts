// Creating tensors: constants, ranges, data from arrays, and random draws from a Generator.
import { native } from './native.js';
import { type Device, type DType, type TypedArray, dtypeCode, dtypeOfArray } from './dtype.js';
import { Tensor } from './tensor.js';
import type { Generator } from './random.js';

export interface TensorOptions { dtype?: DType; device?: Device }

function checkShape(op: string, shape: number[]): number[] {
  if (!Array.isArray(shape) || shape.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new Error(`${op}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return shape;
}
const code = (o: TensorOptions, d: DType = 'float32') => dtypeCode(o.dtype ?? d);
const dev = (o: TensorOptions) => o.device ?? 'cpu';

export function zeros(shape: number[], o: TensorOptions = {}): Tensor { return new Tensor(native.zeros(checkShape('zeros', shape), code(o), dev(o))); }
export function ones(shape: number[], o: TensorOptions = {}): Tensor { return new Tensor(native.ones(checkShape('ones', shape), code(o), dev(o))); }
export function full(shape: number[], value: number, o: TensorOptions = {}): Tensor {
  return new Tensor(native.full(checkShape('full', shape), value, code(o), dev(o)));
}
export function eye(n: number, o: TensorOptions = {}): Tensor { return new Tensor(native.eye(n, code(o), dev(o))); }
/** [start, end) with the given step; `arange(n)` is 0..n-1 (int64 unless a dtype is given). */
export function arange(start: number, end?: number, step = 1, o: TensorOptions = {}): Tensor {
  if (end === undefined) { end = start; start = 0; }
  const d = o.dtype ?? (Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step) ? 'int64' : 'float32');
  return new Tensor(native.arange(start, end, step, dtypeCode(d), dev(o)));
}

type Nested = number | boolean | Nested[];
function flattenNested(data: Nested, shape: number[], out: number[], depth = 0): void {
  if (Array.isArray(data)) {
    if (shape.length <= depth) shape.push(data.length);
    else if (shape[depth] !== data.length) throw new Error(`tensor: ragged nested array (length ${data.length} where ${shape[depth]} expected)`);
    for (const x of data) flattenNested(x, shape, out, depth + 1);
  } else {
    if (depth !== shape.length) throw new Error('tensor: ragged nested array');
    out.push(Number(data));
  }
}

/** A tensor from numbers, nested arrays or a typed array (copied). */
export function tensor(data: Nested | TypedArray, o: TensorOptions & { shape?: number[] } = {}): Tensor {
  let arr: TypedArray;
  let shape: number[];
  if (ArrayBuffer.isView(data)) {
    arr = data;
    shape = checkShape('tensor', o.shape ?? [data.length]);
    checkCount(shape, data.length);
    const dt = o.dtype ?? dtypeOfArray(arr);
    if (dt !== dtypeOfArray(arr)) return tensor(data, { shape, device: o.device }).to({ dtype: dt });
  } else {
    const flat: number[] = [];
    const inferred: number[] = [];
    flattenNested(data, inferred, flat);
    if (flat.length !== inferred.reduce((a, b) => a * b, 1)) throw new Error('tensor: ragged nested array (rows of different lengths or depths)');
    shape = checkShape('tensor', o.shape ?? inferred);
    checkCount(shape, flat.length);
    const dt = o.dtype ?? 'float32';
    arr = toTyped(flat, dt);
    if (dt === 'bool') return new Tensor(native.fromBuffer(arr, checkShape('tensor', shape), dtypeCode('uint8'), dev(o))).to({ dtype: 'bool' });
  }
  const dt = o.dtype ?? dtypeOfArray(arr);
  return new Tensor(native.fromBuffer(arr, checkShape('tensor', shape), dtypeCode(dt), dev(o)));
}

function checkCount(shape: number[], n: number): void {
  const need = shape.reduce((a, b) => a * b, 1);
  if (need !== n) throw new Error(`tensor: shape [${shape.join(',')}] needs ${need} elements but the data has ${n}`);
}

function toTyped(flat: number[], dt: DType): TypedArray {
  switch (dt) {
    case 'float32': return Float32Array.from(flat);
    case 'float64': return Float64Array.from(flat);
    case 'int32': return Int32Array.from(flat);
    case 'uint8': case 'bool': return Uint8Array.from(flat);
    case 'int64': return BigInt64Array.from(flat.map((x) => BigInt(Math.trunc(x))));
  }
}

/** Standard normal draws. */
export function randn(shape: number[], gen: Generator, o: TensorOptions = {}): Tensor {
  return new Tensor(native.randn(checkShape('randn', shape), gen.native, code(o), dev(o)));
}
/** Uniform draws on [0, 1). */
export function rand(shape: number[], gen: Generator, o: TensorOptions = {}): Tensor {
  return new Tensor(native.rand(checkShape('rand', shape), gen.native, code(o), dev(o)));
}
/** Integers uniform on [low, high). */
export function randint(low: number, high: number, shape: number[], gen: Generator, o: TensorOptions = {}): Tensor {
  if (!(high > low)) throw new Error(`randint: high (${high}) must be greater than low (${low})`);
  return new Tensor(native.randint(low, high, checkShape('randint', shape), gen.native, code(o, 'int64'), dev(o)));
}
/** A random permutation of 0..n-1 (int64). */
export function randperm(n: number, gen: Generator, o: TensorOptions = {}): Tensor {
  return new Tensor(native.randperm(n, gen.native, code(o, 'int64'), dev(o)));
}
/** Bernoulli draws: from a tensor of probabilities, or with probability p in a given shape. */
export function bernoulli(p: Tensor | number, gen: Generator, shape?: number[], o: TensorOptions = {}): Tensor {
  if (p instanceof Tensor) return new Tensor(native.bernoulli(p.handle, gen.native));
  if (!(p >= 0 && p <= 1)) throw new Error(`bernoulli: p must be in [0, 1], got ${p}`);
  if (!shape) throw new Error('bernoulli: a shape is needed when p is a number');
  const probs = full(shape, p, o);
  try { return new Tensor(native.bernoulli(probs.handle, gen.native)); } finally { probs.dispose(); }
}
/** Fill a tensor in place with N(mean, std^2) draws. */
export function normal_(t: Tensor, mean: number, std: number, gen: Generator): Tensor { native.normal_(t.handle, mean, std, gen.native); return t; }
/** Fill a tensor in place with U[low, high) draws. */
export function uniform_(t: Tensor, low: number, high: number, gen: Generator): Tensor { native.uniform_(t.handle, low, high, gen.native); return t; }
