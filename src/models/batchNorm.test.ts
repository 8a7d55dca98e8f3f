// Tests of the BatchNorm running statistics: the momentum-0.1 update in training (unbiased
// variance, as PyTorch), nothing in eval, the bnMomentum option, and recalibrateBatchNorm (running
// statistics = plain average of the per-batch statistics; weights untouched; empty input refused).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, Tensor, batchNorm, conv2d, linear, noGrad, randn, setNumThreads, tidy } from '../engine/index.js';
import { createImageModel, recalibrateBatchNorm, type ImageModel } from './index.js';

setNumThreads(1);
const arr = (t: Tensor) => Array.from(t.toFloat64Array());
const F64 = { dtype: 'float64' } as const;
const mlp = (seed = 1) => createImageModel({ arch: 'mlp', hidden: [5, 4] }, { inChannels: 1, height: 2, width: 3, classes: 3 }, F64, new Generator(seed));
const near = (a: number[], b: number[], tol: number, what: string) => {
  assert.equal(a.length, b.length, what);
  const err = Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
  assert.ok(err < tol, `${what}: max error ${err}`);
};
/** Per-feature mean and unbiased variance of h [N, F]. */
const stats = (h: Tensor) => tidy(() => ({ mean: arr(h.mean(0)), var: arr(h.var(0, { unbiased: true })) }));
const state = (m: ImageModel) => Object.fromEntries([...m.params.named(), ...m.params.namedBuffers()].map(([n, t]) => [n, arr(t)]));

test('training updates the running statistics with momentum 0.1 (unbiased variance); eval does not', () => {
  const m = mlp();
  try {
    const x = randn([6, 1, 2, 3], new Generator(2), F64);
    const h = noGrad(() => linear(x.reshape([6, 6]), m.params.get('fc1.weight'), m.params.get('fc1.bias')));
    const s = stats(h);
    noGrad(() => tidy(() => { m.forward(x, { training: true }); }));
    near(arr(m.params.get('bn1.running_mean')), s.mean.map((v) => 0.1 * v), 1e-14, 'running_mean');
    near(arr(m.params.get('bn1.running_var')), s.var.map((v) => 0.9 + 0.1 * v), 1e-14, 'running_var');
    const before = state(m);
    noGrad(() => tidy(() => { m.forward(x, { training: false }); }));
    assert.deepEqual(state(m), before, 'eval changes nothing');
    // bnMomentum 0.5: running = 0.5 running + 0.5 batch.
    const rm = arr(m.params.get('bn1.running_mean'));
    noGrad(() => tidy(() => { m.forward(x, { training: true, bnMomentum: 0.5 }); }));
    near(arr(m.params.get('bn1.running_mean')), rm.map((v, i) => 0.5 * v + 0.5 * s.mean[i]!), 1e-14, 'momentum 0.5');
    // Eval normalizes with the running statistics.
    const out = noGrad(() => tidy(() => arr(m.forward(x, { training: false }))));
    const ref = noGrad(() => tidy(() => {
      const p = (n: string) => m.params.get(n);
      const bn = (z: Tensor, n: string) => z.sub(p(`${n}.running_mean`)).div(p(`${n}.running_var`).add(1e-5).sqrt()).mul(p(`${n}.weight`)).add(p(`${n}.bias`));
      const h1 = bn(linear(x.reshape([6, 6]), p('fc1.weight'), p('fc1.bias')), 'bn1').relu();
      const h2 = bn(linear(h1, p('fc2.weight'), p('fc2.bias')), 'bn2').relu();
      return arr(linear(h2, p('fc3.weight'), p('fc3.bias')));
    }));
    near(out, ref, 1e-12, 'eval logits');
  } finally { m.dispose(); }
});

test('recalibrateBatchNorm: running statistics become the average of the per-batch statistics', () => {
  const m = mlp(3);
  try {
    // Scramble the statistics first, so the test sees the reset.
    noGrad(() => tidy(() => {
      for (const [n, t] of m.params.namedBuffers()) t.copy_(randn(t.shape, new Generator(4), F64).abs().add(n.endsWith('var') ? 3 : 5));
    }));
    const weights = Object.fromEntries(m.params.named().map(([n, t]) => [n, arr(t)]));
    const batches = [7, 5, 9].map((n, i) => randn([n, 1, 2, 3], new Generator(10 + i), F64));
    const used = recalibrateBatchNorm(m, (function* () { yield* batches; })());
    assert.equal(used, 3);
    // Per-batch statistics of bn1's and bn2's inputs, by hand (training-mode BN in between).
    const per = batches.map((x) => noGrad(() => tidy(() => {
      const p = (n: string) => m.params.get(n);
      const h1 = linear(x.reshape([x.shape[0]!, 6]), p('fc1.weight'), p('fc1.bias'));
      const a1 = batchNorm(h1, { weight: p('bn1.weight'), bias: p('bn1.bias'), training: true }).relu();
      const h2 = linear(a1, p('fc2.weight'), p('fc2.bias'));
      return { s1: stats(h1), s2: stats(h2) };
    })));
    const avg = (get: (k: (typeof per)[number]) => number[]) => get(per[0]!).map((_, j) => per.reduce((a, k) => a + get(k)[j]!, 0) / per.length);
    near(arr(m.params.get('bn1.running_mean')), avg((k) => k.s1.mean), 1e-13, 'bn1 mean');
    near(arr(m.params.get('bn1.running_var')), avg((k) => k.s1.var), 1e-13, 'bn1 var');
    near(arr(m.params.get('bn2.running_mean')), avg((k) => k.s2.mean), 1e-13, 'bn2 mean');
    near(arr(m.params.get('bn2.running_var')), avg((k) => k.s2.var), 1e-13, 'bn2 var');
    assert.deepEqual(Object.fromEntries(m.params.named().map(([n, t]) => [n, arr(t)])), weights, 'weights untouched');
    assert.ok(m.params.list().every((t) => t.grad === null), 'no gradient recorded');
    assert.ok(batches.every((b) => !b.isDisposed), 'batches stay with the caller');
    // An empty iterable is refused and changes nothing.
    const before = state(m);
    assert.throws(() => recalibrateBatchNorm(m, []), /^Error: recalibrateBatchNorm: batches is empty/);
    assert.deepEqual(state(m), before);
  } finally { m.dispose(); }
});

test('recalibrateBatchNorm on a WideResNet: the first BN gets the average channel statistics of conv1(x)', () => {
  const m = createImageModel({ arch: 'wrn', depth: 10, widen: 1 }, { inChannels: 3, height: 6, width: 6, classes: 4 }, F64, new Generator(20));
  try {
    const batches = [3, 4].map((n, i) => randn([n, 3, 6, 6], new Generator(21 + i), F64));
    noGrad(() => tidy(() => { for (let i = 0; i < 3; i++) m.forward(batches[0]!, { training: true }); }));
    assert.equal(recalibrateBatchNorm(m, batches), 2);
    const per = batches.map((x) => noGrad(() => tidy(() => {
      const c = conv2d(x, m.params.get('conv1.weight'), null, { padding: 1 }).transpose(0, 1).reshape([16, -1]).T;
      return stats(c);
    })));
    const avg = (k: 'mean' | 'var') => per[0]![k].map((v, j) => (v + per[1]![k][j]!) / 2);
    near(arr(m.params.get('block1.layer_nn.0.bn1.running_mean')), avg('mean'), 1e-13, 'mean');
    near(arr(m.params.get('block1.layer_nn.0.bn1.running_var')), avg('var'), 1e-13, 'var');
    // Recalibrating on one batch twice gives that batch's own statistics.
    recalibrateBatchNorm(m, [batches[1]!, batches[1]!]);
    near(arr(m.params.get('block1.layer_nn.0.bn1.running_mean')), per[1]!.mean, 1e-13, 'one batch');
  } finally { m.dispose(); }
});
