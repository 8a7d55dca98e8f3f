// Tests of the registry mechanics with a test-only architecture: registering it is all it takes
// for its sections to validate, build and be named (and to join the union's JSON Schema);
// duplicate arch names and schemas that the union cannot dispatch on are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, noGrad, randn, setNumThreads, tidy } from '../engine/index.js';
import { object, toJsonSchema, z } from '../util/schema.js';
import { createImageModel, describeImageModel, imageModelSchema, registerImageModel, registeredImageArchs } from './index.js';
import { LinearModel, linearModel, linearSchema } from './linearModel.testutil.js';

setNumThreads(1);

test('a registered test-only arch validates, builds and is named; unknown keys and bad values of it are refused', () => {
  assert.throws(() => createImageModel({ arch: 'test-linear', scale: 2 }, { inChannels: 1, height: 2, width: 2, classes: 3 }, {}, new Generator(0)),
    /config key 'model\.arch' must be one of "wrn", "resnet", "mlp", got "test-linear"/, 'not yet registered');
  registerImageModel(linearModel);
  assert.deepEqual(registeredImageArchs(), ['wrn', 'resnet', 'mlp', 'test-linear']);
  const m = createImageModel({ arch: 'test-linear', scale: 2 }, { inChannels: 1, height: 2, width: 2, classes: 3 }, { dtype: 'float64' }, new Generator(0));
  try {
    assert.ok(m instanceof LinearModel);
    assert.deepEqual(m.params.get('fc.weight').shape, [3, 4]);
    assert.deepEqual(noGrad(() => tidy(() => m.forward(randn([5, 1, 2, 2], new Generator(1), { dtype: 'float64' }), { training: false }).shape)), [5, 3]);
  } finally { m.dispose(); }
  assert.equal(describeImageModel({ arch: 'test-linear', scale: 3 }), 'linear x3');
  assert.throws(() => describeImageModel({ arch: 'test-linear', scale: 11 }), { message: "config key 'model.scale' must be at most 10, got 11" });
  assert.throws(() => describeImageModel({ arch: 'test-linear', scale: 1, hidden: [4] }), { message: "unknown config key 'model.hidden' (known keys of 'model': arch, scale)" });
  const j = toJsonSchema(imageModelSchema()) as { oneOf: { properties: { arch: { const: string } } }[] };
  assert.deepEqual(j.oneOf.map((o) => o.properties.arch.const), ['wrn', 'resnet', 'mlp', 'test-linear']);
});

test('duplicate arch names and schemas without a literal arch are refused', () => {
  assert.throws(() => registerImageModel({ ...linearModel, arch: 'mlp', schema: object({ arch: z.literal('mlp') }) }), { message: "registerImageModel: arch 'mlp' is already registered" });
  assert.throws(() => registerImageModel({ ...linearModel, arch: 'other', schema: linearSchema }),
    { message: "registerImageModel: the schema of 'other' must be an object schema with arch: z.literal('other')" });
  assert.throws(() => registerImageModel({ ...linearModel, arch: 'loose', schema: object({ arch: z.string() }) }), /the schema of 'loose' must be an object schema/);
  assert.throws(() => registerImageModel({ ...linearModel, arch: '' }), /arch must be a non-empty string/);
  assert.ok(!registeredImageArchs().includes('other') && !registeredImageArchs().includes('loose'));
});
