// Tests of the MLP with BatchNorm: sizes, names and init, the forward pass against a hand-built
// reference (Linear -> BN -> noise -> ReLU, noise [1, F] per batch), finite-difference gradients
// in float64 with the noise on (generator state restored before every evaluation), and the noise
// shared across the batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, Tensor, keep, linear, noGrad, randn, setNumThreads, tidy } from '../engine/index.js';
import { gradCheck } from '../engine/gradcheck.js';
import { createImageModel } from './index.js';

setNumThreads(1);
const arr = (t: Tensor) => Array.from(t.toFloat64Array());
const mlp = (hidden: number[], seed = 1, dtype: 'float32' | 'float64' = 'float64', c = 1, h = 2, w = 3, classes = 3) =>
  createImageModel({ arch: 'mlp', hidden }, { inChannels: c, height: h, width: w, classes }, { dtype }, new Generator(seed));

test('784-512-512-10: 671,754 parameters, names, PyTorch default Linear init, BN 1/0', () => {
  const m = createImageModel({ arch: 'mlp', hidden: [512, 512] }, { inChannels: 1, height: 28, width: 28, classes: 10 }, {}, new Generator(0));
  try {
    assert.equal(m.dtype, 'float32');
    assert.equal(m.params.count(), 784 * 512 + 512 + 2 * 512 + 512 * 512 + 512 + 2 * 512 + 512 * 10 + 10);
    assert.equal(m.params.count(), 671_754);
    assert.deepEqual(m.params.named().map(([n]) => n), ['fc1.weight', 'fc1.bias', 'bn1.weight', 'bn1.bias', 'fc2.weight', 'fc2.bias', 'bn2.weight', 'bn2.bias', 'fc3.weight', 'fc3.bias']);
    assert.deepEqual(m.params.namedBuffers().map(([n]) => n), ['bn1.running_mean', 'bn1.running_var', 'bn2.running_mean', 'bn2.running_var']);
    assert.deepEqual(m.batchNorms, ['bn1', 'bn2']);
    for (const [name, fanIn] of [['fc1.weight', 784], ['fc2.bias', 512], ['fc3.weight', 512]] as const) {
      const v = arr(m.params.get(name));
      const b = 1 / Math.sqrt(fanIn);
      const max = v.reduce((a, x) => Math.max(a, Math.abs(x)), 0);
      assert.ok(max <= b && max > 0.9 * b, `${name}: max |w| ${max} vs bound ${b}`);
      const varU = v.reduce((a, x) => a + x * x, 0) / v.length;
      assert.ok(Math.abs(varU / (b * b / 3) - 1) < 0.15, `${name}: variance ${varU} vs ${b * b / 3}`);
    }
    assert.deepEqual([...new Set(arr(m.params.get('bn2.weight')))], [1]);
    assert.deepEqual([...new Set(arr(m.params.get('bn1.bias')))], [0]);
    const x = randn([4, 1, 28, 28], new Generator(1));
    const a = noGrad(() => tidy(() => arr(m.forward(x, { training: false }))));
    const b = noGrad(() => tidy(() => arr(m.forward(x.reshape([4, 784]), { training: false }))));
    assert.equal(a.length, 40);
    assert.deepEqual(a, b, 'flat and image inputs give the same logits');
  } finally { m.dispose(); }
});

test('forward = Linear -> BN(batch stats) -> + std * noise[1,F] -> ReLU -> Linear, noise shared across the batch', () => {
  const m = mlp([5], 2);
  try {
    noGrad(() => tidy(() => {
      m.params.get('bn1.weight').copy_(randn([5], new Generator(3), { dtype: 'float64' }).add(1));
      m.params.get('bn1.bias').copy_(randn([5], new Generator(4), { dtype: 'float64' }));
    }));
    const x = randn([4, 1, 2, 3], new Generator(5), { dtype: 'float64' });
    const seen: Tensor[] = [];
    const out = noGrad(() => tidy(() => arr(m.forward(x, { training: true, noiseStd: 0.7, gen: new Generator(6), onNoise: (_s, n) => { seen.push(keep(n.clone())); } }))));
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0]!.shape, [1, 5]);
    const ref = noGrad(() => tidy(() => {
      const p = (n: string) => m.params.get(n);
      const h = linear(x.reshape([4, 6]), p('fc1.weight'), p('fc1.bias'));
      const mean = h.mean(0, true);
      const varB = h.sub(mean).square().mean(0, true);
      const bn = h.sub(mean).div(varB.add(1e-5).sqrt()).mul(p('bn1.weight')).add(p('bn1.bias'));
      return arr(linear(bn.add(seen[0]!.mul(0.7)).relu(), p('fc2.weight'), p('fc2.bias')));
    }));
    const err = Math.max(...out.map((v, i) => Math.abs(v - ref[i]!)));
    assert.ok(err < 1e-12, `max error ${err}`);
    seen[0]!.dispose();
  } finally { m.dispose(); }
});

test('with a zeroed first layer the noisy logits are identical across the batch (one vector per batch)', () => {
  const m = mlp([6, 4], 7);
  try {
    noGrad(() => { m.params.get('fc1.weight').zero_(); m.params.get('fc1.bias').zero_(); });
    const x = randn([5, 1, 2, 3], new Generator(8), { dtype: 'float64' });
    const rows = (o: number[]) => [0, 1, 2, 3, 4].map((i) => o.slice(3 * i, 3 * i + 3));
    const noisy = rows(noGrad(() => tidy(() => arr(m.forward(x, { training: true, noiseStd: 1, gen: new Generator(9) })))));
    for (const r of noisy.slice(1)) r.forEach((v, j) => assert.ok(Math.abs(v - noisy[0]![j]!) < 1e-12));
    const quiet = rows(noGrad(() => tidy(() => arr(m.forward(x, { training: true })))));
    assert.notDeepEqual(noisy[0], quiet[0]);
  } finally { m.dispose(); }
});

test('finite-difference gradients (float64, training-mode BN, noise with a restored generator) of all parameters and the input', () => {
  const m = mlp([5, 4], 10);
  try {
    const names = m.params.named().map(([n]) => n);
    const x = randn([4, 1, 2, 3], new Generator(11), { dtype: 'float64' });
    const g = new Generator(12);
    const s0 = g.getState();
    const fn = (xx: Tensor, ...ws: Tensor[]) => {
      g.setState(s0);
      return m.forward(xx, { training: true, noiseStd: 0.5, gen: g, weights: Object.fromEntries(names.map((n, i) => [n, ws[i]!])) });
    };
    const r = gradCheck(fn, [x, ...names.map((n) => m.params.get(n))], { atol: 1e-6, rtol: 1e-4 });
    assert.ok(r.ok, r.message);
    assert.equal(r.checked, 24 + m.params.count());
    // The check sees the noise: without restoring the generator, two evaluations differ.
    const a = noGrad(() => tidy(() => arr(m.forward(x, { training: true, noiseStd: 0.5, gen: g }))));
    const b = noGrad(() => tidy(() => arr(m.forward(x, { training: true, noiseStd: 0.5, gen: g }))));
    assert.notDeepEqual(a, b);
  } finally { m.dispose(); }
});
