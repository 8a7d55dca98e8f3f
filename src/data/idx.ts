// IDX files (the MNIST / Fashion-MNIST format), gzip-compressed or raw, and the Fashion-MNIST
// loader over Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { RawImageData, RawImages } from './normalize.js';

/** Where Debian's `dataset-fashion-mnist` package puts the files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
/** File names (without .gz; either the .gz or the raw file is accepted). */
export const FASHION_MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;
const INSTALL_HINT = '`apt-get install dataset-fashion-mnist` provides them in ' + FASHION_MNIST_DIR;

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

export interface FashionMnistOptions {
  /** Folder with the four files (default /usr/share/datasets/fashion-mnist). */
  dir?: string;
  /** Keep only the first limitTrain training / limitTest test images. */
  limitTrain?: number;
  limitTest?: number;
}

function checkLimit(key: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 1)) {
    throw new Error(`loadFashionMnist: ${key} must be a positive integer, got ${v}`);
  }
}

/** The .gz file if present, else the raw one, else null. */
function findFile(dir: string, base: string): string | null {
  for (const f of [base + '.gz', base]) if (existsSync(join(dir, f))) return join(dir, f);
  return null;
}

function loadSplit(split: string, imagesPath: string, labelsPath: string, limit: number | undefined): RawImages {
  const im = readIdx(imagesPath, 3);
  const lb = readIdx(labelsPath, 1);
  const [n, height, width] = im.dims as [number, number, number];
  const nl = lb.dims[0]!;
  if (n !== nl) throw new Error(`Fashion-MNIST ${split}: ${imagesPath} has ${n} images but ${labelsPath} has ${nl} labels`);
  const k = Math.min(n, limit ?? n);
  const labels = lb.data.slice(0, k);
  for (let i = 0; i < k; i++) {
    if (labels[i]! >= 10) throw new Error(`Fashion-MNIST ${labelsPath}: label ${labels[i]} at index ${i} is out of range (expected 0..9)`);
  }
  return { images: im.data.slice(0, k * height * width), labels, n: k, channels: 1, height, width };
}

/**
 * Load Fashion-MNIST: uint8 images [n, 1, 28, 28] (flat, NCHW) and labels 0..9 for the train
 * (60,000) and test (10,000) splits.
 */
export function loadFashionMnist(o: FashionMnistOptions = {}): RawImageData {
  const dir = o.dir ?? FASHION_MNIST_DIR;
  checkLimit('limitTrain', o.limitTrain);
  checkLimit('limitTest', o.limitTest);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new Error(`Fashion-MNIST folder not found: ${dir} (${INSTALL_HINT}; or pass dir)`);
  }
  const F = FASHION_MNIST_FILES;
  const paths = Object.fromEntries(Object.entries(F).map(([k, base]) => [k, findFile(dir, base)])) as Record<keyof typeof F, string | null>;
  const missing = (Object.keys(F) as (keyof typeof F)[]).filter((k) => paths[k] === null).map((k) => F[k] + '.gz');
  if (missing.length > 0) throw new Error(`Fashion-MNIST: missing file(s) in ${dir}: ${missing.join(', ')} (${INSTALL_HINT})`);
  return {
    train: loadSplit('train', paths.trainImages!, paths.trainLabels!, o.limitTrain),
    test: loadSplit('test', paths.testImages!, paths.testLabels!, o.limitTest),
  };
}
