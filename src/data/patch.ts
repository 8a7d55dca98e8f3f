// Patch augmentation of paper Section 6 / Appendix H.2 and the authors' code: a fixed random
// fraction of the training images carries a small memorizable patch at the centre, written after
// normalization. One shared pattern z ~ zStd * N(0, 1)^(C,p,p) and one small pattern per class
// zeta_i ~ U[-zetaRange, zetaRange]^(C,p,p). Each load of a patched image is, independently,
//   patch-only (prob. patchOnlyProb): the whole image 0, patch z + s * alpha * U(0,1) * zeta_y;
//   mixed (otherwise):                 the image with patch z + s * zeta_y;
// with a random sign s = +-1. mode 'replace' (the authors' code, Table 2) overwrites the patch
// pixels; mode 'add' (the paper's text) adds the patch to them (same thing for patch-only images).
import { Generator, bernoulli, deriveSeed, keep, rand, randint, randn, randperm, tensor, tidy, uniform_, where, zeros, type Device, type Tensor } from '../engine/index.js';
import { ConfigError, fail, int, issueMessage, nonNegative, nonNegativeInt, num, object, positiveInt, z } from '../util/schema.js';

const FRACTION = 'must be a number in [0, 1]';
const fraction = () => num(FRACTION).min(0, { error: FRACTION }).max(1, { error: FRACTION });

/** The patch's own settings (the same in a config's patch section and in a PatchConfig). */
const settings = {
  /** Fraction of training images that carry a patch (fixed count round(fraction * n), chosen once). */
  patchedFraction: fraction(),
  /** Probability that a load of a patched image is patch-only. */
  patchOnlyProb: fraction(),
  /** Standard deviation of the shared pattern z (sigma_z). */
  zStd: nonNegative(),
  /** Half-width of the uniform per-class patterns zeta_i (beta). */
  zetaRange: nonNegative(),
  /** Patch-only images use z + s * alpha * U(0,1) * zeta_i. */
  alpha: nonNegative(),
  /** 'replace' (the authors' code, Table 2) overwrites the patch pixels; 'add' (the paper's text) adds to them. */
  mode: z.enum(['replace', 'add']),
  /** Size of the patch-only validation set. */
  patchOnlyValSize: nonNegativeInt(),
};

/** A patch placed on an image of the given size: its side p and its top-left pixel. */
export const patchConfigSchema = object({
  channels: positiveInt(),
  height: positiveInt(),
  width: positiveInt(),
  /** Side p of the square patch (7 for CIFAR-10). */
  patchSize: positiveInt(),
  /** Top-left pixel of the patch: floor((H - p) / 2) as the authors' int(16 - p/2) (12 for 32 x 32, p = 7). */
  top: nonNegativeInt(),
  left: nonNegativeInt(),
  ...settings,
  numClasses: positiveInt(),
}).superRefine((c, ctx) => {
  const bad = patchPlacementProblem(c);
  if (bad) fail(ctx, [bad.key], bad.message, bad.value);
}, { when: (p) => p.issues.length === 0 });

export type PatchConfig = z.infer<typeof patchConfigSchema>;
export type PatchMode = PatchConfig['mode'];

const nullOrInt = (min: number) => {
  const msg = `must be null or an integer >= ${min}`;
  return int(msg).min(min, { error: msg }).nullable();
};

/**
 * The patch section of an experiment config: whether the training images carry a patch, and the
 * patch without what the data set fixes (image size, classes). A null geometry key means centred,
 * with the side scaled to the image (patchConfigFor).
 */
export const patchSectionSchema = object({
  enabled: z.boolean(),
  patchSize: nullOrInt(1),
  top: nullOrInt(0),
  left: nullOrInt(0),
  ...settings,
});
export type PatchSection = z.infer<typeof patchSectionSchema>;

/** The paper's CIFAR-10 setting (Appendix H.2). */
export const CIFAR10_PATCH_CONFIG: Readonly<PatchConfig> = Object.freeze({
  channels: 3, height: 32, width: 32, patchSize: 7, top: 12, left: 12,
  patchedFraction: 0.8, patchOnlyProb: 0.2, zStd: 1.25, zetaRange: 0.1, alpha: 1.75,
  mode: 'replace', numClasses: 10, patchOnlyValSize: 1000,
});

/** The default side for an image: round(7 * min(H, W) / 32), 7 for 32 x 32 and 6 for 28 x 28 (about 4.7% of the pixels). */
const defaultPatchSize = (height: number, width: number) => Math.max(1, Math.round((7 * Math.min(height, width)) / 32));
/** The centred offset floor((size - p) / 2): 12 for CIFAR-10, 11 for Fashion-MNIST (pixels [11:17], exactly central). */
const centred = (size: number, p: number) => Math.max(0, Math.floor((size - p) / 2));

/**
 * Defaults for an image size: the patch side scales with the image and the patch is centred (see
 * above). Magnitudes are per pixel in normalized units, so they stay the paper's.
 */
export function defaultPatchConfigFor(height: number, width: number, channels: number, overrides: Partial<PatchConfig> = {}): PatchConfig {
  const patchSize = overrides.patchSize ?? defaultPatchSize(height, width);
  return checkPatchConfig({
    ...CIFAR10_PATCH_CONFIG, channels, height, width, patchSize,
    top: centred(height, patchSize), left: centred(width, patchSize), ...overrides,
  });
}

/** The PatchConfig of a patch section on a data set's images (null geometry: the defaults above); not checked. */
export function patchConfigFor(s: PatchSection, image: { channels: number; height: number; width: number; classes: number }): PatchConfig {
  const { enabled: _enabled, patchSize, top, left, ...rest } = s;
  const p = patchSize ?? defaultPatchSize(image.height, image.width);
  return {
    channels: image.channels, height: image.height, width: image.width, patchSize: p,
    top: top ?? centred(image.height, p), left: left ?? centred(image.width, p), ...rest, numClasses: image.classes,
  };
}

/** Whether the patch fits in the image: the first key that does not, with what it must be. */
export function patchPlacementProblem(c: PatchConfig): { key: 'patchSize' | 'top' | 'left'; message: string; value: number } | null {
  const side = Math.min(c.height, c.width);
  if (c.patchSize > side) return { key: 'patchSize', message: `must be at most ${side} (the image is ${c.height} x ${c.width})`, value: c.patchSize };
  if (c.top + c.patchSize > c.height) {
    return { key: 'top', message: `must be at most ${c.height - c.patchSize} (patch rows [${c.top}, ${c.top + c.patchSize}) exceed height ${c.height})`, value: c.top };
  }
  if (c.left + c.patchSize > c.width) {
    return { key: 'left', message: `must be at most ${c.width - c.patchSize} (patch columns [${c.left}, ${c.left + c.patchSize}) exceed width ${c.width})`, value: c.left };
  }
  return null;
}

/** Validate a PatchConfig (from code; configs are checked by their schema); throws a one-line error naming the key. */
export function checkPatchConfig(c: PatchConfig): PatchConfig {
  const r = patchConfigSchema.safeParse(c, { reportInput: true });
  if (!r.success) throw new ConfigError(`PatchConfig: ${issueMessage(r.error.issues[0]!)}`);
  return r.data;
}

/** Number of patched training images: round(fraction * n). */
export function patchedCount(n: number, fraction: number): number { return Math.round(fraction * n); }

/** Per-load random draws for n loads: which are patch-only, the sign s and the U(0,1) scale. */
export interface LoadDraws { patchOnly: Tensor; sign: Tensor; scale: Tensor }

/** Draw n loads' randomness (in this order: patch-only, sign, scale) on the CPU, then move to `device`. */
export function drawLoads(n: number, patchOnlyProb: number, gen: Generator, device: Device = 'cpu'): LoadDraws {
  return tidy(() => {
    const patchOnly = rand([n], gen).lt(patchOnlyProb);
    const sign = bernoulli(0.5, gen, [n]).mul(2).sub(1);
    const scale = rand([n], gen);
    return { patchOnly: patchOnly.to({ device }), sign: sign.to({ device }), scale: scale.to({ device }) };
  });
}

/** A random fixed-count mask: exactly round(fraction * n) of n entries set, chosen by a permutation. */
export function fixedMask(n: number, fraction: number, gen: Generator): Uint8Array {
  const k = patchedCount(n, fraction);
  const mask = new Uint8Array(n);
  if (n === 0) return mask;
  const perm = tidy(() => randperm(n, gen).narrow(0, 0, k).toInt32Array());
  for (const i of perm) mask[i] = 1;
  return mask;
}

/**
 * The patch state fixed before training: the training mask and the patterns. Rebuilt identically
 * from the same seed (so it need not be saved in checkpoints). Owns its tensors: call dispose().
 */
export class PatchState {
  readonly config: PatchConfig;
  readonly seed: number;
  readonly device: Device;
  /** Shared pattern z [C, p, p]. */
  readonly z: Tensor;
  /** Per-class patterns zeta [numClasses, C, p, p]. */
  readonly zetas: Tensor;
  /** 1 for the training images that carry a patch. */
  readonly mask: Uint8Array;
  /** The same mask as a bool tensor [n] on `device`. */
  readonly maskTensor: Tensor;

  /** Generators: gen.derive('patch/mask') for the mask, gen.derive('patch/patterns') for z and zeta. */
  constructor(config: PatchConfig, nTrain: number, gen: Generator, o: { device?: Device } = {}) {
    this.config = checkPatchConfig({ ...config });
    if (!Number.isInteger(nTrain) || nTrain < 0) throw new Error(`PatchState: nTrain must be a non-negative integer, got ${nTrain}`);
    this.seed = gen.seed;
    this.device = o.device ?? 'cpu';
    const { channels: C, patchSize: p, numClasses: K } = this.config;
    this.mask = fixedMask(nTrain, this.config.patchedFraction, gen.derive('patch/mask'));
    const pg = gen.derive('patch/patterns');
    const dev = this.device;
    [this.z, this.zetas] = tidy(() => [
      randn([C, p, p], pg).mul(this.config.zStd).to({ device: dev }),
      uniform_(zeros([K, C, p, p]), -this.config.zetaRange, this.config.zetaRange, pg).to({ device: dev }),
    ]);
    this.maskTensor = maskToTensor(this.mask, dev);
    keep(this.z); keep(this.zetas); keep(this.maskTensor);
  }

  get nTrain(): number { return this.mask.length; }
  /** Indices of the training images without a patch (the paper's 10,000 clean images). */
  cleanIndices(): Int32Array { return indicesWhere(this.mask, 0); }
  patchedIndices(): Int32Array { return indicesWhere(this.mask, 1); }
  /** A generator for a named purpose, derived from the state's seed (e.g. 'loads', 'val-mixed'). */
  generator(label: string): Generator { return new Generator(deriveSeed(this.seed, 'patch/' + label)); }

  /**
   * Patch a batch in place. x [B, C, H, W] normalized images, y int64 labels [B], patched bool [B]
   * (which images carry a patch), draws for these B loads. Returns the kind per example (int64 [B]):
   * 0 clean (unpatched), 1 mixed, 2 patch-only.
   */
  apply(x: Tensor, y: Tensor, patched: Tensor, draws: LoadDraws): Tensor {
    const { channels: C, height: H, width: W, patchSize: p, top, left, alpha, mode } = this.config;
    const s = x.shape;
    if (s.length !== 4 || s[1] !== C || s[2] !== H || s[3] !== W) {
      throw new Error(`PatchState.apply: x must be [B, ${C}, ${H}, ${W}], got [${s.join(', ')}]`);
    }
    const B = s[0]!;
    return tidy(() => {
      const only = draws.patchOnly.logicalAnd(patched);
      const coef = draws.sign.mul(where(only, draws.scale.mul(alpha), 1)).reshape([B, 1, 1, 1]);
      const patch = this.zetas.indexSelect(0, y).mul(coef).add(this.z);
      // Patch-only: zero the whole image (the patch then replaces or adds to zeros: the same).
      x.mul_(only.logicalNot().to({ dtype: x.dtype }).reshape([B, 1, 1, 1]));
      const region = x.narrow(2, top, p).narrow(3, left, p);
      const written = mode === 'replace' ? patch : region.add(patch);
      region.copy_(where(patched.reshape([B, 1, 1, 1]), written, region));
      return patched.long().add(only.long());
    });
  }

  dispose(): void { this.z.dispose(); this.zetas.dispose(); this.maskTensor.dispose(); }
}

function indicesWhere(mask: Uint8Array, v: number): Int32Array {
  const out: number[] = [];
  mask.forEach((m, i) => { if (m === v) out.push(i); });
  return Int32Array.from(out);
}
/** A 0/1 byte mask as a bool tensor [n] on a device. */
function maskToTensor(mask: Uint8Array, device: Device): Tensor {
  return tidy(() => tensor(mask, { shape: [mask.length] }).to({ dtype: 'bool', device }));
}

/** A patched image set with its kinds: x [n, C, H, W], y int64 [n], kind int64 [n]. */
export interface PatchedSet { x: Tensor; y: Tensor; kind: Tensor }

/**
 * The mixed validation set: the test images with the same rule, using their OWN fixed mask
 * (round(fraction * n), from state.generator('val-mixed/mask')). Its per-load draws are fixed once
 * (from state.generator('val-mixed/loads')), so every call returns the same set and evaluation is
 * deterministic (the authors' code redrew them at every evaluation).
 */
export function mixedValidationSet(state: PatchState, images: Tensor, labels: Tensor): PatchedSet {
  const n = images.shape[0]!;
  const mask = fixedMask(n, state.config.patchedFraction, state.generator('val-mixed/mask'));
  return tidy(() => {
    const draws = drawLoads(n, state.config.patchOnlyProb, state.generator('val-mixed/loads'), images.device);
    const x = images.clone();
    const y = labels.to({ dtype: 'int64', device: images.device });
    const kind = state.apply(x, y, maskToTensor(mask, images.device), draws);
    return { x, y, kind };
  });
}

/**
 * The patch-only validation set: patchOnlyValSize zero images with patch-only patches
 * (z + s * alpha * U(0,1) * zeta_y) and uniformly random labels, fixed once (state.generator('val-patch-only')).
 */
export function patchOnlyValidationSet(state: PatchState): PatchedSet {
  const { patchOnlyValSize: n, numClasses, channels: C, height: H, width: W } = state.config;
  const gen = state.generator('val-patch-only');
  const dev = state.device;
  return tidy(() => {
    const y = randint(0, numClasses, [n], gen).to({ device: dev });
    const draws = drawLoads(n, 1, gen, dev);
    const x = zeros([n, C, H, W], { device: dev });
    const all = zeros([n], { dtype: 'bool', device: dev }).logicalNot();
    const kind = state.apply(x, y, all, draws);
    return { x, y, kind };
  });
}
