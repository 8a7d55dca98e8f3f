// Tests of the two-layer relu model: outputs against a plain-JS reference, finite-difference
// gradients of the regularized logistic loss, the fixed second layer, pre-activation noise
// (inside the relu, fresh, reproducible), g/r/qContrast/norms, the stationary init std, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, Tensor, dispose, logisticLoss, randn, tensor, zeros, noGrad, tidy } from '../engine/index.js';
import { gradCheck } from '../engine/gradcheck.js';
import { defaultSyntheticDataConfig, makeSyntheticProblem } from '../data/synthetic.js';
import { TwoLayerRelu, stationaryInitStd, type TwoLayerReluConfig } from './twoLayerRelu.js';

const F64 = { dtype: 'float64' } as const;
const arr = (t: Tensor) => Array.from(t.toFloat64Array());
const close = (a: number[], b: number[], tol: number, what: string) => {
  assert.equal(a.length, b.length, `${what}: lengths`);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= tol * (1 + Math.abs(b[i]!)), `${what}[${i}]: ${v} vs ${b[i]}`));
};

/** sum_j u_j relu(<A_j, x> + noise_j) in plain JS; A is [h, din] row-major. */
function refUnit(A: number[], u: number[], x: number[], noise?: number[]): number {
  const h = u.length, din = x.length;
  let f = 0;
  for (let j = 0; j < h; j++) {
    let pre = noise ? noise[j]! : 0;
    for (let c = 0; c < din; c++) pre += A[j * din + c]! * x[c]!;
    f += u[j]! * Math.max(pre, 0);
  }
  return f;
}

const rowsOf = (t: Tensor) => { const [n, d] = t.shape as [number, number]; const a = arr(t); return Array.from({ length: n }, (_, i) => a.slice(i * d, (i + 1) * d)); };

test('stationaryInitStd solves (1 - eta lambda)^2 tau0^2 + eta^2 tauXi^2 = tau0^2', () => {
  for (const [eta, lambda, tauXi] of [[0.1, 0.01, 0.3], [1.5, 1, 2], [1e-3, 1e-4, 1e-2], [0.5, 3.9, 1]] as const) {
    const t0 = stationaryInitStd(eta, lambda, tauXi);
    const lhs = (1 - eta * lambda) ** 2 * t0 ** 2 + eta ** 2 * tauXi ** 2;
    assert.ok(Math.abs(lhs - t0 ** 2) <= 1e-12 * t0 ** 2, `eta=${eta}, lambda=${lambda}: ${lhs} vs ${t0 ** 2}`);
    assert.ok(t0 > 0);
  }
  assert.equal(stationaryInitStd(0.1, 0.01, 0), 0);
  assert.throws(() => stationaryInitStd(1, 2, 1), /eta1\*lambda must be < 2/);
  assert.throws(() => stationaryInitStd(-1, 0.1, 1), /stationaryInitStd: eta1 must be a positive number/);
  assert.throws(() => stationaryInitStd(0.1, 0, 1), /lambda must be a positive number/);
  assert.throws(() => stationaryInitStd(0.1, 0.1, -1), /tauXi must be a finite number >= 0/);
});

test('block form: f = uW^T relu(W x1) + uV^T relu(V x2), fixed second layer of +-1/sqrt(m)', () => {
  const d = 5, m = 8;
  const net = new TwoLayerRelu({ d, m, form: 'block', tau0: 0.7 }, new Generator(1));
  assert.deepEqual(net.params.named().map(([k]) => k), ['W', 'V']);
  assert.deepEqual(net.params.namedBuffers().map(([k]) => k), ['uW', 'uV']);
  assert.deepEqual(net.params.get('W').shape, [4, 5]);
  const uW = arr(net.params.get('uW')), uV = arr(net.params.get('uV'));
  for (const v of [...uW, ...uV]) assert.ok(Math.abs(Math.abs(v) - 1 / Math.sqrt(m)) < 1e-15, `u entry ${v}`);
  assert.equal(net.params.get('uW').requiresGrad, false);
  const g = new Generator(2);
  const x1 = randn([6, d], g, F64), x2 = randn([6, d], g, F64);
  const f = arr(net.forward(x1, x2));
  const W = arr(net.params.get('W')), V = arr(net.params.get('V'));
  const ref = rowsOf(x1).map((r, i) => refUnit(W, uW, r) + refUnit(V, uV, rowsOf(x2)[i]!));
  close(f, ref, 1e-12, 'f');
  // r and g are the two halves; g(x2) = f(0, x2).
  close(arr(net.r(x1)).map((v, i) => v + arr(net.g(x2))[i]!), ref, 1e-12, 'r + g');
  close(arr(net.g(x2)), arr(net.forward(zeros([6, d], F64), x2)), 1e-15, 'g vs f(0, x2)');
  const nr = net.norms();
  assert.ok(Math.abs(nr.W - Math.hypot(...W)) < 1e-12 && Math.abs(nr.V - Math.hypot(...V)) < 1e-12);
  assert.ok(Math.abs(nr.U ** 2 - net.sqNorm().item()) < 1e-12);
  dispose([x1, x2]); net.dispose();
});

test('full form: f = u^T relu(U [x1; x2]); norms split U by the x1 and x2 columns', () => {
  const d = 4, m = 7;
  const net = new TwoLayerRelu({ d, m, form: 'full', tau0: 0.5 }, new Generator(3));
  assert.deepEqual(net.params.named().map(([k]) => k), ['U']);
  assert.deepEqual(net.params.get('U').shape, [7, 8]);
  const u = arr(net.params.get('u')), U = arr(net.params.get('U'));
  for (const v of u) assert.ok(Math.abs(Math.abs(v) - 1 / Math.sqrt(m)) < 1e-15);
  const g = new Generator(4);
  const x1 = randn([5, d], g, F64), x2 = randn([5, d], g, F64);
  const ref = rowsOf(x1).map((r, i) => refUnit(U, u, [...r, ...rowsOf(x2)[i]!]));
  close(arr(net.forward(x1, x2)), ref, 1e-12, 'f');
  close(arr(net.g(x2)), rowsOf(x2).map((r) => refUnit(U, u, [0, 0, 0, 0, ...r])), 1e-12, 'g');
  close(arr(net.r(x1)), rowsOf(x1).map((r) => refUnit(U, u, [...r, 0, 0, 0, 0])), 1e-12, 'r');
  const nW = Math.hypot(...U.filter((_, i) => i % 8 < 4)), nV = Math.hypot(...U.filter((_, i) => i % 8 >= 4));
  const nr = net.norms();
  assert.ok(Math.abs(nr.W - nW) < 1e-12 && Math.abs(nr.V - nV) < 1e-12 && Math.abs(nr.U - Math.hypot(...U)) < 1e-12);
  dispose([x1, x2]); net.dispose();
});

/** A small synthetic batch (all three components) and the regularized logistic loss. */
function setup(form: 'block' | 'full', noise = 0) {
  const d = 6, lambda = 0.3;
  const p = makeSyntheticProblem({ ...defaultSyntheticDataConfig(d), p0: 0.3, q0: 0.3, r: 0.3 }, new Generator(5));
  const ds = p.sample(12, new Generator(6));
  const net = new TwoLayerRelu({ d, m: 8, form, tau0: 0.8 } as TwoLayerReluConfig, new Generator(7));
  const names = net.params.named().map(([k]) => k);
  const loss = (...ws: Tensor[]) => {
    const weights = Object.fromEntries(names.map((k, i) => [k, ws[i]!]));
    const opts = noise > 0 ? { preActivationNoise: noise, gen: new Generator(99) } : {};
    return logisticLoss(net.forwardWith(weights, ds.x1, ds.x2, opts), ds.y).add(net.sqNorm(weights).mul(lambda / 2));
  };
  return { p, ds, net, loss, lambda, done: () => { dispose(ds); p.dispose(); net.dispose(); } };
}

for (const form of ['block', 'full'] as const) {
  for (const noise of [0, 0.5]) {
    test(`gradient check (float64) of logistic loss + (lambda/2)||U||^2, ${form} form, noise ${noise}`, () => {
      const s = setup(form, noise);
      const r = gradCheck(s.loss, s.net.params.list(), { eps: 1e-6, atol: 1e-7, rtol: 1e-5 });
      assert.ok(r.ok, r.message);
      assert.equal(r.checked, form === 'block' ? 2 * 4 * 6 : 8 * 12);
      s.done();
    });
  }
}

test('u is not trained: absent from the parameter list, no gradient, unchanged by backward', () => {
  const s = setup('block');
  const before = arr(s.net.params.get('uV'));
  const L = s.loss(...s.net.params.list());
  L.backward();
  for (const p of s.net.params.list()) assert.ok(p.grad !== null, 'trainable weight has a grad');
  for (const [k, b] of s.net.params.namedBuffers()) assert.equal(b.grad, null, `${k} got a gradient`);
  assert.deepEqual(arr(s.net.params.get('uV')), before);
  assert.equal(s.net.params.count(), 2 * 4 * 6);
  s.done();
});

test('pre-activation noise: inside the relu per example and neuron, fresh, reproducible, off at std 0', () => {
  const d = 3, m = 6, std = 0.9;
  const net = new TwoLayerRelu({ d, m, form: 'block', tau0: 0.4 }, new Generator(8));
  const x1 = randn([4, d], new Generator(9), F64);
  const x2 = tensor([[1, 2, 3], [1, 2, 3], [1, 2, 3], [0, 0, 0]], F64);
  const clean = arr(net.forward(x1, x2));
  const gen = new Generator(10);
  const s0 = gen.getState();
  assert.deepEqual(arr(net.forward(x1, x2, { preActivationNoise: 0, gen })), clean);
  assert.deepEqual(gen.getState(), s0, 'std 0 must not draw');
  const noisy = arr(net.forward(x1, x2, { preActivationNoise: std, gen }));
  assert.notDeepEqual(noisy, clean);
  const noisy2 = arr(net.forward(x1, x2, { preActivationNoise: std, gen }));
  assert.notDeepEqual(noisy2, noisy, 'noise must be fresh at each call');
  gen.setState(s0);
  assert.deepEqual(arr(net.forward(x1, x2, { preActivationNoise: std, gen })), noisy, 'same generator state, same noise');
  // Reference: the same draws (W block [4, 3] then V block [4, 3]) added before the relu.
  const ref = new Generator(10);
  const nW = rowsOf(randn([4, m / 2], ref, F64)).map((r) => r.map((v) => v * std));
  const nV = rowsOf(randn([4, m / 2], ref, F64)).map((r) => r.map((v) => v * std));
  const W = arr(net.params.get('W')), V = arr(net.params.get('V'));
  const uW = arr(net.params.get('uW')), uV = arr(net.params.get('uV'));
  const expect = rowsOf(x1).map((r, i) => refUnit(W, uW, r, nW[i]) + refUnit(V, uV, rowsOf(x2)[i]!, nV[i]));
  close(noisy, expect, 1e-12, 'noisy f');
  // A zero x2 row still gets uV^T relu(noise): the noise sits inside the relu.
  const nz = arr(randn([1, m / 2], new Generator(12), F64)).map((v) => v * std);
  const gZero = arr(net.g(x2.narrow(0, 3, 1), { preActivationNoise: std, gen: new Generator(12) }))[0]!;
  assert.ok(Math.abs(gZero - refUnit(V, uV, [0, 0, 0], nz)) < 1e-14, `g(0) with noise ${gZero}`);
  assert.ok(Math.abs(gZero - nz.reduce((s2, v, j) => s2 + v * uV[j]!, 0)) > 1e-6, 'noise must pass through the relu, not around it');
  // Per example: identical rows get different noise; with noisePerBatch they share it.
  const gOnly = (perBatch: boolean) => arr(net.g(x2.narrow(0, 0, 3), { preActivationNoise: std, gen: new Generator(11), noisePerBatch: perBatch }));
  const a = gOnly(false), b = gOnly(true);
  assert.ok(a[0] !== a[1] || a[1] !== a[2], 'per-example noise should differ across identical rows');
  assert.ok(b[0] === b[1] && b[1] === b[2], 'shared noise gives identical rows identical outputs');
  dispose([x1, x2]); net.dispose();
});

test('qContrast = g(zv + zeta) + g(zv - zeta) - 2 g(zv), zero for a linear-region V', () => {
  const d = 5;
  const net = new TwoLayerRelu({ d, m: 10, form: 'block', tau0: 1 }, new Generator(12));
  const p = makeSyntheticProblem({ ...defaultSyntheticDataConfig(d), r: 0.4 }, new Generator(13));
  const x = tensor([...arr(p.zv.add(p.zeta)), ...arr(p.zv.sub(p.zeta)), ...arr(p.zv)], { shape: [3, d], dtype: 'float64' });
  const [gp, gm, g0] = arr(net.g(x));
  assert.ok(Math.abs(gp! + gm! - 2 * g0!) > 1e-3, 'a random V should see the kink');
  assert.ok(Math.abs(net.qContrast(p.zv, p.zeta) - (gp! + gm! - 2 * g0!)) < 1e-14);
  // With every V neuron active on zv +- zeta (V rows aligned with zv), g is linear there: contrast 0.
  noGrad(() => net.params.get('V').copy_(tidy(() => p.zv.reshape([1, d]).repeat([5, 1]))));
  assert.ok(Math.abs(net.qContrast(p.zv, p.zeta)) < 1e-14);
  dispose(x); p.dispose(); net.dispose();
});

test('float32 weights and inputs; clear errors for bad config and inputs', () => {
  const net = new TwoLayerRelu({ d: 3, m: 4, form: 'block', tau0: 1, dtype: 'float32' }, new Generator(1));
  const x = randn([2, 3], new Generator(2));
  const f = net.forward(x, x);
  assert.equal(f.dtype, 'float32');
  assert.deepEqual(f.shape, [2]);
  assert.throws(() => net.forward(x.double(), x.double()), /forward: x1 is float64 but the model is float32/);
  assert.throws(() => net.forward(x, randn([3, 3], new Generator(2))), /different numbers of rows/);
  assert.throws(() => net.forward(x, randn([2, 4], new Generator(2))), /forward: x2 must be \[n, d=3\], got \[2, 4\]/);
  assert.throws(() => net.forward(x, x, { preActivationNoise: 0.1 }), /preActivationNoise > 0 needs a gen/);
  assert.throws(() => net.forward(x, x, { preActivationNoise: -1, gen: new Generator(0) }), /preActivationNoise must be a finite number >= 0/);
  assert.throws(() => net.forwardWith({ W: net.params.get('W') }, x, x), /weights has no tensor 'V'/);
  assert.throws(() => new TwoLayerRelu({ d: 3, m: 5, form: 'block', tau0: 1 }, new Generator(0)), /twoLayerRelu config: m must be even in the block form/);
  assert.throws(() => new TwoLayerRelu({ d: 3, m: 4, form: 'wide' as 'full', tau0: 1 }, new Generator(0)), /twoLayerRelu config: form must be/);
  assert.throws(() => new TwoLayerRelu({ d: 0, m: 4, form: 'full', tau0: 1 }, new Generator(0)), /twoLayerRelu config: d must be a positive integer/);
  assert.throws(() => new TwoLayerRelu({ d: 3, m: 4, form: 'full', tau0: -1 }, new Generator(0)), /twoLayerRelu config: tau0 must be/);
  dispose([x, f]); net.dispose();
});

test('init: U entries ~ N(0, tau0^2), seeded', () => {
  const tau0 = 0.3;
  const a = new TwoLayerRelu({ d: 50, m: 100, form: 'full', tau0 }, new Generator(21));
  const b = new TwoLayerRelu({ d: 50, m: 100, form: 'full', tau0 }, new Generator(21));
  const U = arr(a.params.get('U'));
  assert.deepEqual(arr(b.params.get('U')), U);
  const n = U.length, mean = U.reduce((s, v) => s + v, 0) / n, v = U.reduce((s, x) => s + x * x, 0) / n;
  assert.ok(Math.abs(mean) < 4.5 * tau0 / Math.sqrt(n), `mean ${mean}`);
  assert.ok(Math.abs(v / tau0 ** 2 - 1) < 4.5 * Math.sqrt(2 / n), `var ${v}`);
  a.dispose(); b.dispose();
});
