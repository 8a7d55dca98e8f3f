import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator } from '../engine/index.js';
import { parseConfig } from '../util/schema.js';
import { createSyntheticModel, syntheticModelSchema } from './syntheticModel.js';
import { TwoLayerConv } from './twoLayerConv.js';
import { TwoLayerRelu } from './twoLayerRelu.js';

const parse = (v: unknown) => parseConfig(syntheticModelSchema, v, 'model');

test('the model section: one form per arch, each with only its keys', () => {
  assert.deepEqual(parse({ arch: 'block', m: 8 }), { arch: 'block', m: 8 });
  assert.deepEqual(parse({ arch: 'conv', m: 8, convK: 4 }), { arch: 'conv', m: 8, convK: 4 });
  assert.throws(() => parse({ arch: 'block', m: 8, convK: 4 }), { message: "unknown config key 'model.convK' (known keys of 'model': arch, m, mW, mV, secondLayerScale, reduceQBlock)" });
  assert.throws(() => parse({ arch: 'conv', m: 8 }), { message: "config key 'model.convK' is missing" });
  assert.throws(() => parse({ arch: 'block', m: 7 }), { message: "config key 'model.m' must be even for arch block (m/2 neurons each for W and V), or give mW and mV, got 7" });
  assert.doesNotThrow(() => parse({ arch: 'full', m: 7 }));
  assert.throws(() => parse({ arch: 'mlp', m: 8 }), { message: 'config key \'model.arch\' must be one of "block", "full", "conv", got "mlp"' });
});

test('createSyntheticModel builds the net of the section with the same draws as its constructor', () => {
  const inputs = { d: 8, tau0: 0.3, dtype: 'float64' as const };
  const cases = [
    [{ arch: 'block' as const, m: 6 }, () => new TwoLayerRelu({ d: 8, m: 6, form: 'block', tau0: 0.3, dtype: 'float64' }, new Generator(5))],
    [{ arch: 'full' as const, m: 5 }, () => new TwoLayerRelu({ d: 8, m: 5, form: 'full', tau0: 0.3, dtype: 'float64' }, new Generator(5))],
    [{ arch: 'conv' as const, m: 3, convK: 4 }, () => new TwoLayerConv({ d: 8, k: 4, channels: 3, tau0: 0.3, dtype: 'float64' }, new Generator(5))],
  ] as const;
  for (const [section, direct] of cases) {
    const a = createSyntheticModel(section, inputs, new Generator(5));
    const b = direct();
    assert.equal(a.constructor, b.constructor, section.arch);
    assert.equal(a.params.fingerprint(), b.params.fingerprint(), `${section.arch}: same weights`);
    a.dispose(); b.dispose();
  }
});
