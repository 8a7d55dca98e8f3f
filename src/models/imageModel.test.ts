// Tests of the image-model factory and the shared forward options: defaults, one-line errors
// naming the key (config and forward), and the state dict (weights and BatchNorm buffers)
// round-tripping through JSON for every architecture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, Tensor, noGrad, randn, setNumThreads, tidy } from '../engine/index.js';
import { createImageModel, describeImageModel, resolveImageModelConfig, type ImageModel, type ImageModelConfig } from './imageModel.js';
import { MlpBn } from './mlpBn.js';
import { PreActResNet } from './preActResNet.js';

setNumThreads(1);
const arr = (t: Tensor) => Array.from(t.toFloat64Array());
const base = { inChannels: 1, height: 8, width: 8, classes: 4 } as const;

test('factory: arch, defaults filled in, description', () => {
  assert.deepEqual(resolveImageModelConfig({ arch: 'wrn', inChannels: 3, height: 32, width: 32, classes: 10 }),
    { arch: 'wrn', depth: 16, widen: 10, baseWidth: 0, hidden: [], inChannels: 3, height: 32, width: 32, classes: 10, dtype: 'float32', device: 'cpu' });
  assert.deepEqual(resolveImageModelConfig({ arch: 'resnet', ...base }),
    { arch: 'resnet', depth: 10, widen: 0, baseWidth: 16, hidden: [], ...base, dtype: 'float32', device: 'cpu' });
  assert.deepEqual(resolveImageModelConfig({ arch: 'mlp', ...base, dtype: 'float64' }),
    { arch: 'mlp', depth: 0, widen: 0, baseWidth: 0, hidden: [512, 512], ...base, dtype: 'float64', device: 'cpu' });
  const w = createImageModel({ arch: 'wrn', depth: 10, widen: 1, ...base }, new Generator(0));
  const r = createImageModel({ arch: 'resnet', baseWidth: 4, ...base }, new Generator(0));
  const m = createImageModel({ arch: 'mlp', hidden: [16, 8], ...base }, new Generator(0));
  try {
    assert.ok(w instanceof PreActResNet && r instanceof PreActResNet && m instanceof MlpBn);
    assert.equal(describeImageModel(w), `WRN-10-1 (${w.params.count().toLocaleString('en-US')} parameters)`);
    assert.equal(describeImageModel(r), `PreActResNet-10 (base width 4) (${r.params.count().toLocaleString('en-US')} parameters)`);
    assert.equal(describeImageModel(m), 'MLP 64-16-8-4 with BatchNorm (1,260 parameters)');
    assert.ok(Object.isFrozen(w.config));
    // The same seed gives the same weights; the dtype is honoured.
    const w2 = createImageModel({ arch: 'wrn', depth: 10, widen: 1, ...base }, new Generator(0));
    try { assert.deepEqual(arr(w2.params.get('block2.layer_nn.0.conv1.weight')), arr(w.params.get('block2.layer_nn.0.conv1.weight'))); } finally { w2.dispose(); }
    assert.equal(m.params.get('fc1.weight').dtype, 'float32');
  } finally { w.dispose(); r.dispose(); m.dispose(); }
});

test('config errors are one line and name the key', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ arch: 'vgg' }, /^createImageModel: arch must be one of wrn, resnet, mlp, got "vgg"$/],
    [{ arch: 'wrn', depth: 15 }, /^createImageModel: depth must be an integer >= 10 with \(depth - 4\) % 6 === 0.*got 15$/],
    [{ arch: 'wrn', widen: 0 }, /^createImageModel: widen must be a positive integer, got 0$/],
    [{ arch: 'wrn', baseWidth: 8 }, /^createImageModel: baseWidth does not apply to arch 'wrn', got 8$/],
    [{ arch: 'wrn', hidden: [8] }, /^createImageModel: hidden does not apply to arch 'wrn'/],
    [{ arch: 'resnet', widen: 2 }, /^createImageModel: widen does not apply to arch 'resnet'/],
    [{ arch: 'resnet', depth: 12 }, /^createImageModel: depth must be/],
    [{ arch: 'mlp', hidden: [] }, /^createImageModel: hidden must be a non-empty array of positive integers, got \[\]$/],
    [{ arch: 'mlp', hidden: [8, -1] }, /^createImageModel: hidden must be/],
    [{ arch: 'mlp', depth: 16 }, /^createImageModel: depth does not apply to arch 'mlp'/],
    [{ arch: 'mlp', inChannels: 0 }, /^createImageModel: inChannels must be a positive integer, got 0$/],
    [{ arch: 'mlp', height: 2.5 }, /^createImageModel: height must be a positive integer, got 2.5$/],
    [{ arch: 'mlp', width: -1 }, /^createImageModel: width must be a positive integer, got -1$/],
    [{ arch: 'mlp', classes: 1 }, /^createImageModel: classes must be at least 2, got 1$/],
    [{ arch: 'mlp', dtype: 'float16' }, /^createImageModel: dtype must be 'float32' or 'float64', got "float16"$/],
    [{ arch: 'mlp', hiden: [8] }, /^createImageModel: hiden is not a known key/],
  ];
  for (const [cfg, re] of bad) {
    assert.throws(() => createImageModel({ ...base, ...cfg } as unknown as ImageModelConfig, new Generator(0)), (e: Error) => {
      assert.match(e.message, re);
      assert.ok(!e.message.includes('\n'));
      return true;
    }, JSON.stringify(cfg));
  }
});

test('forward errors name the argument', () => {
  const w = createImageModel({ arch: 'wrn', depth: 10, widen: 1, ...base }, new Generator(0));
  const m = createImageModel({ arch: 'mlp', hidden: [6], ...base }, new Generator(0));
  const x = randn([2, 1, 8, 8], new Generator(1));
  try {
    const cases: [() => unknown, RegExp][] = [
      [() => w.forward(randn([2, 3, 8, 8], new Generator(1)), { training: false }), /^wrn forward: x must have shape \[N, 1, 8, 8\], got \[2,3,8,8\]$/],
      [() => w.forward(randn([2, 1, 8, 7], new Generator(1)), { training: false }), /^wrn forward: x must have shape/],
      [() => w.forward(x.double(), { training: false }), /^wrn forward: x has dtype float64 but the model is float32$/],
      [() => m.forward(randn([2, 63], new Generator(1)), { training: false }), /^mlp forward: x must have shape \[N, 1, 8, 8\] or \[N, 64\], got \[2,63\]$/],
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
    { arch: 'wrn', depth: 10, widen: 2, ...base },
    { arch: 'resnet', baseWidth: 4, ...base },
    { arch: 'mlp', hidden: [12, 6], ...base },
  ];
  for (const cfg of cfgs) {
    const a = createImageModel(cfg, new Generator(1));
    const b = createImageModel(cfg, new Generator(2));
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
  const w = createImageModel(cfgs[0]!, new Generator(1));
  const m = createImageModel(cfgs[2]!, new Generator(1));
  try { assert.throws(() => m.params.loadStateDict(w.params.stateDict()), /^Error: loadStateDict: parameter names differ/); } finally { w.dispose(); m.dispose(); }
});
