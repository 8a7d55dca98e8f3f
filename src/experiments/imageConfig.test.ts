import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applySets, deepMerge } from './configTools.js';
import { baseImageConfig, imageModelConfig, imagePatchConfig, methodFileName, validateImageConfig, type ImageExperimentConfig } from './imageConfig.js';
import { IMAGE_PRESETS, imagePreset } from './imagePresets.js';

const base = () => imagePreset('smoke');
const withPatch = (p: unknown): ImageExperimentConfig => deepMerge(base(), p);

/** validateImageConfig throws a one-line error matching every pattern. */
function rejects(cfg: unknown, ...patterns: RegExp[]): void {
  assert.throws(() => validateImageConfig(cfg as ImageExperimentConfig), (e: Error) => {
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    for (const p of patterns) assert.match(e.message, p);
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

test('the paper presets carry the FACTS recipes', () => {
  const p = imagePreset('patch');
  assert.equal(p.dataset.name, 'cifar10');
  assert.deepEqual([p.model.arch, p.model.depth, p.model.widen], ['wrn', 16, 10]);
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
  assert.deepEqual([f.dataset.name, f.dataset.trainSize, f.model.hidden, f.patch.patchedFraction, f.patch.zetaRange, f.train.epochs, f.train.recalibrateBn],
    ['fashion-mnist', 5000, [512, 512], 0.995, 0.5, 24, true]);
  assert.deepEqual(f.methods[0]!.lr, { kind: 'step', lr: 0.2, factor: 0.04, at: [12], unit: 'epoch' });
  const fp = imagePatchConfig(f)!;
  assert.deepEqual([fp.patchSize, fp.top, fp.left, fp.channels, fp.height], [6, 11, 11, 1, 28]);
  assert.deepEqual(imageModelConfig(f), { arch: 'mlp', inChannels: 1, height: 28, width: 28, classes: 10, device: 'cpu', hidden: [512, 512] });
});

test('unknown keys, wrong types and missing keys are named', () => {
  rejects(withPatch({ train: { epoch: 3 } }), /unknown config key 'train\.epoch'/);
  rejects(withPatch({ extra: 1 }), /unknown config key 'extra'/);
  rejects(withPatch({ train: { epochs: '3' } }), /'train\.epochs' must be a number, got "3"/);
  rejects(withPatch({ patch: { enabled: 'yes' } }), /'patch\.enabled' must be a boolean/);
  rejects(withPatch({ dataset: { trainSize: 'all' } }), /'dataset\.trainSize' must be a number/);
  const missing = base() as unknown as { train: Record<string, unknown> };
  delete missing.train.evalEvery;
  rejects(missing, /config key 'train\.evalEvery' is missing/);
  rejects(withPatch({ methods: [{ name: 'a', lr: { kind: 'constant', lr: 0.1 }, noise: { kind: 'off' } }] }), /config key 'methods\.0\.subset' is missing/);
  rejects(withPatch({ methods: [{ name: 'a', lr: { kind: 'constant', lr: 0.1 }, noise: { kind: 'off' }, subset: 'patch', x: 1 }] }), /unknown config key 'methods\.0\.x'/);
});

test('bad values are named with the key', () => {
  rejects(withPatch({ kind: 'synthetic' }), /'kind' must be 'images'/);
  rejects(withPatch({ seeds: 0 }), /'seeds' must be a positive integer, got 0/);
  rejects(withPatch({ seed: -1 }), /'seed' must be a non-negative integer/);
  rejects(withPatch({ dataset: { name: 'mnist' } }), /'dataset\.name' must be one of fashion-mnist, cifar10, got "mnist"/);
  rejects(withPatch({ dataset: { dir: '' } }), /'dataset\.dir' must be null or a folder path/);
  rejects(withPatch({ dataset: { testSize: 2.5 } }), /'dataset\.testSize' must be a positive integer/);
  rejects(withPatch({ train: { epochs: 0 } }), /'train\.epochs' must be a positive integer, got 0/);
  rejects(withPatch({ train: { momentum: 1 } }), /'train\.momentum' must be in \[0, 1\)/);
  rejects(withPatch({ train: { momentum: 0 } }), /'train\.nesterov' needs train\.momentum > 0/);
  rejects(withPatch({ train: { weightDecay: -1 } }), /'train\.weightDecay'/);
  rejects(withPatch({ train: { device: 'gpu' } }), /'train\.device' must be 'cpu' or 'cuda', got "gpu"/);
  rejects(withPatch({ train: { checkpointEvery: -1 } }), /'train\.checkpointEvery' must be an integer >= 0/);
  rejects(withPatch({ model: { arch: 'vgg' } }), /config key 'model\.arch' must be one of wrn, resnet, mlp/);
  rejects(withPatch({ model: { arch: 'resnet' } }), /config key 'model\.hidden' does not apply to arch 'resnet'/);
  rejects(withPatch({ model: { hidden: [] } }), /config key 'model\.hidden' must be a non-empty array/);
  rejects(withPatch({ model: { arch: 'wrn', hidden: null, depth: 17 } }), /config key 'model\.depth' must be an integer >= 10/);
  rejects(withPatch({ patch: { zStd: -1 } }), /config key 'patch\.zStd' must be a number/);
  rejects(withPatch({ patch: { patchedFraction: 1.5 } }), /config key 'patch\.patchedFraction'/);
  rejects(withPatch({ patch: { mode: 'blend' } }), /config key 'patch\.mode' must be 'replace' or 'add'/);
  rejects(withPatch({ patch: { patchSize: 30 } }), /config key 'patch\.patchSize' must be at most 28 \(the image is 28 x 28\), got 30/);
  rejects(withPatch({ patch: { patchSize: 6, top: 25 } }), /config key 'patch\.top'.*exceed height 28/);
  rejects(withPatch({ patch: { top: -1 } }), /'patch\.top' must be null or an integer >= 0/);
});

test('methods: names, schedules and subsets are checked by index', () => {
  const m = (o: object) => ({ name: 'a', lr: { kind: 'constant', lr: 0.1 }, noise: { kind: 'off' }, subset: 'patch', ...o });
  rejects(withPatch({ methods: [] }), /'methods' must list at least one method/);
  rejects(withPatch({ methods: [m({ name: 'a b' })] }), /'methods\.0\.name' must be letters, digits/);
  rejects(withPatch({ methods: [m({}), m({ name: 'A' })] }), /'methods\.1\.name' must be unique \(clashes with 'a'\)/);
  rejects(withPatch({ methods: [m({}), m({ name: 'x+y' }), m({ name: 'xplusy' })] }), /'methods\.2\.name' must be unique/);
  rejects(withPatch({ methods: [m({}), m({ name: 'b', lr: { kind: 'constant', lr: -1 } })] }), /config key 'methods\.1\.lr': lr schedule \('constant'\): lr must be a finite number >= 0/);
  rejects(withPatch({ methods: [m({ lr: { kind: 'warp' } })] }), /'methods\.0\.lr': lr schedule: unknown kind 'warp'/);
  rejects(withPatch({ methods: [m({ noise: { kind: 'step', std: 1 } })] }), /'methods\.0\.noise': noise schedule \('step'\)/);
  rejects(withPatch({ methods: [m({ lr: { kind: 'annealAtLoss', lr1: 1, lr2: 0.1, threshold: 0.1 } })] }), /'methods\.0\.lr\.kind' cannot be 'annealAtLoss'/);
  rejects(withPatch({ methods: [m({ subset: 'all' })] }), /'methods\.0\.subset' must be one of patch, cleanOnly, noPatch/);
  rejects(withPatch({ patch: { enabled: false }, methods: [m({ subset: 'cleanOnly' })] }), /'methods\.0\.subset' must be 'noPatch' when patch\.enabled is false/);
  validateImageConfig(withPatch({ patch: { enabled: false }, methods: [m({ subset: 'noPatch' })] }));
  assert.equal(methodFileName('small-lr+noise'), 'small-lrplusnoise');
});

test('--set style dotted overrides reach into methods by index', () => {
  const c = applySets(base(), [['methods.0.lr.lr', 0.05], ['methods.2.noise.std', 0.3], ['train.epochs', 1], ['patch.mode', 'add']]);
  validateImageConfig(c);
  assert.equal((c.methods[0]!.lr as { lr: number }).lr, 0.05);
  assert.equal((c.methods[2]!.noise as { std: number }).std, 0.3);
  assert.equal(imagePatchConfig(c)!.mode, 'add');
  assert.throws(() => applySets(base(), [['methods.3.lr.lr', 1]]), /'methods' is an array of 3/);
  // the base config is the paper's patch experiment
  assert.deepEqual(validateImageConfig(baseImageConfig()).methods, imagePreset('patch').methods);
});
