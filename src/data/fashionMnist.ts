// Fashion-MNIST (the CPU presets' data set): the four IDX files, gzipped or raw, from Debian's
// dataset-fashion-mnist (/usr/share/datasets/fashion-mnist) or any folder, and its registry entry.
// It has no standard normalization constants, so the experiments use the statistics of its
// training set.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readIdx } from './idx.js';
import { channelStats, type RawImageData, type RawImages } from './normalize.js';
import type { ImageDatasetEntry } from './imageDatasetRegistry.js';

/** Where Debian's `dataset-fashion-mnist` package puts the files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
/** File names (without .gz; either the .gz or the raw file is accepted). */
export const FASHION_MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;
/** How to get the files. */
export const FASHION_MNIST_HINT = `install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist, files in ${FASHION_MNIST_DIR}) ` +
  'or download the four .gz files from https://github.com/zalandoresearch/fashion-mnist and pass --data DIR';

type FileKey = keyof typeof FASHION_MNIST_FILES;

/** The .gz file if present, else the raw one, else null. */
function findFile(dir: string, base: string): string | null {
  for (const f of [base + '.gz', base]) if (existsSync(join(dir, f))) return join(dir, f);
  return null;
}

/** The paths of the four files in `dir` (without reading them); one-line errors name what is missing and how to get it. */
export function fashionMnistFiles(dir: string): Record<FileKey, string> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`Fashion-MNIST folder not found: ${dir} (${FASHION_MNIST_HINT})`);
  const keys = Object.keys(FASHION_MNIST_FILES) as FileKey[];
  const paths = Object.fromEntries(keys.map((k) => [k, findFile(dir, FASHION_MNIST_FILES[k])])) as Record<FileKey, string | null>;
  const missing = keys.filter((k) => paths[k] === null).map((k) => FASHION_MNIST_FILES[k] + '.gz');
  if (missing.length > 0) throw new Error(`Fashion-MNIST: missing file(s) in ${dir}: ${missing.join(', ')} (${FASHION_MNIST_HINT})`);
  return paths as Record<FileKey, string>;
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
  checkLimit('limitTrain', o.limitTrain);
  checkLimit('limitTest', o.limitTest);
  const paths = fashionMnistFiles(o.dir ?? FASHION_MNIST_DIR);
  return {
    train: loadSplit('train', paths.trainImages, paths.trainLabels, o.limitTrain),
    test: loadSplit('test', paths.testImages, paths.testLabels, o.limitTest),
  };
}

/** The registry entry of 'fashion-mnist'. */
export const fashionMnistDataset: ImageDatasetEntry = {
  name: 'fashion-mnist',
  title: 'Fashion-MNIST',
  shape: { channels: 1, height: 28, width: 28, classes: 10 },
  defaultDir: FASHION_MNIST_DIR,
  hint: FASHION_MNIST_HINT,
  check: (dir) => { fashionMnistFiles(dir); },
  load: ({ dir, testSize }) => {
    const raw = loadFashionMnist({ dir, limitTest: testSize ?? undefined });
    // no standard constants: the statistics of its whole training set (before any subsample)
    return { ...raw, stats: channelStats(raw.train) };
  },
};
