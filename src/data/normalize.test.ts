// Per-channel normalization: exact statistics, the CIFAR-10 constants, the normalized tensor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CIFAR10_STATS, channelStats, labelsTensor, normalizeImages, type RawImages } from './normalize.js';

/** 2 images, 2 channels, 1 x 2 pixels: channel 0 holds 0, 255, 51, 102; channel 1 is constant 10 plus 0/20. */
const raw: RawImages = {
  images: Uint8Array.from([0, 255, 10, 30, 51, 102, 10, 30]), labels: Uint8Array.from([3, 7]), n: 2, channels: 2, height: 1, width: 2,
};

test('channelStats gives the exact per-channel mean and population std in [0, 1] units', () => {
  const s = channelStats(raw);
  const c0 = [0, 255, 51, 102].map((v) => v / 255);
  const m0 = c0.reduce((a, b) => a + b) / 4;
  const sd0 = Math.sqrt(c0.reduce((a, b) => a + (b - m0) ** 2, 0) / 4);
  assert.ok(Math.abs(s.mean[0]! - m0) < 1e-12);
  assert.ok(Math.abs(s.std[0]! - sd0) < 1e-12);
  assert.ok(Math.abs(s.mean[1]! - 20 / 255) < 1e-12);
  assert.ok(Math.abs(s.std[1]! - 10 / 255) < 1e-12);
});

test('CIFAR-10 constants are the authors\' values / 255', () => {
  assert.deepEqual(CIFAR10_STATS.mean.map((v) => Math.round(v * 2550) / 10), [125.3, 123, 113.9]);
  assert.deepEqual(CIFAR10_STATS.std.map((v) => Math.round(v * 2550) / 10), [63, 62.1, 66.7]);
});

test('normalizeImages gives float32 [n,C,H,W] = (x/255 - mean) / std per channel', () => {
  const stats = { mean: [0.5, 0.1], std: [0.25, 0.2] };
  const x = normalizeImages(raw, stats);
  assert.deepEqual(x.shape, [2, 2, 1, 2]);
  assert.equal(x.dtype, 'float32');
  const got = x.toFloat32Array();
  raw.images.forEach((v, i) => {
    const c = Math.floor(i / 2) % 2;
    const want = (v / 255 - stats.mean[c]!) / stats.std[c]!;
    assert.ok(Math.abs(got[i]! - want) < 1e-5, `element ${i}: ${got[i]} vs ${want}`);
  });
  x.dispose();
  // With the set's own statistics each channel has mean 0 and (population) variance 1.
  const y = normalizeImages(raw, channelStats(raw));
  const m = y.mean([0, 2, 3]).toArray();
  const v = y.var([0, 2, 3], { unbiased: false }).toArray();
  m.forEach((mm) => assert.ok(Math.abs(mm) < 1e-6));
  v.forEach((vv) => assert.ok(Math.abs(vv - 1) < 1e-5));
  y.dispose();
  const l = labelsTensor(raw);
  assert.equal(l.dtype, 'int64');
  assert.deepEqual(l.toArray(), [3, 7]);
});

test('normalization errors name the problem', () => {
  assert.throws(() => normalizeImages(raw, CIFAR10_STATS), { message: 'normalizeImages: stats have 3 means and 3 stds but the images have 2 channels' });
  assert.throws(() => normalizeImages(raw, { mean: [0, 0], std: [1, 0] }), { message: 'normalizeImages: std[1] must be positive, got 0' });
  assert.throws(() => channelStats({ ...raw, images: raw.images.subarray(1) }),
    { message: 'channelStats: images has 7 bytes but n*channels*height*width = 8' });
  assert.throws(() => channelStats({ ...raw, n: 0, images: new Uint8Array(0), labels: new Uint8Array(0) }), { message: 'channelStats: the image set is empty' });
});
