// Tests of the two-layer convolutional net (Appendix F.2): patch layout against a plain-JS
// reference, shapes, finite-difference gradients, pre-activation noise, the F.2 support
// assumption (Q on the last d/k coordinates reaches only the last patch), errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, Tensor, dispose, logisticLoss, randn, zeros } from '../engine/index.js';
import { gradCheck } from '../engine/gradcheck.js';
import { defaultSyntheticDataConfig, makeSyntheticProblem } from '../data/synthetic.js';
import { TwoLayerConv } from './twoLayerConv.js';

const F64 = { dtype: 'float64' } as const;
const arr = (t: Tensor) => Array.from(t.toFloat64Array());
const rowsOf = (t: Tensor) => { const [n, d] = t.shape as [number, number]; const a = arr(t); return Array.from({ length: n }, (_, i) => a.slice(i * d, (i + 1) * d)); };

/** sum_i u_i^T relu(U x_(i)) with x_(i) = x[i*s .. i*s + d), in plain JS. */
function refConv(U: number[], u: number[], x: number[], d: number, k: number, channels: number, noise?: number[]): number {
  const s = d / k;
  let f = 0;
  for (let i = 0; i <= k; i++) {
    for (let j = 0; j < channels; j++) {
      let pre = noise ? noise[j * (k + 1) + i]! : 0;
      for (let c = 0; c < d; c++) pre += U[j * d + c]! * x[i * s + c]!;
      f += u[i * channels + j]! * Math.max(pre, 0);
    }
  }
  return f;
}

test('shapes, patches and the fixed second layer: matches the patch formula of F.2', () => {
  const d = 6, k = 3, channels = 4;
  const net = new TwoLayerConv({ d, k, channels, tau0: 0.8 }, new Generator(1));
  assert.equal(net.patches, 4);
  assert.equal(net.stride, 2);
  assert.deepEqual(net.params.named().map(([n]) => n), ['U']);
  assert.deepEqual(net.params.get('U').shape, [channels, d]);
  assert.deepEqual(net.params.get('u').shape, [4, channels]);
  assert.equal(net.params.get('u').requiresGrad, false);
  const u = arr(net.params.get('u')), U = arr(net.params.get('U'));
  for (const v of u) assert.ok(Math.abs(Math.abs(v) - 1 / Math.sqrt(16)) < 1e-15, `u entry ${v}`);
  const g = new Generator(2);
  const x1 = randn([5, d], g, F64), x2 = randn([5, d], g, F64);
  const pre = net.preActivations(net.params.get('U'), x1, x2);
  assert.deepEqual(pre.shape, [5, channels, 4]);
  const f = net.forward(x1, x2);
  assert.deepEqual(f.shape, [5]);
  const X2 = rowsOf(x2);
  const ref = rowsOf(x1).map((r, i) => refConv(U, u, [...r, ...X2[i]!], d, k, channels));
  arr(f).forEach((v, i) => assert.ok(Math.abs(v - ref[i]!) < 1e-12, `f[${i}] ${v} vs ${ref[i]}`));
  // g and r put zeros in the other half.
  arr(net.g(x2)).forEach((v, i) => assert.ok(Math.abs(v - refConv(U, u, [...new Array(d).fill(0), ...X2[i]!], d, k, channels)) < 1e-12));
  assert.ok(Math.abs(net.norms().U - Math.hypot(...U)) < 1e-12);
  assert.ok(Math.abs(net.sqNorm().item() - net.norms().U ** 2) < 1e-12);
  dispose([x1, x2, pre, f]); net.dispose();
});

test('F.2 support assumption: Q on the last d/k coordinates reaches only the last patch', () => {
  const d = 8, k = 4, channels = 5;
  const net = new TwoLayerConv({ d, k, channels, tau0: 1 }, new Generator(3));
  const p = makeSyntheticProblem({ ...defaultSyntheticDataConfig(d), qSupport: d / k, r: 1.5 }, new Generator(4));
  const x2 = p.qDirections();
  const pre = arr(net.preActivations(net.params.get('U'), zeros([3, d], F64), x2));
  // Only patch index k (the last) of each channel is non-zero.
  pre.forEach((v, idx) => { if (idx % (k + 1) !== k) assert.equal(v, 0, `pre-activation ${idx} should be 0`); });
  const U = arr(net.params.get('U')), u = arr(net.params.get('u'));
  const last = rowsOf(x2).map((x) => {
    let s = 0;
    for (let j = 0; j < channels; j++) { let h = 0; for (let c = 0; c < d; c++) h += U[j * d + c]! * x[c]!; s += u[k * channels + j]! * Math.max(h, 0); }
    return s;
  });
  arr(net.g(x2)).forEach((v, i) => assert.ok(Math.abs(v - last[i]!) < 1e-12));
  const [g0, gp, gm] = last; // qDirections rows: zv, zv + zeta, zv - zeta
  const contrast = gp! + gm! - 2 * g0!;
  assert.ok(Math.abs(contrast) > 1e-3, `contrast ${contrast} should be away from 0 here`);
  assert.ok(Math.abs(net.qContrast(p.zv, p.zeta) - contrast) < 1e-13);
  dispose(x2); p.dispose(); net.dispose();
});

for (const noise of [0, 0.4]) {
  test(`gradient check (float64) of logistic loss + (lambda/2)||U||^2 w.r.t. the filters, noise ${noise}`, () => {
    const d = 6, lambda = 0.2;
    const p = makeSyntheticProblem({ ...defaultSyntheticDataConfig(d), p0: 0.3, q0: 0.3, r: 0.3 }, new Generator(5));
    const ds = p.sample(10, new Generator(6));
    const net = new TwoLayerConv({ d, k: 2, channels: 3, tau0: 0.8 }, new Generator(7));
    const loss = (U: Tensor) => {
      const opts = noise > 0 ? { preActivationNoise: noise, gen: new Generator(99) } : {};
      return logisticLoss(net.forwardWith({ U }, ds.x1, ds.x2, opts), ds.y).add(net.sqNorm({ U }).mul(lambda / 2));
    };
    const r = gradCheck(loss, [net.params.get('U')], { eps: 1e-6, atol: 1e-7, rtol: 1e-5 });
    assert.ok(r.ok, r.message);
    assert.equal(r.checked, 3 * 6);
    // Autograd through the model's own parameter agrees as well, and u gets no gradient.
    const L = loss(net.params.get('U'));
    L.backward();
    assert.ok(net.params.get('U').grad !== null);
    assert.equal(net.params.get('u').grad, null);
    dispose(ds); p.dispose(); net.dispose();
  });
}

test('pre-activation noise: per example, channel and patch, fresh, reproducible, off at std 0', () => {
  const d = 4, k = 2, channels = 3, std = 0.7;
  const net = new TwoLayerConv({ d, k, channels, tau0: 0.5 }, new Generator(8));
  const g = new Generator(9);
  const x1 = randn([3, d], g, F64), x2 = randn([3, d], g, F64);
  const clean = arr(net.forward(x1, x2));
  const gen = new Generator(10);
  const s0 = gen.getState();
  assert.deepEqual(arr(net.forward(x1, x2, { preActivationNoise: 0, gen })), clean);
  assert.deepEqual(gen.getState(), s0);
  const noisy = arr(net.forward(x1, x2, { preActivationNoise: std, gen }));
  assert.notDeepEqual(noisy, clean);
  assert.notDeepEqual(arr(net.forward(x1, x2, { preActivationNoise: std, gen })), noisy);
  gen.setState(s0);
  assert.deepEqual(arr(net.forward(x1, x2, { preActivationNoise: std, gen })), noisy);
  const nz = rowsOf(randn([3, channels * (k + 1)], new Generator(10), F64)).map((r) => r.map((v) => v * std));
  const U = arr(net.params.get('U')), u = arr(net.params.get('u'));
  const X2 = rowsOf(x2);
  rowsOf(x1).forEach((r, i) => {
    const e = refConv(U, u, [...r, ...X2[i]!], d, k, channels, nz[i]);
    assert.ok(Math.abs(noisy[i]! - e) < 1e-12, `noisy f[${i}] ${noisy[i]} vs ${e}`);
  });
  dispose([x1, x2]); net.dispose();
});

test('float32 and clear errors', () => {
  const net = new TwoLayerConv({ d: 4, k: 2, channels: 2, tau0: 1, dtype: 'float32' }, new Generator(1));
  const x = randn([3, 4], new Generator(2));
  assert.equal(net.forward(x, x).dtype, 'float32');
  assert.throws(() => net.forward(x.double(), x.double()), /forward: x1 is float64 but the model is float32/);
  assert.throws(() => net.forward(x, randn([3, 5], new Generator(2))), /x2 must be \[n, d=4\]/);
  assert.throws(() => net.forward(x, x, { preActivationNoise: 1 }), /needs a gen/);
  assert.throws(() => new TwoLayerConv({ d: 6, k: 4, channels: 2, tau0: 1 }, new Generator(0)), /twoLayerConv config: k must divide d=6/);
  assert.throws(() => new TwoLayerConv({ d: 6, k: 7, channels: 2, tau0: 1 }, new Generator(0)), /twoLayerConv config: k must be an integer in \[1, d=6\]/);
  assert.throws(() => new TwoLayerConv({ d: 6, k: 3, channels: 0, tau0: 1 }, new Generator(0)), /twoLayerConv config: channels must be a positive integer/);
  assert.throws(() => net.forwardWith({}, x, x), /weights has no tensor 'U'/);
  dispose(x); net.dispose();
});
