import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SYNTHETIC_METHODS, baseSyntheticConfig, validateSyntheticConfig, type SyntheticExperimentConfig } from './syntheticConfig.js';
import { SYNTHETIC_PRESETS, syntheticPreset } from './syntheticPresets.js';
import { applySets, deepMerge } from './configTools.js';

/** The base config with dotted overrides (no validation). */
function withSets(...sets: [string, unknown][]): SyntheticExperimentConfig {
  return applySets(baseSyntheticConfig(), sets);
}

/** validateSyntheticConfig throws a one-line error that names `key` (quoted) and matches `more`. */
function rejects(cfg: unknown, key: string, more?: RegExp): void {
  assert.throws(() => validateSyntheticConfig(cfg as SyntheticExperimentConfig), (e: Error) => {
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    assert.ok(e.message.includes(`'${key}'`), `'${key}' named in: ${e.message}`);
    if (more) assert.match(e.message, more);
    return true;
  });
}

test('the base config is valid, JSON round-trips and validates again', () => {
  const c = baseSyntheticConfig();
  assert.equal(validateSyntheticConfig(c), c);
  assert.deepEqual(validateSyntheticConfig(JSON.parse(JSON.stringify(c))), c);
  assert.deepEqual(c.methods, [...SYNTHETIC_METHODS]);
});

test('every preset in SYNTHETIC_PRESETS is a complete, valid config named after its preset', () => {
  assert.ok(Object.keys(SYNTHETIC_PRESETS).length >= 1);
  for (const name of Object.keys(SYNTHETIC_PRESETS)) {
    const c = syntheticPreset(name);
    assert.doesNotThrow(() => validateSyntheticConfig(c), `preset ${name}`);
    assert.equal(c.preset, name);
    assert.equal(c.kind, 'synthetic');
    assert.ok(SYNTHETIC_PRESETS[name]!.description.length > 0, `preset ${name} has a description`);
  }
  // presets do not share state: changing one copy leaves the next one alone
  const a = syntheticPreset('default');
  a.train.eta1 = 123;
  assert.notEqual(syntheticPreset('default').train.eta1, 123);
  assert.throws(() => syntheticPreset('nope'), /unknown synthetic preset 'nope' \(available: default/);
});

test('unknown keys are rejected, top-level and nested, naming the dotted key', () => {
  rejects({ ...baseSyntheticConfig(), sed: 1 }, 'sed', /unknown config key/);
  rejects(deepMerge(baseSyntheticConfig(), { train: { etaa: 1 } }), 'train.etaa', /unknown config key.*known keys of 'train'.*eta1/);
  rejects(deepMerge(baseSyntheticConfig(), { data: { testSizes: { pOnlyy: 5 } } }), 'data.testSizes.pOnlyy', /unknown config key/);
  rejects(deepMerge(baseSyntheticConfig(), { model: { width: 5 } }), 'model.width', /unknown config key/);
});

test('wrong types are rejected, naming the key', () => {
  rejects(withSets(['train.eta1', '0.1']), 'train.eta1', /must be a number, got "0\.1"/);
  rejects(withSets(['data.n', '120']), 'data.n', /must be a number/);
  rejects(withSets(['train.stopAtLoss', 'yes']), 'train.stopAtLoss', /must be a boolean/);
  rejects(withSets(['methods', 'L-S']), 'methods', /must be an array/);
  rejects(withSets(['seeds', null]), 'seeds', /must be a number, got null/);
  rejects(withSets(['model', 3]), 'model', /must be an object/);
  // nullable keys: null or a number, nothing else
  rejects(withSets(['train.tau0', 'abc']), 'train.tau0');
  rejects(withSets(['train.annealAtStep', '5']), 'train.annealAtStep');
  rejects(withSets(['train.noiseAnnealAtLoss', '0.1']), 'train.noiseAnnealAtLoss');
  rejects(withSets(['train.noiseAnnealAtLoss', true]), 'train.noiseAnnealAtLoss');
  assert.doesNotThrow(() => validateSyntheticConfig(withSets(['train.tau0', 0.01], ['train.annealAtStep', 5], ['train.noiseAnnealAtLoss', 0.1], ['train.noiseAnnealAtStep', null])));
});

test('missing keys are rejected, naming the key', () => {
  const c = baseSyntheticConfig() as unknown as { train: Record<string, unknown> };
  delete c.train.stopAtLoss;
  rejects(c, 'train.stopAtLoss', /missing/);
});

test('data errors name the dotted data key: p0 + q0 > 1, probabilities, sizes', () => {
  rejects(withSets(['data.p0', 0.5], ['data.q0', 0.6]), 'data.p0 + data.q0', /must be <= 1/);
  rejects(withSets(['data.q0', 1.5]), 'data.q0', /probability/);
  rejects(withSets(['data.p0', -0.1]), 'data.p0');
  rejects(withSets(['data.n', 0]), 'data.n');
  rejects(withSets(['data.d', 20]), 'data.qSupport', /d=20/);
  rejects(withSets(['data.testSizes.both', -1]), 'data.testSizes.both');
  rejects(withSets(['data.dtype', 'int32']), 'data.dtype');
});

test('negative or zero rates are rejected, naming the key', () => {
  for (const k of ['eta1', 'eta2', 'lambda', 'tauXi', 'eps1', 'eps2', 'eps2S', 'noiseStd']) {
    rejects(withSets([`train.${k}`, -0.5]), `train.${k}`, /must be a finite number >= 0, got -0\.5/);
  }
  rejects(withSets(['train.eta1', 0]), 'train.eta1', /must be > 0/);
  rejects(withSets(['train.eta2', 0]), 'train.eta2', /must be > 0/);
  rejects(withSets(['train.tau0', -1]), 'train.tau0');
  rejects(withSets(['train.noiseAnnealAtLoss', -1]), 'train.noiseAnnealAtLoss');
  // the stationary init needs eta1 * lambda < 1; an explicit tau0 lifts that
  rejects(withSets(['train.eta1', 10], ['train.lambda', 0.2]), 'train.lambda', /eta1 \* lambda < 1/);
  assert.doesNotThrow(() => validateSyntheticConfig(withSets(['train.eta1', 10], ['train.lambda', 0.2], ['train.tau0', 0.01])));
  assert.doesNotThrow(() => validateSyntheticConfig(withSets(['train.lambda', 0], ['train.tauXi', 0])));
});

test('methods must be a non-empty list of known methods', () => {
  rejects(withSets(['methods', ['L-S', 'SGD']]), 'methods', /must contain only L-S, S, S\+noise, got "SGD"/);
  rejects(withSets(['methods', []]), 'methods', /at least one/);
  assert.doesNotThrow(() => validateSyntheticConfig(withSets(['methods', ['S+noise']])));
});

test('integer and enum keys are checked', () => {
  rejects(withSets(['seeds', 0]), 'seeds');
  rejects(withSets(['seeds', 1.5]), 'seeds');
  rejects(withSets(['seed', -1]), 'seed');
  rejects(withSets(['kind', 'cifar']), 'kind');
  rejects(withSets(['model.arch', 'deep']), 'model.arch');
  rejects(withSets(['model.m', 0]), 'model.m');
  rejects(withSets(['model.arch', 'conv'], ['model.convK', 3]), 'model.convK', /divisor of data\.d \(100\)/);
  rejects(withSets(['train.update', 'adam']), 'train.update');
  rejects(withSets(['train.batchSize', 0]), 'train.batchSize');
  rejects(withSets(['train.maxSteps', 0]), 'train.maxSteps');
  rejects(withSets(['train.maxSteps', 10.5]), 'train.maxSteps');
  rejects(withSets(['train.lossCheckEvery', 0]), 'train.lossCheckEvery');
  rejects(withSets(['train.evalEvery', 0]), 'train.evalEvery');
  rejects(withSets(['train.checkpointEvery', -1]), 'train.checkpointEvery');
  rejects(withSets(['train.annealAtStep', 2.5]), 'train.annealAtStep');
  rejects(withSets(['train.noiseAnnealAtStep', -3]), 'train.noiseAnnealAtStep');
});
