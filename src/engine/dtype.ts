// Tensor element types and devices.
export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool' | 'uint8';
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

export const DTYPE_CODES: Record<DType, number> = { float32: 0, float64: 1, int64: 2, int32: 3, bool: 4, uint8: 5 };
const CODE_DTYPES: DType[] = ['float32', 'float64', 'int64', 'int32', 'bool', 'uint8'];

export function dtypeCode(d: DType): number {
  const c = DTYPE_CODES[d];
  if (c === undefined) throw new Error(`unknown dtype '${String(d)}' (expected one of ${CODE_DTYPES.join(', ')})`);
  return c;
}
export function dtypeFromCode(c: number): DType {
  const d = CODE_DTYPES[c];
  if (!d) throw new Error(`tensor has a dtype lrlab does not support (code ${c})`);
  return d;
}
export function isFloating(d: DType): boolean { return d === 'float32' || d === 'float64'; }

export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array | BigInt64Array;

/** The dtype that matches a typed array's element type. */
export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint8Array) return 'uint8';
  return 'int64';
}
