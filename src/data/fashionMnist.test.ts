// The Fashion-MNIST loader and its registry entry on small valid and broken folders written to a
// temp dir, and (when Debian's dataset-fashion-mnist is installed) the real files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FASHION_MNIST_DIR, FASHION_MNIST_HINT, fashionMnistDataset, loadFashionMnist } from './fashionMnist.js';
import { channelStats } from './normalize.js';
import { readIdx } from './idx.js';

const HINT = FASHION_MNIST_HINT;
assert.match(HINT, /apt-get install dataset-fashion-mnist, files in \/usr\/share\/datasets\/fashion-mnist.*github\.com\/zalandoresearch\/fashion-mnist/);

/** IDX bytes: magic 0x0000 08 ndims, big-endian dims, then the data. */
function idx(dims: number[], data: Uint8Array, magic = 0x0800 + dims.length): Buffer {
  const h = Buffer.alloc(4 + 4 * dims.length);
  h.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([h, Buffer.from(data)]);
}
const pixels = (n: number, hw: number) => Uint8Array.from({ length: n * hw * hw }, (_, i) => (i * 7 + 3) % 256);

/** A temp folder with a valid small Fashion-MNIST (train 5 images, test 3; train gzipped, test raw). */
function fixture(edit: (files: Record<string, Buffer>) => void = () => {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'lrlab-fmnist-'));
  const files: Record<string, Buffer> = {
    'train-images-idx3-ubyte.gz': gzipSync(idx([5, 28, 28], pixels(5, 28))),
    'train-labels-idx1-ubyte.gz': gzipSync(idx([5], Uint8Array.from([9, 0, 3, 3, 7]))),
    't10k-images-idx3-ubyte': idx([3, 28, 28], pixels(3, 28).reverse()),
    't10k-labels-idx1-ubyte': idx([3], Uint8Array.from([1, 2, 8])),
  };
  edit(files);
  for (const [f, b] of Object.entries(files)) writeFileSync(join(dir, f), b);
  return dir;
}
function withFixture(edit: (files: Record<string, Buffer>) => void, fn: (dir: string) => void): void {
  const dir = fixture(edit);
  try { fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

test('loadFashionMnist loads a valid folder (gz and raw files), with limits', () => {
  withFixture(() => {}, (dir) => {
    const d = loadFashionMnist({ dir });
    assert.equal(d.train.n, 5);
    assert.equal(d.test.n, 3);
    assert.deepEqual([d.train.channels, d.train.height, d.train.width], [1, 28, 28]);
    assert.deepEqual([...d.train.labels], [9, 0, 3, 3, 7]);
    assert.deepEqual([...d.test.labels], [1, 2, 8]);
    assert.deepEqual(d.train.images, pixels(5, 28));
    assert.deepEqual(d.test.images, pixels(3, 28).reverse());
    const l = loadFashionMnist({ dir, limitTrain: 2, limitTest: 10 });
    assert.equal(l.train.n, 2);
    assert.deepEqual([...l.train.labels], [9, 0]);
    assert.deepEqual(l.train.images, pixels(5, 28).subarray(0, 2 * 784));
    assert.equal(l.test.n, 3);
    assert.equal(readIdx(join(dir, 't10k-labels-idx1-ubyte'), 1).dims[0], 3);
  });
});

test('loadFashionMnist errors name the folder or file and the fix', () => {
  const nowhere = join(tmpdir(), 'lrlab-no-such-folder-xyz');
  assert.throws(() => loadFashionMnist({ dir: nowhere }), { message: `Fashion-MNIST folder not found: ${nowhere} (${HINT})` });
  assert.throws(() => loadFashionMnist({ dir: nowhere, limitTrain: 0 }), { message: 'loadFashionMnist: limitTrain must be a positive integer, got 0' });
  withFixture((f) => { delete f['train-labels-idx1-ubyte.gz']; delete f['t10k-images-idx3-ubyte']; }, (dir) => {
    assert.throws(() => loadFashionMnist({ dir }),
      { message: `Fashion-MNIST: missing file(s) in ${dir}: train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz (${HINT})` });
  });
  withFixture((f) => { f['t10k-labels-idx1-ubyte'] = idx([3], Uint8Array.from([1, 10, 8])); }, (dir) => {
    assert.throws(() => loadFashionMnist({ dir }),
      { message: `Fashion-MNIST ${join(dir, 't10k-labels-idx1-ubyte')}: label 10 at index 1 is out of range (expected 0..9)` });
  });
  withFixture((f) => { f['train-labels-idx1-ubyte.gz'] = gzipSync(idx([4], Uint8Array.from([1, 2, 3, 4]))); }, (dir) => {
    assert.throws(() => loadFashionMnist({ dir }), {
      message: `Fashion-MNIST train: ${join(dir, 'train-images-idx3-ubyte.gz')} has 5 images but ${join(dir, 'train-labels-idx1-ubyte.gz')} has 4 labels`,
    });
  });
  withFixture((f) => { f['train-images-idx3-ubyte.gz'] = gzipSync(idx([5, 28, 28], pixels(5, 28)).subarray(0, 1000)); }, (dir) => {
    assert.throws(() => loadFashionMnist({ dir }), {
      message: `IDX file ${join(dir, 'train-images-idx3-ubyte.gz')}: truncated: header says 5 x 28 x 28 (3920 bytes of data) but only 984 bytes follow`,
    });
  });
  withFixture((f) => { f['t10k-images-idx3-ubyte'] = idx([3], new Uint8Array(3)); }, (dir) => {
    assert.throws(() => loadFashionMnist({ dir }),
      { message: `IDX file ${join(dir, 't10k-images-idx3-ubyte')}: wrong magic number 0x00000801 (expected 0x00000803)` });
  });
});

test("the registry entry: Debian's folder by default, check without reading, load with the training set's statistics", () => {
  const e = fashionMnistDataset;
  assert.deepEqual([e.name, e.defaultDir, e.shape], ['fashion-mnist', FASHION_MNIST_DIR, { channels: 1, height: 28, width: 28, classes: 10 }]);
  withFixture(() => {}, (dir) => {
    e.check(dir);
    const d = e.load({ dir, testSize: 2 });
    assert.deepEqual([d.train.n, d.test.n], [5, 2]);
    assert.deepEqual(d.stats, channelStats(loadFashionMnist({ dir }).train));
    assert.deepEqual(e.load({ dir, testSize: null }).test.n, 3);
  });
  // check looks for the files only: a broken file passes it (load then names it)
  withFixture((f) => { f['t10k-images-idx3-ubyte'] = Buffer.from([1, 2, 3]); }, (dir) => {
    e.check(dir);
    assert.throws(() => e.load({ dir, testSize: null }), /IDX file .*t10k-images-idx3-ubyte: truncated/);
  });
  withFixture((f) => { delete f['t10k-labels-idx1-ubyte']; }, (dir) => {
    assert.throws(() => e.check(dir), { message: `Fashion-MNIST: missing file(s) in ${dir}: t10k-labels-idx1-ubyte.gz (${HINT})` });
  });
});

test('real Fashion-MNIST from dataset-fashion-mnist: 60000/10000 images, labels 0..9, balanced classes',
  { skip: existsSync(FASHION_MNIST_DIR) ? false : `${FASHION_MNIST_DIR} not installed` }, () => {
    const d = loadFashionMnist();
    assert.equal(d.train.n, 60000);
    assert.equal(d.test.n, 10000);
    assert.equal(d.train.images.length, 60000 * 784);
    assert.equal(d.test.images.length, 10000 * 784);
    for (const [split, per] of [[d.train, 6000], [d.test, 1000]] as const) {
      const counts = new Array<number>(10).fill(0);
      for (const l of split.labels) { assert.ok(l < 10, `label ${l}`); counts[l]!++; }
      assert.deepEqual(counts, new Array<number>(10).fill(per));
    }
    // The well-known Fashion-MNIST training statistics.
    const s = channelStats(d.train);
    assert.ok(Math.abs(s.mean[0]! - 0.2860) < 1e-3, `mean ${s.mean[0]}`);
    assert.ok(Math.abs(s.std[0]! - 0.3530) < 1e-3, `std ${s.std[0]}`);
  });
