// The Tensor class: a handle to a libtorch tensor with shape, dtype, device and autograd.
import { native, type NativeHandle } from './native.js';
import { type Device, type DType, dtypeCode, dtypeFromCode } from './dtype.js';
import { track } from './scope.js';

export type Scalar = number | boolean;
export type TensorOrScalar = Tensor | Scalar;

type BinaryFn = (a: NativeHandle, b: NativeHandle) => NativeHandle;
type ScalarFn = (a: NativeHandle, b: Scalar) => NativeHandle;

// Safety net: a tensor that becomes unreachable without dispose() is freed after garbage collection.
// Only tensors outside every tidy scope need it (a scope frees or hands on what it tracks), so a
// tensor made inside one registers only when it leaves the scopes (returned from the outermost, or
// kept): registering and unregistering every temporary costs about a third of a small op.
const registry = new FinalizationRegistry<NativeHandle>((h) => native.dispose(h));

export class Tensor {
  private readonly id: NativeHandle;
  private disposedFlag = false;
  private registered = false;

  /** Wraps a native handle (an index into the addon's tensor table); only the engine creates these. */
  constructor(handle: NativeHandle) {
    this.id = handle;
    if (!track(this)) this.unscoped();
  }

  /** Called when the tensor is in no scope (made outside tidy, returned from the outermost one, or kept): the garbage collector frees it if it is dropped undisposed. */
  unscoped(): void {
    if (this.registered || this.disposedFlag) return;
    this.registered = true;
    registry.register(this, this.id, this);
  }

  /** The native handle, for the engine's own modules. Throws once the tensor is disposed. */
  get handle(): NativeHandle {
    if (this.disposedFlag) throw new Error('tensor was disposed (freed by dispose() or by the tidy() scope that created it; use keep() or return it from tidy to keep it)');
    return this.id;
  }

  private bin(t: BinaryFn, s: ScalarFn, o: TensorOrScalar): Tensor {
    return new Tensor(o instanceof Tensor ? t(this.handle, o.handle) : s(this.handle, o));
  }

  // ------------------------------------------------------------ metadata
  private shapeCache: number[] | undefined;
  private dtypeCache: DType | undefined;
  /** The sizes of the dimensions (a fresh array; a tensor's shape never changes). */
  get shape(): number[] { return (this.shapeCache ??= native.shape(this.handle)).slice(); }
  get dtype(): DType { return (this.dtypeCache ??= dtypeFromCode(native.dtype(this.handle))); }
  get device(): Device { return native.device(this.handle); }
  get numel(): number { return native.numel(this.handle); }
  get ndim(): number { return (this.shapeCache ??= native.shape(this.handle)).length; }
  size(dim: number): number { const s = this.shape; return s[dim < 0 ? s.length + dim : dim]!; }
  toString(): string { return this.isDisposed ? 'Tensor(disposed)' : `Tensor(shape=[${this.shape.join(',')}], dtype=${this.dtype}, device=${this.device})`; }

  // ------------------------------------------------------------ memory
  get isDisposed(): boolean { return this.disposedFlag; }
  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    if (this.registered) registry.unregister(this);
    native.dispose(this.id);
  }

  // ------------------------------------------------------------ data out
  item(): number {
    const v = native.item(this.handle);
    return typeof v === 'boolean' ? Number(v) : v;
  }
  toFloat32Array(): Float32Array { return new Float32Array(native.toBuffer(this.handle, dtypeCode('float32'))); }
  toFloat64Array(): Float64Array { return new Float64Array(native.toBuffer(this.handle, dtypeCode('float64'))); }
  toInt32Array(): Int32Array { return new Int32Array(native.toBuffer(this.handle, dtypeCode('int32'))); }
  toUint8Array(): Uint8Array { return new Uint8Array(native.toBuffer(this.handle, dtypeCode('uint8'))); }
  /** Flat array of numbers (float64 precision). */
  toArray(): number[] { return Array.from(this.toFloat64Array()); }

  // ------------------------------------------------------------ conversion
  to(opts: { dtype?: DType; device?: Device }): Tensor {
    return new Tensor(native.to(this.handle, opts.dtype === undefined ? null : dtypeCode(opts.dtype), opts.device ?? null));
  }
  float(): Tensor { return this.to({ dtype: 'float32' }); }
  double(): Tensor { return this.to({ dtype: 'float64' }); }
  long(): Tensor { return this.to({ dtype: 'int64' }); }
  cpu(): Tensor { return this.to({ device: 'cpu' }); }

  // ------------------------------------------------------------ elementwise
  add(o: TensorOrScalar): Tensor { return this.bin(native.add, native.addS, o); }
  /** this + alpha * o in one kernel (torch's add(o, alpha=...); the same rounding as clone().add_(o, alpha)). */
  addScaled(o: Tensor, alpha: number): Tensor { return new Tensor(native.addAlpha(this.handle, o.handle, alpha)); }
  sub(o: TensorOrScalar): Tensor { return this.bin(native.sub, native.subS, o); }
  mul(o: TensorOrScalar): Tensor { return this.bin(native.mul, native.mulS, o); }
  div(o: TensorOrScalar): Tensor { return this.bin(native.div, native.divS, o); }
  pow(o: TensorOrScalar): Tensor { return this.bin(native.pow, native.powS, o); }
  maximum(o: TensorOrScalar): Tensor { return this.bin(native.maximum, native.maximumS, o); }
  minimum(o: TensorOrScalar): Tensor { return this.bin(native.minimum, native.minimumS, o); }
  eq(o: TensorOrScalar): Tensor { return this.bin(native.eq, native.eqS, o); }
  ne(o: TensorOrScalar): Tensor { return this.bin(native.ne, native.neS, o); }
  lt(o: TensorOrScalar): Tensor { return this.bin(native.lt, native.ltS, o); }
  le(o: TensorOrScalar): Tensor { return this.bin(native.le, native.leS, o); }
  gt(o: TensorOrScalar): Tensor { return this.bin(native.gt, native.gtS, o); }
  ge(o: TensorOrScalar): Tensor { return this.bin(native.ge, native.geS, o); }
  logicalAnd(o: TensorOrScalar): Tensor { return this.bin(native.logicalAnd, native.logicalAndS, o); }
  logicalOr(o: TensorOrScalar): Tensor { return this.bin(native.logicalOr, native.logicalOrS, o); }
  logicalNot(): Tensor { return new Tensor(native.logicalNot(this.handle)); }
  neg(): Tensor { return new Tensor(native.neg(this.handle)); }
  abs(): Tensor { return new Tensor(native.abs(this.handle)); }
  exp(): Tensor { return new Tensor(native.exp(this.handle)); }
  log(): Tensor { return new Tensor(native.log(this.handle)); }
  log1p(): Tensor { return new Tensor(native.log1p(this.handle)); }
  sqrt(): Tensor { return new Tensor(native.sqrt(this.handle)); }
  rsqrt(): Tensor { return new Tensor(native.rsqrt(this.handle)); }
  square(): Tensor { return new Tensor(native.square(this.handle)); }
  sign(): Tensor { return new Tensor(native.sign(this.handle)); }
  floor(): Tensor { return new Tensor(native.floor(this.handle)); }
  relu(): Tensor { return new Tensor(native.relu(this.handle)); }
  sigmoid(): Tensor { return new Tensor(native.sigmoid(this.handle)); }
  tanh(): Tensor { return new Tensor(native.tanh(this.handle)); }
  /** log(1 + exp(beta x)) / beta, linear above `threshold` (as torch.nn.functional.softplus). */
  softplus(beta = 1, threshold = 20): Tensor { return new Tensor(native.softplus(this.handle, beta, threshold)); }
  logSigmoid(): Tensor { return new Tensor(native.logSigmoid(this.handle)); }
  isfinite(): Tensor { return new Tensor(native.isfinite(this.handle)); }
  clamp(min?: number | null, max?: number | null): Tensor { return new Tensor(native.clamp(this.handle, min ?? null, max ?? null)); }
  maskedFill(mask: Tensor, value: Scalar): Tensor { return new Tensor(native.maskedFill(this.handle, mask.handle, value)); }

  // ------------------------------------------------------------ linear algebra
  matmul(o: Tensor): Tensor { return new Tensor(native.matmul(this.handle, o.handle)); }
  /** Frobenius / 2-norm of all elements. */
  norm(): Tensor { return new Tensor(native.norm(this.handle)); }

  // ------------------------------------------------------------ reductions
  sum(dims?: number | number[], keepdim = false): Tensor { return new Tensor(native.sum(this.handle, dims ?? null, keepdim)); }
  mean(dims?: number | number[], keepdim = false): Tensor { return new Tensor(native.mean(this.handle, dims ?? null, keepdim)); }
  /** Variance (unbiased by default, as torch.var). */
  var(dims?: number | number[], opts: { unbiased?: boolean; keepdim?: boolean } = {}): Tensor {
    return new Tensor(native.variance(this.handle, dims ?? null, opts.unbiased ?? true, opts.keepdim ?? false));
  }
  logsumexp(dims: number | number[], keepdim = false): Tensor { return new Tensor(native.logsumexp(this.handle, dims, keepdim)); }
  /** Maximum of all elements. */
  max(): Tensor { return new Tensor(native.maxAll(this.handle)); }
  min(): Tensor { return new Tensor(native.minAll(this.handle)); }
  /** Maximum along a dimension: values and indices. */
  maxDim(dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
    const [v, i] = native.maxDim(this.handle, dim, keepdim);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  minDim(dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
    const [v, i] = native.minDim(this.handle, dim, keepdim);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  argmax(dim: number, keepdim = false): Tensor { return new Tensor(native.argmax(this.handle, dim, keepdim)); }
  argmin(dim: number, keepdim = false): Tensor { return new Tensor(native.argmin(this.handle, dim, keepdim)); }

  // ------------------------------------------------------------ shape
  reshape(shape: number[]): Tensor { return new Tensor(native.reshape(this.handle, shape)); }
  transpose(d0: number, d1: number): Tensor { return new Tensor(native.transpose(this.handle, d0, d1)); }
  /** Transpose of a 2-D tensor. */
  get T(): Tensor { return this.transpose(0, 1); }
  permute(dims: number[]): Tensor { return new Tensor(native.permute(this.handle, dims)); }
  squeeze(dim: number): Tensor { return new Tensor(native.squeeze(this.handle, dim)); }
  unsqueeze(dim: number): Tensor { return new Tensor(native.unsqueeze(this.handle, dim)); }
  expand(shape: number[]): Tensor { return new Tensor(native.expand(this.handle, shape)); }
  repeat(times: number[]): Tensor { return new Tensor(native.repeat(this.handle, times)); }
  flatten(start = 0, end = -1): Tensor { return new Tensor(native.flatten(this.handle, start, end)); }
  narrow(dim: number, start: number, length: number): Tensor { return new Tensor(native.narrow(this.handle, dim, start, length)); }
  contiguous(): Tensor { return new Tensor(native.contiguous(this.handle)); }
  clone(): Tensor { return new Tensor(native.clone(this.handle)); }
  indexSelect(dim: number, index: Tensor): Tensor { return new Tensor(native.indexSelect(this.handle, dim, index.handle)); }
  gather(dim: number, index: Tensor): Tensor { return new Tensor(native.gather(this.handle, dim, index.handle)); }
  maskedSelect(mask: Tensor): Tensor { return new Tensor(native.maskedSelect(this.handle, mask.handle)); }
  /** Indices of non-zero elements, shape [n, ndim]. */
  nonzero(): Tensor { return new Tensor(native.nonzero(this.handle)); }

  // ------------------------------------------------------------ in place (use under noGrad for parameters)
  add_(o: TensorOrScalar, alpha = 1): this {
    if (o instanceof Tensor) native.add_(this.handle, o.handle, alpha); else native.add_S(this.handle, o, alpha);
    return this;
  }
  mul_(o: TensorOrScalar): this {
    if (o instanceof Tensor) native.mul_(this.handle, o.handle); else native.mul_S(this.handle, o);
    return this;
  }
  addcmul_(a: Tensor, b: Tensor, value = 1): this { native.addcmul_(this.handle, a.handle, b.handle, value); return this; }
  copy_(src: Tensor): this { native.copy_(this.handle, src.handle); return this; }
  zero_(): this { native.zero_(this.handle); return this; }
  fill_(v: Scalar): this { native.fill_(this.handle, v); return this; }
  /** this[index] = values along `dim`, in place. */
  indexCopy_(dim: number, index: Tensor, values: Tensor): this { native.indexCopy_(this.handle, dim, index.handle, values.handle); return this; }
  /** this[index[i]] += values[i] along dim, in place (torch's index_add_; what index_select's backward accumulates into zeros). */
  indexAdd_(dim: number, index: Tensor, values: Tensor): this { native.indexAdd_(this.handle, dim, index.handle, values.handle); return this; }

  // ------------------------------------------------------------ autograd
  get requiresGrad(): boolean { return native.requiresGrad(this.handle); }
  /** Mark this (leaf) tensor as a parameter whose gradient backward() accumulates. */
  requiresGrad_(on = true): this { native.setRequiresGrad(this.handle, on); return this; }
  get isLeaf(): boolean { return native.isLeaf(this.handle); }
  /** The accumulated gradient, or null before the first backward(). Shares storage with it. */
  get grad(): Tensor | null {
    const g = native.grad(this.handle);
    return g === null ? null : new Tensor(g);
  }
  set grad(g: Tensor | null) { native.setGrad(this.handle, g === null ? null : g.handle); }
  zeroGrad(): void { native.setGrad(this.handle, null); }
  /** Backpropagate from this tensor (a scalar unless `grad` is given). */
  backward(grad?: Tensor, opts: { retainGraph?: boolean } = {}): void {
    native.backward(this.handle, grad ? grad.handle : null, opts.retainGraph ?? false);
  }
  retainGrad(): void { native.retainGrad(this.handle); }
  detach(): Tensor { return new Tensor(native.detach(this.handle)); }
}
