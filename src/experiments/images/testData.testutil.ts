// Tiny Fashion-MNIST-format data sets for tests: gzipped IDX files of 28x28 images whose class
// shows as a bright 4x4 block at a class-dependent place, plus uniform pixel noise (learnable fast).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FASHION_MNIST_FILES } from '../../data/fashionMnist.js';

function idx(dims: number[], data: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(0x0800 + dims.length, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return gzipSync(Buffer.concat([head, Buffer.from(data)]));
}

/** A small deterministic PRNG (mulberry32) so that the files do not depend on the engine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function split(n: number, rnd: () => number): { images: Uint8Array; labels: Uint8Array } {
  const images = new Uint8Array(n * 784);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const y = Math.floor(rnd() * 10);
    labels[i] = y;
    for (let j = 0; j < 784; j++) images[i * 784 + j] = Math.floor(rnd() * 120);
    const r0 = 2 + 6 * Math.floor(y / 4), c0 = 2 + 6 * (y % 4);
    for (let r = r0; r < r0 + 4; r++) for (let c = c0; c < c0 + 4; c++) images[i * 784 + r * 28 + c] = 255;
  }
  return { images, labels };
}

/** Write train (nTrain) and test (nTest) IDX files into dir; returns dir. */
export function writeTinyFashionMnist(dir: string, nTrain = 256, nTest = 120, seed = 1): string {
  mkdirSync(dir, { recursive: true });
  const rnd = prng(seed);
  const tr = split(nTrain, rnd);
  const te = split(nTest, rnd);
  const F = FASHION_MNIST_FILES;
  writeFileSync(join(dir, F.trainImages + '.gz'), idx([nTrain, 28, 28], tr.images));
  writeFileSync(join(dir, F.trainLabels + '.gz'), idx([nTrain], tr.labels));
  writeFileSync(join(dir, F.testImages + '.gz'), idx([nTest, 28, 28], te.images));
  writeFileSync(join(dir, F.testLabels + '.gz'), idx([nTest], te.labels));
  return dir;
}
