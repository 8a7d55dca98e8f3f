import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SYNTHETIC_METHODS, baseSyntheticConfig, syntheticConfigSchema, validateSyntheticConfig, type SyntheticExperimentConfig } from './config.js';
import { SYNTHETIC_PRESETS, syntheticPreset } from './presets.js';
import { applySets, deepMerge } from '../configTools.js';
import { ConfigError, toJsonSchema } from '../../util/schema.js';

/** The base config with dotted overrides (no validation). */
function withSets(...sets: [string, unknown][]): SyntheticExperimentConfig {
  return applySets(baseSyntheticConfig(), sets);
}

/** validateSyntheticConfig throws a one-line ConfigError that names `key` (quoted) and matches `more`. */
function rejects(cfg: unknown, key: string, more?: RegExp): void {
  assert.throws(() => validateSyntheticConfig(cfg as SyntheticExperimentConfig), (e: Error) => {
    assert.ok(e instanceof ConfigError, `a ConfigError: ${e.message}`);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    assert.ok(e.message.includes(`'${key}'`), `'${key}' named in: ${e.message}`);
    if (more) assert.match(e.message, more);
    return true;
  });
}

test('the base config is valid, JSON round-trips and validates again, keys in the same order', () => {
  const c = baseSyntheticConfig();
  const parsed = validateSyntheticConfig(c);
  assert.deepEqual(parsed, c);
  // the parsed config is what the CLI writes to config.json: same keys, same order
  assert.equal(JSON.stringify(parsed), JSON.stringify(c));
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

test('unknown keys are rejected, top-level and nested, naming the dotted key and the known ones', () => {
  rejects({ ...baseSyntheticConfig(), sed: 1 }, 'sed', /^unknown config key 'sed' \(known keys: kind, preset, seed, seeds, methods, data, model, train\)$/);
  rejects(deepMerge(baseSyntheticConfig(), { train: { etaa: 1 } }), 'train.etaa', /unknown config key.*known keys of 'train'.*eta1/);
  rejects(deepMerge(baseSyntheticConfig(), { data: { testSizes: { pOnlyy: 5 } } }), 'data.testSizes.pOnlyy', /unknown config key/);
  rejects(deepMerge(baseSyntheticConfig(), { model: { width: 5 } }), 'model.width', /^unknown config key 'model.width' \(known keys of 'model': arch, m, mW, mV, secondLayerScale, reduceQBlock\)$/);
  // convK belongs to the conv net only
  rejects(deepMerge(baseSyntheticConfig(), { model: { convK: 4 } }), 'model.convK', /known keys of 'model': arch, m, mW, mV, secondLayerScale, reduceQBlock\)/);
});

test('wrong types are rejected, naming the key', () => {
  rejects(withSets(['train.eta1', '0.1']), 'train.eta1', /must be a finite number > 0, got "0\.1"/);
  rejects(withSets(['data.n', '120']), 'data.n', /must be a positive integer, got "120"/);
  rejects(withSets(['train.stopAtLoss', 'yes']), 'train.stopAtLoss', /must be a boolean, got "yes"/);
  rejects(withSets(['methods', 'L-S']), 'methods', /must be an array/);
  rejects(withSets(['seeds', null]), 'seeds', /must be a positive integer, got null/);
  rejects(withSets(['model', 3]), 'model', /must be an object, got 3/);
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
  rejects(c, 'train.stopAtLoss', /^config key 'train.stopAtLoss' is missing$/);
  rejects(withSets(['model', { arch: 'conv', m: 8 }]), 'model.convK', /is missing/);
});

test('data errors name the dotted data key: p0 + q0 > 1, probabilities, sizes', () => {
  rejects(withSets(['data.p0', 0.5], ['data.q0', 0.6]), 'data.q0', /^config key 'data.q0' must satisfy p0 \+ q0 <= 1 \(p0 is 0.5\), got 0.6$/);
  rejects(withSets(['data.q0', 1.5]), 'data.q0', /probability/);
  rejects(withSets(['data.p0', -0.1]), 'data.p0');
  rejects(withSets(['data.n', 0]), 'data.n');
  rejects(withSets(['data.d', 20]), 'data.qSupport', /d=20/);
  rejects(withSets(['data.testSizes.both', -1]), 'data.testSizes.both');
  rejects(withSets(['data.dtype', 'int32']), 'data.dtype');
});

test('negative or zero rates are rejected, naming the key', () => {
  for (const k of ['lambda', 'tauXi', 'eps1', 'eps2', 'eps2S', 'noiseStd']) {
    rejects(withSets([`train.${k}`, -0.5]), `train.${k}`, /must be a finite number >= 0, got -0\.5/);
  }
  for (const k of ['eta1', 'eta2']) {
    rejects(withSets([`train.${k}`, -0.5]), `train.${k}`, /must be a finite number > 0, got -0\.5/);
    rejects(withSets([`train.${k}`, 0]), `train.${k}`, /must be a finite number > 0, got 0/);
  }
  rejects(withSets(['train.tau0', -1]), 'train.tau0');
  rejects(withSets(['train.noiseAnnealAtLoss', -1]), 'train.noiseAnnealAtLoss');
  // the stationary init needs eta1 * lambda < 1; an explicit tau0 lifts that
  rejects(withSets(['train.eta1', 10], ['train.lambda', 0.2]), 'train.lambda', /eta1 \* lambda < 1/);
  assert.doesNotThrow(() => validateSyntheticConfig(withSets(['train.eta1', 10], ['train.lambda', 0.2], ['train.tau0', 0.01])));
  assert.doesNotThrow(() => validateSyntheticConfig(withSets(['train.lambda', 0], ['train.tauXi', 0])));
});

test('methods must be a non-empty list of known methods', () => {
  rejects(withSets(['methods', ['L-S', 'SGD']]), 'methods.1', /must be one of "L-S", "S", "S\+noise", got "SGD"/);
  rejects(withSets(['methods', []]), 'methods', /must name at least one method/);
  assert.doesNotThrow(() => validateSyntheticConfig(withSets(['methods', ['S+noise']])));
});

test('the model section: one form per arch, conv with convK dividing data.d, block with an even width', () => {
  rejects(withSets(['model.arch', 'deep']), 'model.arch', /must be one of "block", "full", "conv", got "deep"/);
  rejects(withSets(['model.m', 0]), 'model.m');
  rejects(withSets(['model.m', 7]), 'model.m', /must be even for arch block/);
  assert.doesNotThrow(() => validateSyntheticConfig(withSets(['model', { arch: 'full', m: 7 }])));
  rejects(withSets(['model', { arch: 'conv', m: 8, convK: 3 }]), 'model.convK', /^config key 'model.convK' must be a positive divisor of data.d \(100\), got 3$/);
  rejects(withSets(['model', { arch: 'conv', m: 8, convK: 0 }]), 'model.convK', /must be a positive integer/);
  assert.doesNotThrow(() => validateSyntheticConfig(withSets(['model', { arch: 'conv', m: 8, convK: 4 }])));
});

test('integer and enum keys are checked', () => {
  rejects(withSets(['seeds', 0]), 'seeds');
  rejects(withSets(['seeds', 1.5]), 'seeds');
  rejects(withSets(['seed', -1]), 'seed');
  rejects(withSets(['kind', 'cifar']), 'kind', /must be "synthetic", got "cifar"/);
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

test('the schema gives a JSON Schema of the whole config, the model as one form per arch', () => {
  const j = toJsonSchema(syntheticConfigSchema) as { properties: Record<string, { oneOf?: { properties: Record<string, unknown> }[]; properties?: Record<string, unknown> }>; additionalProperties: boolean };
  assert.equal(j.additionalProperties, false);
  assert.deepEqual(Object.keys(j.properties), Object.keys(baseSyntheticConfig()));
  const forms = j.properties.model!.oneOf!.map((o) => Object.keys(o.properties).sort().join(','));
  assert.deepEqual(forms, ['arch,m,mV,mW,reduceQBlock,secondLayerScale', 'arch,m', 'arch,convK,m']);
  assert.ok('noiseAnnealAtStep' in j.properties.train!.properties!);
});

test('the reduced Q block needs a 2-D span(zv, zeta): data.r > 0 and data.d >= 3', () => {
  const reduced = (data: object) => deepMerge(baseSyntheticConfig(), { data, model: { arch: 'block', m: 100, reduceQBlock: true } });
  assert.doesNotThrow(() => validateSyntheticConfig(reduced({})));
  assert.throws(() => validateSyntheticConfig(reduced({ r: 0 })), { message: "config key 'model.reduceQBlock' needs data.r > 0 (span(zv, zeta) must be 2-D), got data.r = 0, got true" });
  assert.throws(() => validateSyntheticConfig(reduced({ d: 2, qSupport: 2 })), /config key 'model.reduceQBlock' needs data.d >= 3, got data.d = 2/);
});
