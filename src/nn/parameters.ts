// A named container of trainable parameters and non-trainable buffers (e.g. BatchNorm running
// statistics), with serialization for checkpoints.
import { createHash } from 'node:crypto';
import { Tensor, keep, noGrad, tensor, type DType } from '../engine/index.js';

export interface SerializedTensor { shape: number[]; dtype: DType; data: string }
export interface StateDict { params: Record<string, SerializedTensor>; buffers: Record<string, SerializedTensor> }

export function serializeTensor(t: Tensor): SerializedTensor {
  const dtype = t.dtype;
  const bytes = dtype === 'float64' ? t.toFloat64Array() : dtype === 'float32' ? t.toFloat32Array()
    : dtype === 'int32' ? t.toInt32Array() : dtype === 'uint8' || dtype === 'bool' ? t.toUint8Array()
      : t.to({ dtype: 'float64' }).toFloat64Array();
  return { shape: t.shape, dtype, data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
}

export function deserializeTensor(s: SerializedTensor): Tensor {
  const buf = Buffer.from(s.data, 'base64');
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  switch (s.dtype) {
    case 'float64': return tensor(new Float64Array(ab), { shape: s.shape });
    case 'float32': return tensor(new Float32Array(ab), { shape: s.shape });
    case 'int32': return tensor(new Int32Array(ab), { shape: s.shape });
    case 'uint8': return tensor(new Uint8Array(ab), { shape: s.shape });
    case 'bool': return tensor(new Uint8Array(ab), { shape: s.shape, dtype: 'bool' });
    case 'int64': return tensor(new Float64Array(ab), { shape: s.shape, dtype: 'int64' });
  }
}

export class Parameters {
  private readonly params = new Map<string, Tensor>();
  private readonly buffers = new Map<string, Tensor>();

  /** Register a trainable tensor (it is kept out of memory scopes and marked requiresGrad). */
  add(name: string, t: Tensor): Tensor {
    if (this.params.has(name) || this.buffers.has(name)) throw new Error(`Parameters: duplicate name '${name}'`);
    keep(t);
    if (!t.requiresGrad) t.requiresGrad_(true);
    this.params.set(name, t);
    return t;
  }
  /** Register a non-trainable state tensor (running statistics). */
  addBuffer(name: string, t: Tensor): Tensor {
    if (this.params.has(name) || this.buffers.has(name)) throw new Error(`Parameters: duplicate name '${name}'`);
    keep(t);
    this.buffers.set(name, t);
    return t;
  }
  get(name: string): Tensor {
    const t = this.params.get(name) ?? this.buffers.get(name);
    if (!t) throw new Error(`Parameters: no parameter or buffer named '${name}'`);
    return t;
  }
  list(): Tensor[] { return [...this.params.values()]; }
  named(): [string, Tensor][] { return [...this.params.entries()]; }
  namedBuffers(): [string, Tensor][] { return [...this.buffers.entries()]; }
  /** Total number of trainable scalars. */
  count(): number { let n = 0; for (const t of this.params.values()) n += t.numel; return n; }
  zeroGrad(): void { for (const t of this.params.values()) t.zeroGrad(); }

  stateDict(): StateDict {
    const params: Record<string, SerializedTensor> = {};
    const buffers: Record<string, SerializedTensor> = {};
    for (const [k, t] of this.params) params[k] = serializeTensor(t);
    for (const [k, t] of this.buffers) buffers[k] = serializeTensor(t);
    return { params, buffers };
  }
  /** Copy values in place from a state dict; names, shapes and dtypes must match exactly. */
  loadStateDict(s: StateDict): void {
    const check = (kind: string, mine: Map<string, Tensor>, theirs: Record<string, SerializedTensor>) => {
      const a = [...mine.keys()].sort().join(',');
      const b = Object.keys(theirs).sort().join(',');
      if (a !== b) throw new Error(`loadStateDict: ${kind} names differ (model: ${a}; state: ${b})`);
      for (const [k, t] of mine) {
        const st = theirs[k]!;
        if (st.shape.join(',') !== t.shape.join(',') || st.dtype !== t.dtype) {
          throw new Error(`loadStateDict: '${k}' is [${t.shape}] ${t.dtype} in the model but [${st.shape}] ${st.dtype} in the state`);
        }
      }
    };
    check('parameter', this.params, s.params);
    check('buffer', this.buffers, s.buffers);
    noGrad(() => {
      for (const [k, t] of [...this.params, ...this.buffers]) {
        const src = deserializeTensor((s.params[k] ?? s.buffers[k])!);
        t.copy_(src);
        src.dispose();
      }
    });
  }
  /** SHA-256 of the exact bytes of every parameter and buffer (equal fingerprints: identical weights). */
  fingerprint(): string { return createHash('sha256').update(JSON.stringify(this.stateDict())).digest('hex'); }

  dispose(): void {
    for (const t of [...this.params.values(), ...this.buffers.values()]) t.dispose();
    this.params.clear();
    this.buffers.clear();
  }
}
