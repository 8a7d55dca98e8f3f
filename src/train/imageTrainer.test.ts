// Tests of the image trainer on a tiny Fashion-MNIST-format set, with a trainer config built here
// (the trainer takes a slice of an experiment's config, not the experiment's config itself).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator, setNumThreads } from '../engine/index.js';
import type { ImageForwardOptions } from '../models/index.js';
import { loadImageDataset, type ImageData } from '../data/imageDatasets.js';
import { defaultPatchConfigFor, type PatchConfig } from '../data/patch.js';
import { writeTinyFashionMnist } from '../experiments/images/testData.testutil.js';
import {
  ImageTrainer, disposeSeedSetup, setupImageSeed, subsampleImages, type ImageSeedSetup, type ImageTrainerConfig, type ImageTrainerMethod,
} from './imageTrainer.js';
import type { ImageMetricsRow } from '../metrics/imageMetrics.js';

setNumThreads(1);

const dataDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'lrlab-imgtr-'));
process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
writeTinyFashionMnist(dataDir, 240, 100);

/**
 * 200 of the 240 training images, 100 test images, MLP 784-16-10, batch 32 (7 batches, the last of
 * 8), the patch of the patch-fmnist preset (99.5% patched, zeta range 0.5), BN recalibrated on 2 batches.
 */
function tiny(patch: Partial<PatchConfig> = {}): ImageTrainerConfig {
  return {
    dataset: { trainSize: 200, testSize: 100 },
    model: { arch: 'mlp', hidden: [16] },
    shape: { inChannels: 1, height: 28, width: 28, classes: 10 },
    patch: defaultPatchConfigFor(28, 28, 1, { patchedFraction: 0.995, zetaRange: 0.5, patchOnlyValSize: 50, ...patch }),
    train: { batchSize: 32, momentum: 0.9, nesterov: true, weightDecay: 5e-4, recalibrateBn: true, recalibrateBatches: 2, evalBatchSize: 64, device: 'cpu' },
  };
}

let data: ImageData | null = null;
const loadData = () => (data ??= loadImageDataset('fashion-mnist', { dir: dataDir, testSize: 100 }));
function setup(cfg: ImageTrainerConfig, seed = 0): ImageSeedSetup {
  return setupImageSeed(cfg, loadData(), seed);
}

const method = (o: Partial<ImageTrainerMethod> = {}): ImageTrainerMethod => ({ name: 'm', lr: { kind: 'constant', lr: 0.05 }, noise: { kind: 'off' }, subset: 'patch', ...o });
const noSeconds = ({ seconds: _s, ...r }: ImageMetricsRow) => r;

/** Train to the end, returning the rows (epoch 0 first). */
function trainAll(tr: ImageTrainer, epochs: number): ImageMetricsRow[] {
  const rows = [tr.evaluate(0)];
  while (tr.epoch < epochs) {
    assert.equal(tr.trainEpoch(), 'epoch');
    rows.push(tr.evaluate(0));
  }
  return rows;
}

test('evaluation runs without noise and leaves the noise generator alone; training uses the scheduled noise', () => {
  const cfg = tiny();
  const s = setup(cfg);
  const tr = new ImageTrainer(cfg, method({ noise: { kind: 'step', std: 0.7, factor: 0.5, at: [1], unit: 'epoch' } }), s);
  const calls: ImageForwardOptions[] = [];
  const orig = tr.model.forward.bind(tr.model);
  tr.model.forward = (x, o) => { calls.push(o); return orig(x, o); };
  const gens = () => (tr.state().gens.noise);
  const g0 = gens();
  const r0 = tr.evaluate(0);
  assert.ok(calls.length > 0);
  for (const o of calls) assert.ok(!o.noiseStd, 'no noise in evaluation or recalibration');
  assert.ok(calls.some((o) => o.training === false), 'eval mode');
  assert.ok(calls.filter((o) => o.training).length === 2, 'recalibration: 2 training-mode batches without noise');
  assert.equal(gens(), g0);
  assert.deepEqual(noSeconds(tr.evaluate(0)).val_acc, noSeconds(r0).val_acc, 'evaluation is deterministic');
  calls.length = 0;
  assert.equal(tr.trainEpoch(), 'epoch');
  assert.equal(calls.length, 7);
  for (const o of calls) { assert.equal(o.training, true); assert.equal(o.noiseStd, 0.7); }
  assert.notEqual(gens(), g0, 'training drew noise');
  calls.length = 0;
  tr.trainEpoch();
  for (const o of calls) assert.equal(o.noiseStd, 0.35, 'x0.5 at epoch 1');
  assert.equal(tr.evaluate(0).noise, 0.35);
  tr.dispose();
  disposeSeedSetup(s);
});

test('noise changes training; zero noise is the same as no noise; methods of a seed start from the same model', () => {
  const cfg = tiny();
  const s = setup(cfg);
  const run = (m: ImageTrainerMethod) => {
    const tr = new ImageTrainer(cfg, m, s);
    const rows = trainAll(tr, 1);
    const w = tr.model.params.get('fc1.weight').toFloat32Array();
    tr.dispose();
    return { rows, w };
  };
  const off = run(method());
  const zero = run(method({ noise: { kind: 'constant', std: 0 } }));
  const noisy = run(method({ noise: { kind: 'constant', std: 1 } }));
  assert.deepEqual(zero.w, off.w);
  assert.notDeepEqual(noisy.w, off.w);
  assert.deepEqual({ ...noSeconds(noisy.rows[0]!), noise: 0 }, noSeconds(off.rows[0]!), 'same initial model and evaluation');
  assert.equal(noisy.rows[0]!.noise, 1);
  disposeSeedSetup(s);
  const s1 = setup(cfg, 1);
  const other = new ImageTrainer(cfg, method(), s1);
  assert.notDeepEqual(other.model.params.get('fc1.weight').toFloat32Array(), new ImageTrainer(cfg, method(), setup(cfg, 0)).model.params.get('fc1.weight').toFloat32Array());
  other.dispose();
  disposeSeedSetup(s1);
});

test('a state saved mid-epoch (through JSON) and restored continues bit-identically', () => {
  const cfg = tiny();
  const s = setup(cfg);
  const m = method({ lr: { kind: 'step', lr: 0.1, factor: 0.1, at: [1], unit: 'epoch' }, noise: { kind: 'constant', std: 0.3 } });
  const ref = new ImageTrainer(cfg, m, s);
  const refRows = trainAll(ref, 3);
  const refW = ref.model.params.stateDict();

  for (const stopAfter of [3, 7, 12]) { // mid-epoch 1, the very end of epoch 1, mid-epoch 2
    const a = new ImageTrainer(cfg, m, s);
    const rows = [a.evaluate(0)];
    let polls = 0;
    const shouldStop = () => polls++ === stopAfter;
    let saved: string | null = null;
    while (a.epoch < 3 && saved === null) {
      const r = a.trainEpoch({ shouldStop });
      if (r === 'stopped') saved = JSON.stringify(a.state());
      else rows.push(a.evaluate(0));
    }
    assert.ok(saved, `stopped after ${stopAfter} polls`);
    a.dispose();
    const b = new ImageTrainer(cfg, m, s);
    b.restore(JSON.parse(saved));
    while (b.epoch < 3) { assert.equal(b.trainEpoch(), 'epoch'); rows.push(b.evaluate(0)); }
    assert.deepEqual(rows.map(noSeconds), refRows.map(noSeconds), `rows, stopped after ${stopAfter}`);
    assert.deepEqual(b.model.params.stateDict(), refW, `weights and BN buffers, stopped after ${stopAfter}`);
    assert.deepEqual(b.state().sgd, ref.state().sgd);
    b.dispose();
  }
  assert.deepEqual(refRows.map((r) => [r.epoch, r.step, r.lr]), [[0, 0, 0.1], [1, 7, 0.1], [2, 14, 0.010000000000000002], [3, 21, 0.010000000000000002]]);
  const wrong = new ImageTrainer(cfg, { ...m, name: 'other' }, s);
  assert.throws(() => wrong.restore(ref.state()), /the state is for method m seed 0, not other seed 0/);
  wrong.dispose();
  ref.dispose();
  disposeSeedSetup(s);
});

test('training subsets: cleanOnly sees only the unpatched images, noPatch all images without a patch', () => {
  const cfg = tiny({ patchedFraction: 0.75 });
  const s = setup(cfg);
  const steps = (subset: ImageTrainerMethod['subset']) => {
    const tr = new ImageTrainer(cfg, method({ subset }), s);
    const rows = trainAll(tr, 1);
    tr.dispose();
    return rows[1]!;
  };
  const clean = steps('cleanOnly');
  assert.equal(clean.step, 2, '50 clean images, batch 32');
  assert.equal(clean.train_loss.mixed, null);
  assert.equal(clean.train_loss.patch_only, null);
  assert.equal(clean.train_loss.all, clean.train_loss.clean);
  const none = steps('noPatch');
  assert.equal(none.step, 7);
  assert.equal(none.train_acc.mixed, null);
  const all = steps('patch');
  for (const k of ['clean', 'mixed', 'patch_only', 'all'] as const) assert.ok(Number.isFinite(all.train_loss[k]), k);
  for (const r of [clean, none, all]) for (const v of ['clean', 'mixed', 'patch_only'] as const) assert.ok(r.val_acc[v]! >= 0 && r.val_acc[v]! <= 1);
  disposeSeedSetup(s);
});

test('a diverging method stops with a clear message and no update from the bad batch', () => {
  const cfg = tiny();
  const s = setup(cfg);
  const tr = new ImageTrainer(cfg, method({ lr: { kind: 'constant', lr: 1e12 } }), s);
  let r: string = 'epoch';
  for (let e = 0; e < 3 && r === 'epoch'; e++) r = tr.trainEpoch();
  assert.equal(r, 'diverged');
  assert.equal(tr.status, 'diverged');
  assert.match(tr.message!, /training diverged in epoch \d at step \d+ \(non-finite loss\) with lr 1000000000000: lower the learning rate/);
  assert.throws(() => tr.trainEpoch(), /has already stopped \(diverged\)/);
  tr.dispose();
  disposeSeedSetup(s);
});

test('subsampleImages draws a sorted, seed-fixed subset and refuses more images than there are', () => {
  const data = loadData();
  const a = subsampleImages(data.train, 50, new Generator(5));
  const b = subsampleImages(data.train, 50, new Generator(5));
  const c = subsampleImages(data.train, 50, new Generator(6));
  assert.equal(a.n, 50);
  assert.deepEqual(a.images, b.images);
  assert.notDeepEqual(a.images, c.images);
  // every image is one of the originals, in dataset order
  const rows = (r: typeof a) => Array.from({ length: r.n }, (_, i) => Buffer.from(r.images.subarray(i * 784, (i + 1) * 784)).toString('hex'));
  const all = rows(data.train);
  const pos = rows(a).map((h) => all.indexOf(h));
  assert.ok(pos.every((p, i) => p >= 0 && (i === 0 || p > pos[i - 1]!)));
  assert.throws(() => subsampleImages(data.train, 241, new Generator(0)), /'dataset\.trainSize' is 241 but the data set has only 240 training images/);
});
