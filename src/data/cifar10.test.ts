// The CIFAR-10 binary loader on small valid and broken folders written to a temp dir.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CIFAR10_HINT, CIFAR10_TEST_FILES, CIFAR10_TRAIN_FILES, cifar10Dataset, loadCifar10, parseCifar10Batch } from './cifar10.js';
import { CIFAR10_STATS } from './normalize.js';

/** n records of file number f: label (f + i) % 10, pixel j of record i = (31 f + 7 i + j) % 256. */
function batch(f: number, n: number): Buffer {
  const b = Buffer.alloc(n * 3073);
  for (let i = 0; i < n; i++) {
    b[i * 3073] = (f + i) % 10;
    for (let j = 0; j < 3072; j++) b[i * 3073 + 1 + j] = (31 * f + 7 * i + j) % 256;
  }
  return b;
}
/** Write a valid folder (3 records per train file, 2 in the test file) under `sub` of a temp dir. */
function fixture(sub = ''): { root: string; dir: string } {
  const root = mkdtempSync(join(tmpdir(), 'lrlab-cifar-'));
  const dir = join(root, sub);
  mkdirSync(dir, { recursive: true });
  CIFAR10_TRAIN_FILES.forEach((f, k) => writeFileSync(join(dir, f), batch(k, 3)));
  writeFileSync(join(dir, CIFAR10_TEST_FILES[0]!), batch(9, 2));
  return { root, dir };
}
function withFixture(sub: string, fn: (f: { root: string; dir: string }) => void): void {
  const f = fixture(sub);
  try { fn(f); } finally { rmSync(f.root, { recursive: true, force: true }); }
}

test('loadCifar10 reads records in order, CHW pixels and labels, from the folder or its parent', () => {
  for (const sub of ['', 'cifar-10-batches-bin']) {
    withFixture(sub, ({ root }) => {
      const d = loadCifar10({ dir: root });
      assert.equal(d.train.n, 15);
      assert.equal(d.test.n, 2);
      assert.deepEqual([d.train.channels, d.train.height, d.train.width], [3, 32, 32]);
      assert.deepEqual([...d.train.labels], [0, 1, 2, 1, 2, 3, 2, 3, 4, 3, 4, 5, 4, 5, 6]);
      assert.deepEqual([...d.test.labels], [9, 0]);
      // Record 1 of data_batch_2 is image 4: pixel (c, h, w) = byte 1 + c*1024 + h*32 + w of the record.
      const img = d.train.images.subarray(4 * 3072, 5 * 3072);
      for (const j of [0, 1023, 1024, 2 * 1024 + 5 * 32 + 7, 3071]) assert.equal(img[j], (31 * 1 + 7 * 1 + j) % 256);
    });
  }
});

test('loadCifar10 limits stop early across files', () => {
  withFixture('', ({ dir }) => {
    const d = loadCifar10({ dir, limitTrain: 4, limitTest: 1 });
    assert.equal(d.train.n, 4);
    assert.equal(d.train.images.length, 4 * 3072);
    assert.deepEqual([...d.train.labels], [0, 1, 2, 1]);
    assert.equal(d.test.n, 1);
  });
});

test('loadCifar10 errors: missing folder, missing files (listed), bad size, empty file, label out of range', () => {
  const nowhere = join(tmpdir(), 'lrlab-no-such-cifar-xyz');
  assert.throws(() => loadCifar10({ dir: nowhere }), { message: new RegExp(`^CIFAR-10 folder not found: ${nowhere} \\(download the binary version`) });
  assert.throws(() => loadCifar10({ dir: nowhere, limitTest: 1.5 }), { message: 'loadCifar10: limitTest must be a positive integer, got 1.5' });
  withFixture('', ({ dir }) => {
    unlinkSync(join(dir, 'data_batch_3.bin'));
    unlinkSync(join(dir, 'test_batch.bin'));
    assert.throws(() => loadCifar10({ dir }), { message: new RegExp(`^CIFAR-10: missing file\\(s\\) in ${dir}: data_batch_3\\.bin, test_batch\\.bin \\(`) });
  });
  withFixture('', ({ dir }) => {
    writeFileSync(join(dir, 'data_batch_2.bin'), batch(0, 2).subarray(0, 6000));
    assert.throws(() => loadCifar10({ dir }), {
      message: `CIFAR-10 file ${join(dir, 'data_batch_2.bin')}: size 6000 bytes is not a multiple of the 3073-byte record (1 label byte + 3072 image bytes)`,
    });
  });
  withFixture('', ({ dir }) => {
    writeFileSync(join(dir, 'test_batch.bin'), Buffer.alloc(0));
    assert.throws(() => loadCifar10({ dir }), { message: `CIFAR-10 file ${join(dir, 'test_batch.bin')}: is empty` });
  });
  withFixture('', ({ dir }) => {
    const b = batch(0, 3);
    b[2 * 3073] = 10;
    writeFileSync(join(dir, 'data_batch_5.bin'), b);
    assert.throws(() => loadCifar10({ dir }), {
      message: `CIFAR-10 file ${join(dir, 'data_batch_5.bin')}: label 10 in record 2 is out of range (expected 0..9)`,
    });
  });
});

test('parseCifar10Batch parses one buffer', () => {
  const r = parseCifar10Batch(batch(2, 4), 'b');
  assert.equal(r.n, 4);
  assert.deepEqual([...r.labels], [2, 3, 4, 5]);
  assert.equal(r.images[3 * 3072 + 10], (62 + 21 + 10) % 256);
});

test('the registry entry: no default folder, check without reading (folder or its parent), load with the paper\'s constants', () => {
  const e = cifar10Dataset;
  assert.deepEqual([e.name, e.defaultDir, e.shape], ['cifar10', null, { channels: 3, height: 32, width: 32, classes: 10 }]);
  assert.match(CIFAR10_HINT, /cifar-10-binary\.tar\.gz.*--data DIR/);
  for (const sub of ['', 'cifar-10-batches-bin']) {
    withFixture(sub, ({ root }) => {
      e.check(root);
      const d = e.load({ dir: root, testSize: 1 });
      assert.deepEqual([d.train.n, d.test.n], [15, 1]);
      assert.equal(d.stats, CIFAR10_STATS);
    });
  }
  withFixture('', ({ dir }) => {
    writeFileSync(join(dir, 'data_batch_1.bin'), Buffer.alloc(5)); // a broken file passes check (load names it)
    e.check(dir);
    unlinkSync(join(dir, 'test_batch.bin'));
    assert.throws(() => e.check(dir), { message: `CIFAR-10: missing file(s) in ${dir}: test_batch.bin (${CIFAR10_HINT})` });
  });
  const nowhere = join(tmpdir(), 'lrlab-no-such-cifar-xyz');
  assert.throws(() => e.check(nowhere), { message: `CIFAR-10 folder not found: ${nowhere} (${CIFAR10_HINT})` });
});
