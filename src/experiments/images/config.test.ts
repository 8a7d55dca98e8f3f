// Tests of the image experiments' config: the presets, one-line errors naming the dotted key for
// every section (and the known keys of unknown ones), the model as one section type per arch,
// merges and --set overrides, the JSON Schema, and a test-only model and data set end to end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applySets, deepMerge } from '../configTools.js';
import {
  baseImageConfig, imageConfigSchema, imageModelShape, imagePatchConfig, imageTrainerConfig, mergeImageConfig, methodFileName, validateImageConfig,
  type ImageExperimentConfig,
} from './config.js';
import { IMAGE_PRESETS, imagePreset } from './presets.js';
import { loadImageData } from './data.js';
import { toJsonSchema } from '../../util/schema.js';
import { setNumThreads } from '../../engine/index.js';
import { registerImageDataset, type ImageDatasetEntry } from '../../data/imageDatasets.js';
import type { RawImages } from '../../data/normalize.js';
import { registerImageModel } from '../../models/index.js';
import { LinearModel, linearModel } from '../../models/linearModel.testutil.js';
import { ImageTrainer, disposeSeedSetup, setupImageSeed } from '../../train/imageTrainer.js';

setNumThreads(1);

const base = () => imagePreset('smoke');
const withPatch = (p: unknown): ImageExperimentConfig => deepMerge(base(), p);

/** validateImageConfig throws this one-line error (or one starting with it, for `prefix`). */
function rejects(cfg: unknown, message: string, prefix = false): void {
  assert.throws(() => validateImageConfig(cfg as ImageExperimentConfig), (e: Error) => {
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    if (prefix) assert.ok(e.message.startsWith(message), e.message);
    else assert.equal(e.message, message);
    return true;
  });
}

test('every preset is a complete, valid, JSON-round-trippable config', () => {
  for (const name of Object.keys(IMAGE_PRESETS)) {
    const c = imagePreset(name);
    assert.equal(c.preset, name);
    assert.equal(c.kind, 'images');
    assert.deepEqual(validateImageConfig(JSON.parse(JSON.stringify(c))), c, name);
    assert.equal(c.train.device, 'cpu', `${name} runs on the CPU by default`);
  }
  assert.throws(() => imagePreset('nope'), /unknown images preset 'nope' \(available: patch, clean, /);
});

test('the paper presets carry the recipes of Appendix H.1 (Table 1) and H.2 (Table 2), with the patch and optimizer of the authors\' public code', () => {
  const p = imagePreset('patch');
  assert.equal(p.dataset.name, 'cifar10');
  assert.deepEqual(p.model, { arch: 'wrn', depth: 16, widen: 10 });
  assert.deepEqual([p.train.epochs, p.train.batchSize, p.train.momentum, p.train.nesterov, p.train.weightDecay], [60, 128, 0.9, true, 5e-4]);
  assert.deepEqual(p.methods.map((m) => m.name), ['large-lr', 'small-lr', 'small-lr+noise']);
  assert.deepEqual(p.methods[0]!.lr, { kind: 'step', lr: 0.1, factor: 0.04, at: [30], unit: 'epoch' });
  assert.deepEqual(p.methods[1]!.lr, { kind: 'constant', lr: 0.004 });
  assert.deepEqual(p.methods[2]!.noise, { kind: 'step', std: 0.4, factor: 1e-5, at: [30], unit: 'epoch' });
  const pc = imagePatchConfig(p)!;
  assert.deepEqual([pc.patchSize, pc.top, pc.left, pc.patchedFraction, pc.patchOnlyProb, pc.zStd, pc.zetaRange, pc.alpha, pc.mode, pc.channels],
    [7, 12, 12, 0.8, 0.2, 1.25, 0.1, 1.75, 'replace', 3]);

  const c = imagePreset('clean');
  assert.equal(c.train.epochs, 200);
  assert.equal(imagePatchConfig(c), null);
  assert.deepEqual(c.methods.map((m) => [m.lr, m.subset]), [0.1, 0.01, 0.01].map((lr) => [{ kind: 'multistep', lr, milestones: [60, 120, 150], gamma: 0.2, unit: 'epoch' }, 'noPatch']));
  assert.deepEqual(c.methods[2]!.noise, { kind: 'exponential', std: 0.2, rate: 0.995, every: 'step' });

  const r = imagePreset('patch-references');
  assert.deepEqual(r.methods.map((m) => `${m.name}:${m.subset}`), [
    'large-lr.cleanOnly:cleanOnly', 'small-lr.cleanOnly:cleanOnly', 'small-lr+noise.cleanOnly:cleanOnly',
    'large-lr.noPatch:noPatch', 'small-lr.noPatch:noPatch', 'small-lr+noise.noPatch:noPatch',
  ]);

  const f = imagePreset('patch-fmnist');
  assert.deepEqual(f.model, { arch: 'mlp', hidden: [512, 512] }, 'the base WRN section is replaced whole, no depth/widen left behind');
  assert.deepEqual([f.dataset.name, f.dataset.trainSize, f.patch.patchedFraction, f.patch.zetaRange, f.train.epochs, f.train.recalibrateBn],
    ['fashion-mnist', 5000, 0.995, 0.5, 24, true]);
  assert.deepEqual(f.methods[0]!.lr, { kind: 'step', lr: 0.2, factor: 0.04, at: [12], unit: 'epoch' });
  const fp = imagePatchConfig(f)!;
  assert.deepEqual([fp.patchSize, fp.top, fp.left, fp.channels, fp.height], [6, 11, 11, 1, 28]);
  assert.deepEqual(imageModelShape(f), { inChannels: 1, height: 28, width: 28, classes: 10 });
  assert.deepEqual(imageTrainerConfig(f), { dataset: f.dataset, model: f.model, shape: imageModelShape(f), patch: fp, train: f.train, exampleEvents: true });
  assert.deepEqual(imagePreset('smoke').model, { arch: 'mlp', hidden: [32] });
});

test('unknown keys, wrong types and missing keys are named, with the known keys', () => {
  rejects(withPatch({ train: { epoch: 3 } }), "unknown config key 'train.epoch' (known keys of 'train': epochs, batchSize, momentum, nesterov, weightDecay, recalibrateBn, recalibrateBatches, device, evalEvery, checkpointEvery, evalBatchSize)");
  rejects(withPatch({ extra: 1 }), "unknown config key 'extra' (known keys: kind, preset, seed, seeds, dataset, model, patch, train, metrics, methods)");
  rejects(withPatch({ metrics: { exampleEvents: 1 } }), "config key 'metrics.exampleEvents' must be a boolean, got 1");
  rejects(withPatch({ train: { epochs: '3' } }), `config key 'train.epochs' must be a positive integer, got "3"`);
  rejects(withPatch({ patch: { enabled: 'yes' } }), `config key 'patch.enabled' must be a boolean, got "yes"`);
  rejects(withPatch({ dataset: { trainSize: 'all' } }), `config key 'dataset.trainSize' must be a positive integer, got "all"`);
  const missing = base() as unknown as { train: Record<string, unknown> };
  delete missing.train.evalEvery;
  rejects(missing, "config key 'train.evalEvery' is missing");
  rejects(withPatch({ methods: [{ name: 'a', lr: { kind: 'constant', lr: 0.1 }, noise: { kind: 'off' } }] }), "config key 'methods.0.subset' is missing");
  rejects(withPatch({ methods: [{ name: 'a', lr: { kind: 'constant', lr: 0.1 }, noise: { kind: 'off' }, subset: 'patch', x: 1 }] }),
    "unknown config key 'methods.0.x' (known keys of 'methods.0': name, lr, noise, subset)");
});

test('model sections: one config type per arch; the keys of another arch are unknown keys', () => {
  rejects(withPatch({ model: { arch: 'mlp', depth: 16, hidden: [8] } }), "unknown config key 'model.depth' (known keys of 'model': arch, hidden)");
  // deepMerge keeps the smoke preset's hidden: the keys of the MLP are not the ResNet's
  rejects(withPatch({ model: { arch: 'resnet', depth: 10, baseWidth: 8 } }), "unknown config key 'model.hidden' (known keys of 'model': arch, depth, baseWidth)");
  rejects(withPatch({ model: { arch: 'vgg' } }), `config key 'model.arch' must be one of "wrn", "resnet", "mlp", got "vgg"`);
  rejects(withPatch({ model: { hidden: [] } }), "config key 'model.hidden' must be a non-empty array of positive integers, got []");
  rejects(mergeImageConfig(base(), { model: { arch: 'wrn', depth: 17, widen: 1 } }), "config key 'model.depth' must be an integer >= 10 with (depth - 4) % 6 === 0 (10, 16, 22, 28, ...), got 17");
  rejects(mergeImageConfig(base(), { model: { arch: 'wrn', depth: 10 } }), "config key 'model.widen' is missing");
  // mergeImageConfig replaces a section of another arch whole, and merges one of the same arch
  const r = validateImageConfig(mergeImageConfig(base(), { model: { arch: 'resnet', depth: 10, baseWidth: 8 } }));
  assert.deepEqual(r.model, { arch: 'resnet', depth: 10, baseWidth: 8 });
  assert.deepEqual(mergeImageConfig(base(), { model: { hidden: [7, 7] }, train: { epochs: 1 } }).model, { arch: 'mlp', hidden: [7, 7] });
  assert.deepEqual(mergeImageConfig(base(), { model: { arch: 'mlp', hidden: [5] } }).model, { arch: 'mlp', hidden: [5] });
});

test('bad values are named with the key', () => {
  rejects(withPatch({ kind: 'synthetic' }), `config key 'kind' must be "images", got "synthetic"`);
  rejects(withPatch({ seeds: 0 }), "config key 'seeds' must be a positive integer, got 0");
  rejects(withPatch({ seed: -1 }), "config key 'seed' must be a non-negative integer, got -1");
  rejects(withPatch({ dataset: { name: 'mnist' } }), `config key 'dataset.name' must be one of "fashion-mnist", "cifar10", got "mnist"`);
  rejects(withPatch({ dataset: { dir: '' } }), `config key 'dataset.dir' must be null or a folder path, got ""`);
  rejects(withPatch({ dataset: { testSize: 2.5 } }), "config key 'dataset.testSize' must be a positive integer, got 2.5");
  rejects(withPatch({ train: { epochs: 0 } }), "config key 'train.epochs' must be a positive integer, got 0");
  rejects(withPatch({ train: { momentum: 1 } }), "config key 'train.momentum' must be in [0, 1), got 1");
  rejects(withPatch({ train: { momentum: 0 } }), "config key 'train.nesterov' needs train.momentum > 0, got true");
  rejects(withPatch({ train: { weightDecay: -1 } }), "config key 'train.weightDecay' must be a finite number >= 0, got -1");
  rejects(withPatch({ train: { device: 'gpu' } }), `config key 'train.device' must be one of "cpu", "cuda", got "gpu"`);
  rejects(withPatch({ train: { checkpointEvery: -1 } }), "config key 'train.checkpointEvery' must be an integer >= 0, got -1");
  rejects(withPatch({ patch: { zStd: -1 } }), "config key 'patch.zStd' must be a finite number >= 0, got -1");
  rejects(withPatch({ patch: { patchedFraction: 1.5 } }), "config key 'patch.patchedFraction' must be a number in [0, 1], got 1.5");
  rejects(withPatch({ patch: { mode: 'blend' } }), `config key 'patch.mode' must be one of "replace", "add", got "blend"`);
  rejects(withPatch({ patch: { top: -1 } }), "config key 'patch.top' must be null or an integer >= 0, got -1");
  // the patch must fit the data set's images (Fashion-MNIST: 28 x 28; CIFAR-10: 32 x 32)
  rejects(withPatch({ patch: { patchSize: 30 } }), "config key 'patch.patchSize' must be at most 28 (the image is 28 x 28), got 30");
  rejects(withPatch({ patch: { patchSize: 6, top: 25 } }), "config key 'patch.top' must be at most 22 (patch rows [25, 31) exceed height 28), got 25");
  validateImageConfig(deepMerge(imagePreset('patch'), { patch: { patchSize: 30 } }));
});

test('methods: names, schedules and subsets are checked by index', () => {
  const m = (o: object) => ({ name: 'a', lr: { kind: 'constant', lr: 0.1 }, noise: { kind: 'off' }, subset: 'patch', ...o });
  rejects(withPatch({ methods: [] }), "config key 'methods' must list at least one method, got []");
  rejects(withPatch({ methods: [m({ name: 'a b' })] }), `config key 'methods.0.name' must be letters, digits and . _ + - (starting with a letter or digit), got "a b"`);
  rejects(withPatch({ methods: [m({}), m({ name: 'A' })] }), `config key 'methods.1.name' must be unique (clashes with 'a'), got "A"`);
  rejects(withPatch({ methods: [m({}), m({ name: 'x+y' }), m({ name: 'xplusy' })] }), `config key 'methods.2.name' must be unique (clashes with 'x+y'), got "xplusy"`);
  // the schedules are train/schedules.ts's schemas: their keys are named under the method's
  rejects(withPatch({ methods: [m({}), m({ name: 'b', lr: { kind: 'constant', lr: -1 } })] }), "config key 'methods.1.lr.lr' must be a finite number >= 0, got -1");
  rejects(withPatch({ methods: [m({ lr: { kind: 'warp' } })] }), `config key 'methods.0.lr.kind' must be one of "constant", `, true);
  rejects(withPatch({ methods: [m({ noise: { kind: 'step', std: 1 } })] }), "config key 'methods.0.noise.factor' is missing");
  rejects(withPatch({ methods: [m({ lr: { kind: 'annealAtLoss', lr1: 1, lr2: 0.1, threshold: 0.1 } })] }),
    `config key 'methods.0.lr.kind' cannot be 'annealAtLoss' in the image experiments (use 'step', 'multistep' or a 'sequence'), got "annealAtLoss"`);
  rejects(withPatch({ methods: [m({ noise: { kind: 'annealAtLoss', std: 0.1, atStep: 5 } })] }), "config key 'methods.0.noise.kind' cannot be 'annealAtLoss'", true);
  rejects(withPatch({ methods: [m({ subset: 'all' })] }), `config key 'methods.0.subset' must be one of "patch", "cleanOnly", "noPatch", got "all"`);
  rejects(withPatch({ patch: { enabled: false }, methods: [m({ subset: 'cleanOnly' })] }), `config key 'methods.0.subset' must be 'noPatch' when patch.enabled is false, got "cleanOnly"`);
  validateImageConfig(withPatch({ patch: { enabled: false }, methods: [m({ subset: 'noPatch' })] }));
  assert.equal(methodFileName('small-lr+noise'), 'small-lrplusnoise');
});

test('--set style dotted overrides reach into methods by index and into the arch\'s own model keys', () => {
  const c = applySets(base(), [['methods.0.lr.lr', 0.05], ['methods.2.noise.std', 0.3], ['train.epochs', 3], ['patch.mode', 'add']]);
  validateImageConfig(c);
  assert.equal((c.methods[0]!.lr as { lr: number }).lr, 0.05);
  assert.equal((c.methods[2]!.noise as { std: number }).std, 0.3);
  assert.equal(imagePatchConfig(c)!.mode, 'add');
  assert.throws(() => applySets(base(), [['methods.3.lr.lr', 1]]), /'methods' is an array of 3/);
  // as the golden test's short runs: the MLP's hidden, the WideResNet's depth and widen
  assert.deepEqual(validateImageConfig(applySets(imagePreset('patch-fmnist'), [['model.hidden', [32, 32]]])).model, { arch: 'mlp', hidden: [32, 32] });
  assert.deepEqual(validateImageConfig(applySets(imagePreset('patch'), [['model.depth', 10], ['model.widen', 1]])).model, { arch: 'wrn', depth: 10, widen: 1 });
  assert.throws(() => applySets(imagePreset('patch'), [['model.hidden', [8]]]), /unknown config key 'model\.hidden' \(known keys of 'model': arch, depth, widen\)/);
  // the base config is the paper's patch experiment
  assert.deepEqual(validateImageConfig(baseImageConfig()).methods, imagePreset('patch').methods);
});

test('the JSON Schema of the config: strict sections, the model as a oneOf over the archs, the registered data sets', () => {
  const j = toJsonSchema(imageConfigSchema()) as {
    additionalProperties: boolean; required: string[];
    properties: { model: { oneOf: { properties: { arch: { const: string } }; additionalProperties: boolean }[] }; dataset: { properties: { name: { enum: string[] } } } };
  };
  assert.equal(j.additionalProperties, false);
  assert.deepEqual(j.required, ['kind', 'preset', 'seed', 'seeds', 'dataset', 'model', 'patch', 'train', 'metrics', 'methods']);
  assert.deepEqual(j.properties.model.oneOf.map((o) => o.properties.arch.const), ['wrn', 'resnet', 'mlp']);
  assert.ok(j.properties.model.oneOf.every((o) => o.additionalProperties === false));
  assert.deepEqual(j.properties.dataset.properties.name.enum, ['fashion-mnist', 'cifar10']);
});

// Last in this file: it registers a test-only model and data set for the rest of the process.
test('registering a test-only model and data set is all a config needs to validate, load and train with them', () => {
  /** 3 x 8 x 8 images of 4 classes, the class a bright column (deterministic). */
  const images = (n: number, off: number): RawImages => {
    const px = new Uint8Array(n * 192), labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = (i + off) % 4;
      for (let j = 0; j < 192; j++) px[i * 192 + j] = (j % 8 === labels[i]! * 2 ? 200 : 0) + ((i * 31 + j * 7) % 50);
    }
    return { images: px, labels, n, channels: 3, height: 8, width: 8 };
  };
  const checked: string[] = [];
  const tiny: ImageDatasetEntry = {
    name: 'test-rgb', title: 'Test RGB', shape: { channels: 3, height: 8, width: 8, classes: 4 }, defaultDir: '/nowhere/test-rgb', hint: 'generated',
    check: (dir) => { checked.push(dir); },
    load: ({ testSize }) => ({ train: images(64, 0), test: images(testSize ?? 32, 1), stats: { mean: [0.3, 0.3, 0.3], std: [0.3, 0.3, 0.3] } }),
  };
  const cfg = mergeImageConfig(base(), {
    dataset: { name: 'test-rgb', trainSize: 48, testSize: 16 }, model: { arch: 'test-linear', scale: 2 },
    patch: { patchOnlyValSize: 8 }, train: { epochs: 2, batchSize: 16, recalibrateBn: false },
  });
  rejects(cfg, `config key 'dataset.name' must be one of "fashion-mnist", "cifar10", got "test-rgb"`);
  registerImageDataset(tiny);
  rejects(cfg, `config key 'model.arch' must be one of "wrn", "resnet", "mlp", got "test-linear"`);
  registerImageModel(linearModel);
  const c = validateImageConfig(cfg);
  assert.deepEqual(c.model, { arch: 'test-linear', scale: 2 });
  rejects(mergeImageConfig(c, { model: { scale: 11 } }), "config key 'model.scale' must be at most 10, got 11");
  rejects(mergeImageConfig(c, { patch: { patchSize: 9 } }), "config key 'patch.patchSize' must be at most 8 (the image is 8 x 8), got 9");
  const j = toJsonSchema(imageConfigSchema()) as { properties: { model: { oneOf: unknown[] }; dataset: { properties: { name: { enum: string[] } } } } };
  assert.equal(j.properties.model.oneOf.length, 4);
  assert.deepEqual(j.properties.dataset.properties.name.enum, ['fashion-mnist', 'cifar10', 'test-rgb']);

  const tc = imageTrainerConfig(c);
  assert.deepEqual(tc.shape, { inChannels: 3, height: 8, width: 8, classes: 4 });
  assert.deepEqual([tc.patch!.patchSize, tc.patch!.top, tc.patch!.channels, tc.patch!.numClasses], [2, 3, 3, 4]);
  const data = loadImageData(c);
  assert.deepEqual(checked, ['/nowhere/test-rgb'], 'checked in its default folder');
  assert.equal(data.test.n, 16);
  const setup = setupImageSeed(tc, data, 0);
  const tr = new ImageTrainer(tc, c.methods[0]!, setup);
  try {
    assert.ok(tr.model instanceof LinearModel);
    assert.equal(tr.trainEpoch(), 'epoch');
    const row = tr.evaluate(0);
    assert.deepEqual([row.epoch, row.step], [1, 3]);
    for (const v of ['clean', 'mixed', 'patch_only'] as const) assert.ok(row.val_acc[v]! >= 0 && row.val_acc[v]! <= 1, v);
  } finally { tr.dispose(); disposeSeedSetup(setup); }
});
