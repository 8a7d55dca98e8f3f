// Raw uint8 image sets (what the loaders return) and per-channel input normalization
// (paper Appendix H: subtract the mean pixel, divide by the standard deviation pixel).
import { tensor, tidy, type Device, type Tensor } from '../engine/index.js';

/** Images as loaded: uint8 pixels, NCHW order, flat; labels uint8 in [0, numClasses). */
export interface RawImages {
  images: Uint8Array;
  labels: Uint8Array;
  n: number;
  channels: number;
  height: number;
  width: number;
}
/** A dataset's training and test splits. */
export interface RawImageData { train: RawImages; test: RawImages }

/** Per-channel mean and standard deviation in [0, 1] pixel units (pixel / 255). */
export interface ChannelStats { mean: number[]; std: number[] }

/** CIFAR-10 constants of the authors' code (xternalz/WideResNet-pytorch). */
export const CIFAR10_STATS: ChannelStats = {
  mean: [125.3, 123.0, 113.9].map((v) => v / 255),
  std: [63.0, 62.1, 66.7].map((v) => v / 255),
};

/** Check that a RawImages is self-consistent; throws a one-line error naming the field. */
export function checkRawImages(raw: RawImages, what = 'images'): void {
  for (const k of ['n', 'channels', 'height', 'width'] as const) {
    if (!Number.isInteger(raw[k]) || raw[k] < 0) throw new Error(`${what}: ${k} must be a non-negative integer, got ${raw[k]}`);
  }
  const size = raw.n * raw.channels * raw.height * raw.width;
  if (raw.images.length !== size) {
    throw new Error(`${what}: images has ${raw.images.length} bytes but n*channels*height*width = ${size}`);
  }
  if (raw.labels.length !== raw.n) throw new Error(`${what}: labels has ${raw.labels.length} entries but n = ${raw.n}`);
}

/**
 * Per-channel mean and (population) standard deviation of a set of images, in [0, 1] units.
 * Exact: computed from per-channel 256-bin histograms. Used for Fashion-MNIST (from its training set).
 */
export function channelStats(raw: RawImages): ChannelStats {
  checkRawImages(raw, 'channelStats');
  if (raw.n === 0) throw new Error('channelStats: the image set is empty');
  const hw = raw.height * raw.width;
  const hist = Array.from({ length: raw.channels }, () => new Float64Array(256));
  const img = raw.images;
  for (let i = 0; i < raw.n; i++) {
    for (let c = 0; c < raw.channels; c++) {
      const h = hist[c]!;
      const off = (i * raw.channels + c) * hw;
      for (let j = off; j < off + hw; j++) h[img[j]!]! += 1;
    }
  }
  const count = raw.n * hw;
  const mean: number[] = [];
  const std: number[] = [];
  for (const h of hist) {
    let s = 0;
    for (let v = 0; v < 256; v++) s += h[v]! * v;
    const m = s / count;
    let q = 0;
    for (let v = 0; v < 256; v++) q += h[v]! * (v - m) * (v - m);
    mean.push(m / 255);
    std.push(Math.sqrt(q / count) / 255);
  }
  return { mean, std };
}

function checkStats(stats: ChannelStats, channels: number): void {
  if (stats.mean.length !== channels || stats.std.length !== channels) {
    throw new Error(`normalizeImages: stats have ${stats.mean.length} means and ${stats.std.length} stds but the images have ${channels} channels`);
  }
  stats.std.forEach((s, c) => {
    if (!(s > 0)) throw new Error(`normalizeImages: std[${c}] must be positive, got ${s}`);
  });
}

/** Normalized float32 images [n, C, H, W]: (pixel / 255 - mean[c]) / std[c]. */
export function normalizeImages(raw: RawImages, stats: ChannelStats, o: { device?: Device } = {}): Tensor {
  checkRawImages(raw, 'normalizeImages');
  checkStats(stats, raw.channels);
  const C = raw.channels;
  return tidy(() => {
    const x = tensor(raw.images, { shape: [raw.n, C, raw.height, raw.width] }).to({ dtype: 'float32', device: o.device ?? 'cpu' });
    // In place, so that only one float copy of the dataset is alive.
    const shift = tensor(stats.mean.map((m) => -m * 255), { shape: [1, C, 1, 1] }).to({ device: o.device ?? 'cpu' });
    const scale = tensor(stats.std.map((s) => 1 / (255 * s)), { shape: [1, C, 1, 1] }).to({ device: o.device ?? 'cpu' });
    x.add_(shift).mul_(scale);
    return x;
  });
}

/** Labels as an int64 tensor [n] (what crossEntropy and indexSelect take). */
export function labelsTensor(raw: RawImages, o: { device?: Device } = {}): Tensor {
  return tidy(() => tensor(raw.labels, { shape: [raw.labels.length] }).to({ dtype: 'int64', device: o.device ?? 'cpu' }));
}
