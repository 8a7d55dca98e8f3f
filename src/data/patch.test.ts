// The patch augmentation: configs and the patch section, the fixed mask, pattern statistics, the exact pixels written
// (replace and add modes), per-load draw rates, and the fixed validation sets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, randint, randn, tensor, type Tensor } from '../engine/index.js';
import {
  CIFAR10_PATCH_CONFIG, PatchState, checkPatchConfig, defaultPatchConfigFor, drawLoads, fixedMask,
  mixedValidationSet, patchConfigFor, patchOnlyValidationSet, patchPlacementProblem, patchSectionSchema, type PatchConfig, type PatchSection,
} from './patch.js';
import { parseConfig } from '../util/schema.js';

const cfg = (o: Partial<PatchConfig> = {}): PatchConfig => ({ ...CIFAR10_PATCH_CONFIG, ...o });
const inPatch = (c: PatchConfig, h: number, w: number) => h >= c.top && h < c.top + c.patchSize && w >= c.left && w < c.left + c.patchSize;

/** Element (c, h, w) of image b of a flat [B, C, H, W] array. */
const at = (a: Float32Array, c: PatchConfig, b: number, ch: number, h: number, w: number) => a[((b * c.channels + ch) * c.height + h) * c.width + w]!;

/** Check image b of `got` against `want(ch, h, w)` everywhere. */
function checkImage(got: Float32Array, c: PatchConfig, b: number, want: (ch: number, h: number, w: number) => number, what: string): void {
  for (let ch = 0; ch < c.channels; ch++) for (let h = 0; h < c.height; h++) for (let w = 0; w < c.width; w++) {
    const g = at(got, c, b, ch, h, w);
    const e = want(ch, h, w);
    if (Math.abs(g - e) > 1e-5) assert.fail(`${what}: image ${b} at (${ch},${h},${w}): ${g} vs ${e}`);
  }
}
/** Pattern value zeta[y][ch][i][j] or z[ch][i][j] from flat arrays. */
const pz = (z: Float32Array, c: PatchConfig, ch: number, i: number, j: number) => z[(ch * c.patchSize + i) * c.patchSize + j]!;
const pzeta = (zeta: Float32Array, c: PatchConfig, y: number, ch: number, i: number, j: number) => zeta[((y * c.channels + ch) * c.patchSize + i) * c.patchSize + j]!;

test('configs: CIFAR-10 defaults, the 28 x 28 scaling, and errors naming the key', () => {
  assert.deepEqual(defaultPatchConfigFor(32, 32, 3), { ...CIFAR10_PATCH_CONFIG });
  assert.equal(CIFAR10_PATCH_CONFIG.top, 12); // pixels [12:19, 12:19]
  const f = defaultPatchConfigFor(28, 28, 1);
  assert.deepEqual([f.patchSize, f.top, f.left, f.channels], [6, 11, 11, 1]);
  assert.equal(f.top * 2 + f.patchSize, 28); // exactly central
  assert.deepEqual([f.zStd, f.zetaRange, f.alpha, f.patchedFraction, f.patchOnlyProb, f.mode], [1.25, 0.1, 1.75, 0.8, 0.2, 'replace']);
  assert.equal(defaultPatchConfigFor(28, 28, 1, { zetaRange: 0.5, mode: 'add' }).zetaRange, 0.5);
  assert.throws(() => checkPatchConfig(cfg({ top: 26 })), { message: "PatchConfig: config key 'top' must be at most 25 (patch rows [26, 33) exceed height 32), got 26" });
  assert.throws(() => checkPatchConfig(cfg({ left: 30, patchSize: 3 })), { message: "PatchConfig: config key 'left' must be at most 29 (patch columns [30, 33) exceed width 32), got 30" });
  assert.throws(() => checkPatchConfig(cfg({ patchSize: 33 })), { message: "PatchConfig: config key 'patchSize' must be at most 32 (the image is 32 x 32), got 33" });
  assert.throws(() => checkPatchConfig(cfg({ patchOnlyProb: 1.2 })), { message: "PatchConfig: config key 'patchOnlyProb' must be a number in [0, 1], got 1.2" });
  assert.throws(() => checkPatchConfig(cfg({ patchSize: 0 })), { message: "PatchConfig: config key 'patchSize' must be a positive integer, got 0" });
  assert.throws(() => checkPatchConfig(cfg({ mode: 'blend' as 'add' })), { message: `PatchConfig: config key 'mode' must be one of "replace", "add", got "blend"` });
  assert.throws(() => new PatchState(cfg({ zStd: -1 }), 4, new Generator(0)), { message: "PatchConfig: config key 'zStd' must be a finite number >= 0, got -1" });
});

test('the patch section: its own value checks, null geometry resolved to the centred default for the image', () => {
  const section: PatchSection = {
    enabled: true, patchSize: null, top: null, left: null, patchedFraction: 0.8, patchOnlyProb: 0.2,
    zStd: 1.25, zetaRange: 0.1, alpha: 1.75, mode: 'replace', patchOnlyValSize: 1000,
  };
  assert.deepEqual(parseConfig(patchSectionSchema, section, 'patch'), section);
  const bad: [Partial<PatchSection> & Record<string, unknown>, string][] = [
    [{ top: -1 }, "config key 'patch.top' must be null or an integer >= 0, got -1"],
    [{ patchSize: 0 }, "config key 'patch.patchSize' must be null or an integer >= 1, got 0"],
    [{ patchedFraction: 1.5 }, "config key 'patch.patchedFraction' must be a number in [0, 1], got 1.5"],
    [{ zetaRange: -0.1 }, "config key 'patch.zetaRange' must be a finite number >= 0, got -0.1"],
    [{ enabled: 'yes' as never }, "config key 'patch.enabled' must be a boolean, got \"yes\""],
    [{ channels: 3 }, "unknown config key 'patch.channels' (known keys of 'patch': enabled, patchSize, top, left, patchedFraction, patchOnlyProb, zStd, zetaRange, alpha, mode, patchOnlyValSize)"],
  ];
  for (const [o, msg] of bad) assert.throws(() => parseConfig(patchSectionSchema, { ...section, ...o }, 'patch'), { message: msg });
  // The same PatchConfig as the defaults for the image; the data set fixes shape and classes.
  assert.deepEqual(patchConfigFor(section, { channels: 3, height: 32, width: 32, classes: 10 }), CIFAR10_PATCH_CONFIG);
  assert.deepEqual(patchConfigFor({ ...section, zetaRange: 0.5 }, { channels: 1, height: 28, width: 28, classes: 10 }), defaultPatchConfigFor(28, 28, 1, { zetaRange: 0.5 }));
  const placed = patchConfigFor({ ...section, patchSize: 4, top: 0 }, { channels: 1, height: 10, width: 12, classes: 5 });
  assert.deepEqual([placed.patchSize, placed.top, placed.left, placed.numClasses], [4, 0, 4, 5]);
  assert.equal(patchPlacementProblem(placed), null);
  assert.deepEqual(patchPlacementProblem(patchConfigFor({ ...section, patchSize: 11 }, { channels: 1, height: 10, width: 12, classes: 5 })),
    { key: 'patchSize', message: 'must be at most 10 (the image is 10 x 12)', value: 11 });
  assert.equal(patchPlacementProblem(patchConfigFor({ ...section, patchSize: 4, top: 7 }, { channels: 1, height: 10, width: 12, classes: 5 }))?.key, 'top');
});

test('the training mask has exactly round(0.8 n) entries, fixed per seed', () => {
  for (const n of [1000, 7, 1]) {
    const s = new PatchState(cfg(), n, new Generator(5));
    assert.equal(s.mask.reduce((a, b) => a + b, 0), Math.round(0.8 * n));
    assert.equal(s.patchedIndices().length + s.cleanIndices().length, n);
    assert.deepEqual(s.maskTensor.toUint8Array(), s.mask);
    s.dispose();
  }
  assert.deepEqual(fixedMask(500, 0.8, new Generator(3)), fixedMask(500, 0.8, new Generator(3)));
  assert.notDeepEqual(fixedMask(500, 0.8, new Generator(3)), fixedMask(500, 0.8, new Generator(4)));
});

test('patterns: z ~ zStd N(0,1), zeta_i ~ U[-zetaRange, zetaRange]; identical per seed, different across seeds', () => {
  const c = cfg({ patchSize: 20, top: 6, left: 6 });
  const a = new PatchState(c, 10, new Generator(11));
  const z = a.z.toFloat64Array();
  const mean = z.reduce((s, v) => s + v, 0) / z.length;
  const sd = Math.sqrt(z.reduce((s, v) => s + (v - mean) ** 2, 0) / z.length);
  assert.ok(Math.abs(sd - 1.25) < 0.1, `z std ${sd}`);
  assert.ok(Math.abs(mean) < 0.12, `z mean ${mean}`);
  assert.deepEqual(a.zetas.shape, [10, 3, 20, 20]);
  const zeta = a.zetas.toFloat64Array();
  const maxAbs = zeta.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const meanAbs = zeta.reduce((s, v) => s + Math.abs(v), 0) / zeta.length;
  assert.ok(maxAbs <= 0.1 && maxAbs > 0.099, `max |zeta| ${maxAbs}`);
  assert.ok(Math.abs(meanAbs - 0.05) < 0.002, `mean |zeta| ${meanAbs}`);
  const b = new PatchState(c, 10, new Generator(11));
  const d = new PatchState(c, 10, new Generator(12));
  assert.deepEqual(b.z.toFloat32Array(), a.z.toFloat32Array());
  assert.deepEqual(b.zetas.toFloat32Array(), a.zetas.toFloat32Array());
  assert.notDeepEqual(d.z.toFloat32Array(), a.z.toFloat32Array());
  for (const s of [a, b, d]) s.dispose();
});

test('per-load draws: patch-only rate 0.2, signs +-1 half each, scale U(0,1)', () => {
  const n = 40000;
  const d = drawLoads(n, 0.2, new Generator(2));
  const only = d.patchOnly.toUint8Array().reduce((a, b) => a + b, 0) / n;
  const signs = d.sign.toFloat64Array();
  const scale = d.scale.toFloat64Array();
  assert.ok(Math.abs(only - 0.2) < 0.01, `patch-only rate ${only}`);
  assert.ok(signs.every((s) => s === 1 || s === -1));
  assert.ok(Math.abs(signs.reduce((a, b) => a + b, 0) / n) < 0.02);
  assert.ok(scale.every((s) => s >= 0 && s < 1));
  assert.ok(Math.abs(scale.reduce((a, b) => a + b, 0) / n - 0.5) < 0.01);
});

/** Apply with hand-set draws to 4 images: clean, mixed (s=+1), mixed (s=-1), patch-only (s=-1, scale 0.6). */
function applyFixed(mode: 'replace' | 'add') {
  const c = cfg({ mode });
  const state = new PatchState(c, 4, new Generator(1));
  const g = new Generator(9);
  const orig = randn([4, 3, 32, 32], g);
  const x = orig.clone();
  const y = tensor([4, 1, 9, 1], { dtype: 'int64' });
  const patched = tensor([false, true, true, true], { dtype: 'bool' });
  // Example 0 draws patch-only, but it is unpatched: it must stay clean.
  const draws = { patchOnly: tensor([true, false, false, true], { dtype: 'bool' }), sign: tensor([1, 1, -1, -1]), scale: tensor([0.5, 0.9, 0.1, 0.6]) };
  const kind = state.apply(x, y, patched, draws);
  return { c, state, o: orig.toFloat32Array(), got: x.toFloat32Array(), kind: kind.toArray(), z: state.z.toFloat32Array(), zeta: state.zetas.toFloat32Array() };
}

test('replace mode: clean untouched, mixed patch = z + s zeta_y, patch-only = zeros with z + s alpha u zeta_y', () => {
  const { c, state, o, got, kind, z, zeta } = applyFixed('replace');
  assert.deepEqual(kind, [0, 1, 1, 2]);
  const P = (y: number, coef: number) => (ch: number, h: number, w: number) => pz(z, c, ch, h - c.top, w - c.left) + coef * pzeta(zeta, c, y, ch, h - c.top, w - c.left);
  checkImage(got, c, 0, (ch, h, w) => at(o, c, 0, ch, h, w), 'clean');
  checkImage(got, c, 1, (ch, h, w) => (inPatch(c, h, w) ? P(1, 1)(ch, h, w) : at(o, c, 1, ch, h, w)), 'mixed +');
  checkImage(got, c, 2, (ch, h, w) => (inPatch(c, h, w) ? P(9, -1)(ch, h, w) : at(o, c, 2, ch, h, w)), 'mixed -');
  checkImage(got, c, 3, (ch, h, w) => (inPatch(c, h, w) ? P(1, -1.75 * 0.6)(ch, h, w) : 0), 'patch-only');
  // The patch rows/columns are [12, 19): pixel (11, 15) and (15, 19) are outside, (12, 12) and (18, 18) inside.
  assert.notEqual(at(got, c, 1, 0, 12, 12), at(o, c, 1, 0, 12, 12));
  assert.notEqual(at(got, c, 1, 0, 18, 18), at(o, c, 1, 0, 18, 18));
  assert.equal(at(got, c, 1, 0, 11, 15), at(o, c, 1, 0, 11, 15));
  assert.equal(at(got, c, 1, 0, 15, 19), at(o, c, 1, 0, 15, 19));
  state.dispose();
});

test('add mode: mixed patch adds z + s zeta_y to the image pixels; patch-only is the same as replace', () => {
  const { c, state, o, got, kind, z, zeta } = applyFixed('add');
  assert.deepEqual(kind, [0, 1, 1, 2]);
  const P = (y: number, coef: number) => (ch: number, h: number, w: number) => pz(z, c, ch, h - c.top, w - c.left) + coef * pzeta(zeta, c, y, ch, h - c.top, w - c.left);
  checkImage(got, c, 0, (ch, h, w) => at(o, c, 0, ch, h, w), 'clean');
  checkImage(got, c, 1, (ch, h, w) => at(o, c, 1, ch, h, w) + (inPatch(c, h, w) ? P(1, 1)(ch, h, w) : 0), 'mixed +');
  checkImage(got, c, 2, (ch, h, w) => at(o, c, 2, ch, h, w) + (inPatch(c, h, w) ? P(9, -1)(ch, h, w) : 0), 'mixed -');
  checkImage(got, c, 3, (ch, h, w) => (inPatch(c, h, w) ? P(1, -1.75 * 0.6)(ch, h, w) : 0), 'patch-only');
  state.dispose();
});

test('mixed validation set: own fixed-count mask, the same set on every call, pixels by the rule', () => {
  const c = cfg({ height: 16, width: 16, top: 5, left: 5 });
  const n = 2000;
  const state = new PatchState(c, n, new Generator(21));
  const g = new Generator(4);
  const images = randn([n, 3, 16, 16], g);
  const labels = randint(0, 10, [n], g);
  const a = mixedValidationSet(state, images, labels);
  const b = mixedValidationSet(state, images, labels);
  assert.deepEqual(a.x.toFloat32Array(), b.x.toFloat32Array());
  assert.deepEqual(a.kind.toArray(), b.kind.toArray());
  const kind = a.kind.toArray();
  const patched = kind.filter((k) => k > 0).length;
  assert.equal(patched, 1600);
  const only = kind.filter((k) => k === 2).length / patched;
  assert.ok(Math.abs(only - 0.2) < 0.04, `patch-only share ${only}`);
  // Its own mask, not the training one.
  assert.notDeepEqual(kind.map((k) => (k > 0 ? 1 : 0)), [...state.mask]);
  // A mixed example carries z + zeta_y or z - zeta_y and keeps its pixels outside the patch.
  const o = images.toFloat32Array();
  const got = a.x.toFloat32Array();
  const z = state.z.toFloat32Array();
  const zeta = state.zetas.toFloat32Array();
  const ys = labels.toArray();
  const i = kind.indexOf(1);
  const k0 = kind.indexOf(0);
  checkImage(got, c, k0, (ch, h, w) => at(o, c, k0, ch, h, w), 'clean val');
  const sgn = Math.sign(at(got, c, i, 0, 5, 5) - pz(z, c, 0, 0, 0)) * Math.sign(pzeta(zeta, c, ys[i]!, 0, 0, 0));
  checkImage(got, c, i, (ch, h, w) => (inPatch(c, h, w) ? pz(z, c, ch, h - 5, w - 5) + sgn * pzeta(zeta, c, ys[i]!, ch, h - 5, w - 5) : at(o, c, i, ch, h, w)), 'mixed val');
  state.dispose();
});

test('patch-only validation set: zero images with patches z + c zeta_y (|c| <= alpha), random labels, fixed', () => {
  const c = cfg({ patchOnlyValSize: 1000 });
  const state = new PatchState(c, 10, new Generator(8));
  const a = patchOnlyValidationSet(state);
  const b = patchOnlyValidationSet(state);
  assert.deepEqual(a.x.shape, [1000, 3, 32, 32]);
  assert.deepEqual(a.x.toFloat32Array(), b.x.toFloat32Array());
  assert.deepEqual(a.y.toArray(), b.y.toArray());
  assert.ok(a.kind.toArray().every((k) => k === 2));
  const ys = a.y.toArray();
  const counts = new Array<number>(10).fill(0);
  ys.forEach((y) => counts[y]!++);
  assert.ok(counts.every((k) => k > 60 && k < 140), `label counts ${counts}`);
  const got = a.x.toFloat32Array();
  const z = state.z.toFloat32Array();
  const zeta = state.zetas.toFloat32Array();
  const coefs: number[] = [];
  for (const i of [0, 1, 2, 500, 999]) {
    // Least-squares coefficient of zeta_y in (patch - z), then an exact check with it.
    let num = 0, den = 0;
    for (let ch = 0; ch < 3; ch++) for (let p = 0; p < 7; p++) for (let q = 0; q < 7; q++) {
      const r = at(got, c, i, ch, 12 + p, 12 + q) - pz(z, c, ch, p, q);
      const e = pzeta(zeta, c, ys[i]!, ch, p, q);
      num += r * e; den += e * e;
    }
    const coef = num / den;
    coefs.push(coef);
    assert.ok(Math.abs(coef) <= 1.75 + 1e-4, `coefficient ${coef}`);
    checkImage(got, c, i, (ch, h, w) => (inPatch(c, h, w) ? pz(z, c, ch, h - 12, w - 12) + coef * pzeta(zeta, c, ys[i]!, ch, h - 12, w - 12) : 0), 'patch-only val');
  }
  assert.ok(new Set(coefs.map((v) => v.toFixed(4))).size === coefs.length, 'coefficients are redrawn per image');
  state.dispose();
});

test('apply checks the batch shape', () => {
  const state = new PatchState(cfg(), 2, new Generator(1));
  const x: Tensor = randn([2, 3, 28, 28], new Generator(1));
  const d = drawLoads(2, 0.2, new Generator(1));
  assert.throws(() => state.apply(x, tensor([0, 1], { dtype: 'int64' }), tensor([true, true], { dtype: 'bool' }), d),
    { message: 'PatchState.apply: x must be [B, 3, 32, 32], got [2, 3, 28, 28]' });
  state.dispose();
});
