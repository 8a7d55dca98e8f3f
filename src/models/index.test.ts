// Tests of the built-in image models behind the registry: each arch builds the right model from its
// own section, sections with keys or values that do not fit are refused with one-line errors naming
// 'model.<key>', forward errors name the argument, and the state dict (weights and BatchNorm
// buffers) round-trips through JSON for every architecture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, Tensor, noGrad, randn, setNumThreads, tidy } from '../engine/index.js';
import { toJsonSchema } from '../util/schema.js';
import { createImageModel, describeImageModel, imageModelSchema, registeredImageArchs, type ImageModel, type ImageModelConfig, type ImageModelSection } from './index.js';
import { MlpBn } from './mlpBn.js';
import { PreActResNet } from './preActResNet.js';

setNumThreads(1);
const arr = (t: Tensor) => Array.from(t.toFloat64Array());
const shape = { inChannels: 1, height: 8, width: 8, classes: 4 } as const;
const build = (c: ImageModelSection, seed = 0, opts = {}) => createImageModel(c, shape, opts, new Generator(seed));

test('built-in archs: each section builds its model, with the shape and options given, and a short name', () => {
  assert.deepEqual(registeredImageArchs(), ['wrn', 'resnet', 'mlp']);
  const w = build({ arch: 'wrn', depth: 10, widen: 1 });
  const r = build({ arch: 'resnet', depth: 10, baseWidth: 4 });
  const m = build({ arch: 'mlp', hidden: [16, 8] }, 0, { dtype: 'float64' });
  try {
    assert.ok(w instanceof PreActResNet && r instanceof PreActResNet && m instanceof MlpBn);
    assert.deepEqual(w.config, { arch: 'wrn', depth: 10, widen: 1 });
    assert.deepEqual(m.shape, shape);
    assert.deepEqual([w.dtype, w.device, m.dtype], ['float32', 'cpu', 'float64']);
    assert.equal(m.params.get('fc1.weight').dtype, 'float64');
    assert.ok(Object.isFrozen(w.config) && Object.isFrozen(w.shape));
    assert.equal(m.params.count(), 64 * 16 + 16 + 32 + 16 * 8 + 8 + 16 + 8 * 4 + 4);
    assert.equal(describeImageModel({ arch: 'wrn', depth: 16, widen: 10 }), 'WRN-16-10');
    assert.equal(describeImageModel({ arch: 'resnet', depth: 10, baseWidth: 4 }), 'PreActResNet-10 (base width 4)');
    assert.equal(describeImageModel(m.config), 'MLP with BatchNorm, hidden 16-8');
    // The same seed gives the same weights.
    const w2 = build({ arch: 'wrn', depth: 10, widen: 1 });
    try { assert.deepEqual(arr(w2.params.get('block2.layer_nn.0.conv1.weight')), arr(w.params.get('block2.layer_nn.0.conv1.weight'))); } finally { w2.dispose(); }
  } finally { w.dispose(); r.dispose(); m.dispose(); }
});

test('a section with keys or values that do not fit its arch is refused, naming the key', () => {
  const bad: [Record<string, unknown>, string][] = [
    [{ arch: 'vgg' }, `config key 'model.arch' must be one of "wrn", "resnet", "mlp", got "vgg"`],
    [{ depth: 16 }, `config key 'model.arch' must be one of "wrn", "resnet", "mlp", got nothing`],
    [{ arch: 'wrn', depth: 15, widen: 1 }, "config key 'model.depth' must be an integer >= 10 with (depth - 4) % 6 === 0 (10, 16, 22, 28, ...), got 15"],
    [{ arch: 'wrn', depth: 4, widen: 1 }, "config key 'model.depth' must be an integer >= 10 with (depth - 4) % 6 === 0 (10, 16, 22, 28, ...), got 4"],
    [{ arch: 'wrn', depth: 16, widen: 0 }, "config key 'model.widen' must be a positive integer, got 0"],
    [{ arch: 'wrn', depth: 16 }, "config key 'model.widen' is missing"],
    [{ arch: 'wrn', depth: 16, widen: 1, baseWidth: 8 }, "unknown config key 'model.baseWidth' (known keys of 'model': arch, depth, widen)"],
    [{ arch: 'resnet', depth: 12, baseWidth: 4 }, "config key 'model.depth' must be an integer >= 10"],
    [{ arch: 'resnet', depth: 10, baseWidth: 2.5 }, "config key 'model.baseWidth' must be a positive integer, got 2.5"],
    [{ arch: 'resnet', depth: 10, widen: 2, baseWidth: 4 }, "unknown config key 'model.widen' (known keys of 'model': arch, depth, baseWidth)"],
    [{ arch: 'mlp', hidden: [] }, "config key 'model.hidden' must be a non-empty array of positive integers, got []"],
    [{ arch: 'mlp', hidden: 8 }, "config key 'model.hidden' must be a non-empty array of positive integers, got 8"],
    [{ arch: 'mlp', hidden: [8, -1] }, "config key 'model.hidden.1' must be a positive integer, got -1"],
    [{ arch: 'mlp', depth: 16, hidden: [8] }, "unknown config key 'model.depth' (known keys of 'model': arch, hidden)"],
  ];
  for (const [cfg, msg] of bad) {
    assert.throws(() => build(cfg as ImageModelSection), (e: Error) => {
      assert.ok(e.message.startsWith(msg), `${JSON.stringify(cfg)}: ${e.message}`);
      assert.ok(!e.message.includes('\n'));
      return true;
    });
  }
  const ok: ImageModelConfig = { arch: 'mlp', hidden: [4] };
  for (const [s, msg] of [
    [{ ...shape, inChannels: 0 }, 'createImageModel: shape.inChannels must be an integer >= 1, got 0'],
    [{ ...shape, height: 2.5 }, 'createImageModel: shape.height must be an integer >= 1, got 2.5'],
    [{ ...shape, classes: 1 }, 'createImageModel: shape.classes must be an integer >= 2, got 1'],
  ] as const) assert.throws(() => createImageModel(ok, s, {}, new Generator(0)), { message: msg });
  assert.throws(() => createImageModel(ok, shape, { dtype: 'float16' as 'float32' }, new Generator(0)), { message: `createImageModel: dtype must be 'float32' or 'float64', got "float16"` });
});

test('the schema of the model section is the discriminated union of the archs (JSON Schema oneOf)', () => {
  const j = toJsonSchema(imageModelSchema()) as { oneOf: { properties: Record<string, { const?: string }>; required: string[] }[] };
  assert.deepEqual(j.oneOf.map((o) => o.properties.arch!.const), ['wrn', 'resnet', 'mlp']);
  assert.deepEqual(j.oneOf.map((o) => o.required), [['arch', 'depth', 'widen'], ['arch', 'depth', 'baseWidth'], ['arch', 'hidden']]);
});

test('forward errors name the argument', () => {
  const w = build({ arch: 'wrn', depth: 10, widen: 1 });
  const m = build({ arch: 'mlp', hidden: [6] });
  const x = randn([2, 1, 8, 8], new Generator(1));
  try {
    const cases: [() => unknown, RegExp][] = [
      [() => w.forward(randn([2, 3, 8, 8], new Generator(1)), { training: false }), /^wrn forward: x must have shape \[N, 1, 8, 8\], got \[2,3,8,8\]$/],
      [() => w.forward(randn([2, 1, 8, 7], new Generator(1)), { training: false }), /^wrn forward: x must have shape/],
      [() => w.forward(x.double(), { training: false }), /^wrn forward: x has dtype float64 but the model is float32$/],
      [() => m.forward(randn([2, 63], new Generator(1)), { training: false }), /^mlp forward: x must have shape \[N, 1, 8, 8\] or \[N, 64\], got \[2,63\]$/],
      [() => m.forward(x.double(), { training: false }), /^mlp forward: x has dtype float64 but the model is float32$/],
      [() => w.forward(x, {} as { training: boolean }), /^wrn forward: opts.training must be true or false/],
      [() => w.forward(x, { training: true, noiseStd: -0.1 }), /^wrn forward: noiseStd must be a finite number >= 0, got -0.1$/],
      [() => w.forward(x, { training: true, noiseStd: 0.1 }), /^wrn forward: gen \(a Generator\) is required when training with noiseStd > 0$/],
      [() => m.forward(x, { training: true, bnMomentum: 0 }), /^mlp forward: bnMomentum must be in \(0, 1\], got 0$/],
      [() => m.forward(x, { training: true, weights: { 'bn1.running_mean': x } }), /^mlp forward: weights.bn1.running_mean is not a trainable parameter/],
    ];
    for (const [f, re] of cases) assert.throws(() => noGrad(() => tidy(f)), (e: Error) => { assert.match(e.message, re); return true; });
    // Eval needs no generator even with a noise level set.
    assert.deepEqual(noGrad(() => tidy(() => w.forward(x, { training: false, noiseStd: 0.1 }).shape)), [2, 4]);
  } finally { w.dispose(); m.dispose(); }
});

test('the state dict (weights and running statistics) round-trips through JSON for every arch', () => {
  const cfgs: ImageModelConfig[] = [
    { arch: 'wrn', depth: 10, widen: 2 },
    { arch: 'resnet', depth: 10, baseWidth: 4 },
    { arch: 'mlp', hidden: [12, 6] },
  ];
  for (const cfg of cfgs) {
    const a = build(cfg, 1);
    const b = build(cfg, 2);
    try {
      const x = randn([6, 1, 8, 8], new Generator(3));
      noGrad(() => tidy(() => { for (let i = 0; i < 3; i++) a.forward(x, { training: true, noiseStd: 0.2, gen: new Generator(4) }); }));
      const sd = a.params.stateDict();
      assert.equal(Object.keys(sd.buffers).length, 2 * a.batchNorms.length, cfg.arch);
      const eval_ = (m: ImageModel) => noGrad(() => tidy(() => arr(m.forward(x, { training: false }))));
      assert.notDeepEqual(eval_(b), eval_(a));
      b.params.loadStateDict(JSON.parse(JSON.stringify(sd)));
      for (const [n, t] of [...a.params.named(), ...a.params.namedBuffers()]) assert.deepEqual(arr(b.params.get(n)), arr(t), `${cfg.arch} ${n}`);
      assert.deepEqual(eval_(b), eval_(a), cfg.arch);
      assert.ok(b.params.list().every((t) => t.requiresGrad));
    } finally { a.dispose(); b.dispose(); }
  }
  // A state dict of another architecture is refused.
  const w = build(cfgs[0]!, 1);
  const m = build(cfgs[2]!, 1);
  try { assert.throws(() => m.params.loadStateDict(w.params.stateDict()), /^Error: loadStateDict: parameter names differ/); } finally { w.dispose(); m.dispose(); }
});
