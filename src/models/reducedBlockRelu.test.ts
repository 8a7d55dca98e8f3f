// Tests of the reduced Q block: it is the full block net restricted to span(zv, zeta) (same outputs,
// and the same trajectory under deterministic training, pre-activation noise included), its
// complement statistic moves with the right law under gradient noise, and its config errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, Tensor, eye, logisticLoss, noGrad, tidy } from '../engine/index.js';
import { defaultSyntheticDataConfig, makeSyntheticProblem, type SyntheticProblem } from '../data/synthetic.js';
import { ReducedBlockRelu } from './reducedBlockRelu.js';
import { TwoLayerRelu, type SyntheticModel } from './twoLayerRelu.js';
import { syntheticModelSchema } from './syntheticModel.js';
import { parseConfig } from '../util/schema.js';

const d = 12, mW = 4, mV = 10;
const arr = (t: Tensor) => Array.from(t.toFloat64Array());

function problem(seed = 3): SyntheticProblem {
  return makeSyntheticProblem({ ...defaultSyntheticDataConfig(d), r: 0.3, qScale: 5, aMin: 0.5 }, new Generator(seed));
}

/** A full block net and a reduced one holding the same weights: Vspan = V B and S = ||V - V B B^T||^2. */
function pair(pr: SyntheticProblem) {
  const widths = { d, m: mW + mV, mW, mV, secondLayerScale: 'block' as const, tau0: 0.4 };
  const full = new TwoLayerRelu({ ...widths, form: 'block' }, new Generator(7));
  const red = new ReducedBlockRelu({ ...widths, zv: pr.zv, zeta: pr.zeta }, new Generator(8));
  noGrad(() => tidy(() => {
    const B = red.coordinates(eye(d, { dtype: 'float64' }));
    const V = full.params.get('V');
    for (const k of ['W', 'uW', 'uV']) red.params.get(k).copy_(full.params.get(k));
    red.params.get('Vspan').copy_(V.matmul(B));
    red.params.get('vPerpSq').fill_(V.sub(V.matmul(B).matmul(B.transpose(0, 1))).square().sum().item());
  }));
  return { full, red };
}

function assertClose(a: number[], b: number[], tol: number, what: string): void {
  assert.equal(a.length, b.length, what);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= tol * (1 + Math.abs(b[i]!)), `${what}[${i}]: ${v} vs ${b[i]}`));
}

test('the reduced model gives the full block net\'s outputs, g, r and norms on inputs from the problem', () => {
  const pr = problem();
  const { full, red } = pair(pr);
  const ds = pr.sample(30, new Generator(1));
  assertClose(arr(red.forward(ds.x1, ds.x2)), arr(full.forward(ds.x1, ds.x2)), 1e-12, 'f');
  assertClose(arr(red.g(ds.x2)), arr(full.g(ds.x2)), 1e-12, 'g');
  assertClose(arr(red.r(ds.x1)), arr(full.r(ds.x1)), 0, 'r');
  const [a, b] = [red.norms(), full.norms()];
  assertClose([a.W, a.V, a.U], [b.W, b.V, b.U], 1e-12, 'norms');
  assertClose([red.sqNorm().item()], [full.sqNorm().item()], 1e-12, 'sqNorm');
  assertClose([red.qContrast(pr.zv, pr.zeta)], [full.qContrast(pr.zv, pr.zeta)], 1e-10, 'qContrast');
  assert.deepEqual(red.params.get('uV').shape, [mV]);
  assert.ok(Math.abs(Math.abs(red.params.get('uV').toFloat64Array()[0]!) - 1 / Math.sqrt(mV)) < 1e-15, "secondLayerScale 'block': +-1/sqrt(mV)");
});

/** GD with weight decay and pre-activation noise (no gradient noise): deterministic given the noise generator. */
function train(model: SyntheticModel, pr: SyntheticProblem, steps: number): void {
  const ds = pr.sample(40, new Generator(2));
  const gen = new Generator(11);
  const lr = 0.5, lambda = 0.01;
  for (let i = 0; i < steps; i++) {
    tidy(() => {
      logisticLoss(model.forward(ds.x1, ds.x2, { preActivationNoise: 0.2, gen }), ds.y).backward();
      noGrad(() => { for (const p of model.params.list()) p.add_(p.grad!.add_(p, lambda), -lr); });
      model.params.zeroGrad();
    });
    model.afterUpdate?.({ lr, weightDecay: lambda, gradNoiseStd: 0, gen: null });
  }
}

test('without gradient noise the reduced model follows the full one step for step (W, V B and ||V||), pre-activation noise included', () => {
  const pr = problem(5);
  const { full, red } = pair(pr);
  const before = red.norms().V;
  train(full, pr, 60);
  train(red, pr, 60);
  assertClose(arr(red.params.get('W')), arr(full.params.get('W')), 1e-9, 'W');
  const B = red.coordinates(eye(d, { dtype: 'float64' }));
  assertClose(arr(red.params.get('Vspan')), arr(full.params.get('V').matmul(B)), 1e-9, 'V B');
  assertClose([red.norms().V], [full.norms().V], 1e-9, '||V||');
  assert.notEqual(red.norms().V, before, 'the weights moved');
});

test('under gradient noise S = ||Vperp||^2 moves with the law of the full complement: mean a^2 S + sigma^2 k, variance 4 a^2 sigma^2 S + 2 sigma^4 k', () => {
  const pr = problem();
  const { red } = pair(pr);
  const k = mV * (d - 2), lr = 0.3, lambda = 0.2, tau = 0.5, a = 1 - lr * lambda, sigma = lr * tau;
  const S0 = red.perpSq();
  const gen = new Generator(21);
  const draws: number[] = [];
  for (let i = 0; i < 4000; i++) {
    noGrad(() => red.params.get('vPerpSq').fill_(S0));
    red.afterUpdate({ lr, weightDecay: lambda, gradNoiseStd: tau, gen });
    draws.push(red.perpSq());
  }
  const mean = draws.reduce((s, v) => s + v, 0) / draws.length;
  const variance = draws.reduce((s, v) => s + (v - mean) ** 2, 0) / (draws.length - 1);
  const wantMean = a * a * S0 + sigma * sigma * k, wantVar = 4 * a * a * sigma * sigma * S0 + 2 * sigma ** 4 * k;
  assert.ok(Math.abs(mean - wantMean) < 4 * Math.sqrt(wantVar / draws.length), `mean ${mean} vs ${wantMean}`);
  assert.ok(Math.abs(variance / wantVar - 1) < 0.1, `variance ${variance} vs ${wantVar}`);
  // no noise: S shrinks by a^2 exactly
  noGrad(() => red.params.get('vPerpSq').fill_(S0));
  red.afterUpdate({ lr, weightDecay: lambda, gradNoiseStd: 0, gen: null });
  assert.equal(red.perpSq(), a * a * S0);
});

test('block widths and the reduced Q block: config errors name the key', () => {
  const parse = (m: unknown) => parseConfig(syntheticModelSchema, m, 'model');
  assert.deepEqual(parse({ arch: 'block', m: 12, mW: 4, mV: 8, reduceQBlock: true }), { arch: 'block', m: 12, mW: 4, mV: 8, reduceQBlock: true });
  assert.throws(() => parse({ arch: 'block', m: 12, mW: 4 }), { message: "config key 'model.mV' must be given together with the other block width (mW, mV), got 4" });
  assert.throws(() => parse({ arch: 'block', m: 13, mW: 4, mV: 8 }), { message: "config key 'model.m' must equal mW + mV (4 + 8 = 12), got 13" });
  assert.throws(() => parse({ arch: 'block', m: 12, secondLayerScale: 'x' }), /model.secondLayerScale' must be 'm' or 'block'/);
  assert.throws(() => parse({ arch: 'block', m: 12, reduceQBlock: 1 }), /model.reduceQBlock' must be true or false/);
  const odd = new TwoLayerRelu({ d, m: 13, mW: 5, mV: 8, form: 'block', tau0: 0.1 }, new Generator(0));
  assert.deepEqual(odd.params.named().map(([k, t]) => [k, t.shape]), [['W', [5, d]], ['V', [8, d]]], 'an odd m is fine with explicit widths');
  assert.throws(() => new TwoLayerRelu({ d, m: 13, form: 'block', tau0: 0.1 }, new Generator(0)), /m must be even in the block form/);
  const pr = problem();
  assert.throws(() => new ReducedBlockRelu({ d: 2, m: 4, tau0: 0.1, zv: pr.zv, zeta: pr.zeta }, new Generator(0)), /d must be >= 3/);
});

test('on x2 given as rays both block nets give their outputs and g within round-off; with noise the rays are not used', () => {
  const pr = problem(6);
  const { full, red } = pair(pr);
  const ds = pr.sample(50, new Generator(3));
  const x2Rays = ds.rays!;
  for (const [name, m] of [['full', full], ['reduced', red]] as const) {
    assertClose(arr(m.forward(ds.x1, ds.x2, { x2Rays })), arr(m.forward(ds.x1, ds.x2)), 1e-12, `${name} f`);
    assertClose(arr(m.g(ds.x2, { x2Rays })), arr(m.g(ds.x2)), 1e-12, `${name} g`);
    // the V block on the directions only: g at a row is its scale times g at its direction, exactly
    const g = arr(m.g(ds.x2, { x2Rays })), gDir = arr(m.g(x2Rays.directions));
    const idx = x2Rays.index.toInt32Array(), s = x2Rays.scale.toFloat64Array();
    g.forEach((v, i) => assert.equal(v, s[i]! * gDir[idx[i]!]!, `${name} g row ${i}`));
    const noisy = (o: object) => arr(m.forward(ds.x1, ds.x2, { preActivationNoise: 0.3, gen: new Generator(9), ...o }));
    assert.deepEqual(noisy({ x2Rays }), noisy({}), `${name}: noise is added to the rows' own pre-activations`);
    assert.throws(() => m.forward(ds.x1, ds.x2, { x2Rays: { ...x2Rays, index: x2Rays.index.narrow(0, 0, 10) } }), /x2Rays: index and scale must be \[50\] \(one per row of x2\), got \[10\] and \[50\]/);
  }
});
