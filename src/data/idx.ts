// IDX files (the MNIST / Fashion-MNIST format), gzip-compressed or raw.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** An IDX array of unsigned bytes: its dimensions and its data (row-major). */
export interface IdxArray { dims: number[]; data: Uint8Array }

const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
const hex = (v: number) => '0x' + v.toString(16).padStart(8, '0');

/**
 * Parse IDX bytes (gunzipped first if they start with the gzip magic 1f 8b). `ndims` is the
 * expected number of dimensions (3 for images, 1 for labels); the data type must be unsigned byte.
 */
export function parseIdx(bytes: Uint8Array, ndims: number, name = 'IDX data'): IdxArray {
  // A plain Uint8Array view (a Buffer's slice() would not copy).
  let b = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isGzip(b)) {
    try { b = new Uint8Array(gunzipSync(b)); } catch (e) {
      throw new Error(`IDX file ${name}: not a valid gzip stream (${(e as Error).message})`);
    }
  }
  const expected = 0x0800 + ndims;
  if (b.length < 4) throw new Error(`IDX file ${name}: truncated: ${b.length} bytes, too short for the magic number`);
  const magic = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  if (magic !== expected) throw new Error(`IDX file ${name}: wrong magic number ${hex(magic)} (expected ${hex(expected)})`);
  const headerLen = 4 + 4 * ndims;
  if (b.length < headerLen) throw new Error(`IDX file ${name}: truncated: ${b.length} bytes, too short for the ${headerLen}-byte header`);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, d) => a * d, 1);
  const have = b.length - headerLen;
  if (have < size) {
    throw new Error(`IDX file ${name}: truncated: header says ${dims.join(' x ')} (${size} bytes of data) but only ${have} bytes follow`);
  }
  if (have > size) throw new Error(`IDX file ${name}: ${have - size} unexpected bytes after the ${dims.join(' x ')} data`);
  return { dims, data: b.subarray(headerLen) };
}

/** Read and parse an IDX file. */
export function readIdx(path: string, ndims: number): IdxArray {
  return parseIdx(readFileSync(path), ndims, path);
}
