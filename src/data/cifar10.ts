// CIFAR-10, binary version (cifar-10-binary.tar.gz): data_batch_1..5.bin and test_batch.bin,
// each a sequence of 3073-byte records (1 label byte, then 3072 image bytes in CHW order), and its
// registry entry (normalized with the constants of the authors' code).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CIFAR10_STATS, type RawImageData, type RawImages } from './normalize.js';
import type { ImageDatasetEntry } from './imageDatasetRegistry.js';

export const CIFAR10_TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
export const CIFAR10_TEST_FILES = ['test_batch.bin'];
/** Bytes per record: 1 label + 3 x 32 x 32 pixels. */
export const CIFAR10_RECORD_BYTES = 3073;
const IMAGE_BYTES = 3072;
/** How to get the files. */
export const CIFAR10_HINT = 'download the binary version (cifar-10-binary.tar.gz) from https://www.cs.toronto.edu/~kriz/cifar.html, ' +
  'unpack it and pass --data DIR (the folder holding data_batch_1.bin ... test_batch.bin, or the one containing cifar-10-batches-bin)';

export interface Cifar10Options {
  /** Folder with the .bin files, or the folder containing `cifar-10-batches-bin`. */
  dir: string;
  /** Keep only the first limitTrain training / limitTest test images. */
  limitTrain?: number;
  limitTest?: number;
}

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/** The folder that holds the .bin files: `dir` itself, or `dir/cifar-10-batches-bin`. */
export function resolveCifar10Dir(dir: string): string {
  if (typeof dir !== 'string' || dir === '') throw new Error(`loadCifar10: dir must be a folder path, got ${JSON.stringify(dir)}`);
  if (!isDir(dir)) throw new Error(`CIFAR-10 folder not found: ${dir} (${CIFAR10_HINT})`);
  const nested = join(dir, 'cifar-10-batches-bin');
  return isDir(nested) ? nested : dir;
}

/** The folder of the .bin files (see resolveCifar10Dir), after checking that all six are there (without reading them). */
export function cifar10Files(dir: string): string {
  const d = resolveCifar10Dir(dir);
  const missing = [...CIFAR10_TRAIN_FILES, ...CIFAR10_TEST_FILES].filter((f) => !existsSync(join(d, f)));
  if (missing.length > 0) throw new Error(`CIFAR-10: missing file(s) in ${d}: ${missing.join(', ')} (${CIFAR10_HINT})`);
  return d;
}

/** Parse the records of one .bin file; `limit` stops early. */
export function parseCifar10Batch(bytes: Uint8Array, name: string, limit = Infinity): RawImages {
  if (bytes.length === 0) throw new Error(`CIFAR-10 file ${name}: is empty`);
  if (bytes.length % CIFAR10_RECORD_BYTES !== 0) {
    throw new Error(`CIFAR-10 file ${name}: size ${bytes.length} bytes is not a multiple of the ${CIFAR10_RECORD_BYTES}-byte record (1 label byte + 3072 image bytes)`);
  }
  const n = Math.min(bytes.length / CIFAR10_RECORD_BYTES, limit);
  const images = new Uint8Array(n * IMAGE_BYTES);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const off = i * CIFAR10_RECORD_BYTES;
    const label = bytes[off]!;
    if (label >= 10) throw new Error(`CIFAR-10 file ${name}: label ${label} in record ${i} is out of range (expected 0..9)`);
    labels[i] = label;
    images.set(bytes.subarray(off + 1, off + CIFAR10_RECORD_BYTES), i * IMAGE_BYTES);
  }
  return { images, labels, n, channels: 3, height: 32, width: 32 };
}

function concat(parts: RawImages[]): RawImages {
  const n = parts.reduce((a, p) => a + p.n, 0);
  const images = new Uint8Array(n * IMAGE_BYTES);
  const labels = new Uint8Array(n);
  let k = 0;
  for (const p of parts) { images.set(p.images, k * IMAGE_BYTES); labels.set(p.labels, k); k += p.n; }
  return { images, labels, n, channels: 3, height: 32, width: 32 };
}

function loadFiles(dir: string, files: string[], limit: number | undefined): RawImages {
  const parts: RawImages[] = [];
  let left = limit ?? Infinity;
  for (const f of files) {
    if (left <= 0) break;
    const part = parseCifar10Batch(readFileSync(join(dir, f)), join(dir, f), left);
    parts.push(part);
    left -= part.n;
  }
  return concat(parts);
}

/** Load CIFAR-10: uint8 images [n, 3, 32, 32] (flat, NCHW) and labels 0..9 (50,000 train, 10,000 test). */
export function loadCifar10(o: Cifar10Options): RawImageData {
  for (const key of ['limitTrain', 'limitTest'] as const) {
    const v = o[key];
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new Error(`loadCifar10: ${key} must be a positive integer, got ${v}`);
  }
  const dir = cifar10Files(o.dir);
  return {
    train: loadFiles(dir, CIFAR10_TRAIN_FILES, o.limitTrain),
    test: loadFiles(dir, CIFAR10_TEST_FILES, o.limitTest),
  };
}

/** The registry entry of 'cifar10': no default folder (lrlab cannot download it); the paper's constants. */
export const cifar10Dataset: ImageDatasetEntry = {
  name: 'cifar10',
  title: 'CIFAR-10',
  shape: { channels: 3, height: 32, width: 32, classes: 10 },
  defaultDir: null,
  hint: CIFAR10_HINT,
  check: (dir) => { cifar10Files(dir); },
  load: ({ dir, testSize }) => ({ ...loadCifar10({ dir, limitTest: testSize ?? undefined }), stats: CIFAR10_STATS }),
};
