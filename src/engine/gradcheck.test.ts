// Tests of the finite-difference gradient checker itself: it accepts correct gradients and
// catches wrong ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, randn, tensor, noGrad, scopeDepth, type Tensor } from './index.js';
import { gradCheck, assertGradCheck } from './gradcheck.js';

const gen = () => new Generator(7);

test('gradCheck accepts correct gradients of scalar and non-scalar outputs', () => {
  const g = gen();
  const x = randn([3, 4], g, { dtype: 'float64' });
  const w = randn([4, 2], g, { dtype: 'float64' });
  const scalar = gradCheck((a, b) => a.matmul(b).tanh().sum(), [x, w]);
  assert.ok(scalar.ok, scalar.message);
  assert.equal(scalar.checked, 12 + 8);
  const vector = gradCheck((a) => a.exp().mul(a), [x]);
  assert.ok(vector.ok, vector.message);
  assert.equal(vector.message, 'ok');
  assert.ok(vector.maxAbsError < 1e-7, `max error ${vector.maxAbsError}`);
});

test('gradCheck detects a gradient made inconsistent by detach', () => {
  const x = tensor([[0.5, -1.5], [2, 3]], { dtype: 'float64' });
  // d/dx sum(x * detach(x)) by autograd is x, but the true derivative of sum(x^2) is 2x.
  const r = gradCheck((a) => a.mul(a.detach()).sum(), [x]);
  assert.equal(r.ok, false);
  assert.equal(r.mismatches.length, 4);
  const m = r.mismatches.find((mm) => mm.index.join(',') === '1,0');
  assert.ok(m, r.message);
  assert.ok(Math.abs(m.analytic - 2) < 1e-12, `analytic ${m.analytic}`);
  assert.ok(Math.abs(m.numeric - 4) < 1e-6, `numeric ${m.numeric}`);
  assert.match(r.message, /4 of 4 gradient entries differ/);
  assert.match(r.message, /input 0 at \[1,0\]: analytic 2 vs numeric (3\.9999|4(\.0000|\n))/);
  assert.throws(() => assertGradCheck((a) => a.mul(a.detach()).sum(), [x]), /gradient entries differ/);
});

test('gradCheck detects a gradient missing on one input only', () => {
  const g = gen();
  const a = randn([3], g, { dtype: 'float64' });
  const b = randn([3], g, { dtype: 'float64' });
  const r = gradCheck((p, q) => p.mul(q.detach()).add(q.square()), [a, b]);
  assert.equal(r.ok, false);
  assert.ok(r.mismatches.every((m) => m.input === 1), r.message);
  assert.equal(r.mismatches.length, 3);
});

test('gradCheck detects a fully detached function (autograd gives no gradient at all)', () => {
  const x = tensor([1, 2], { dtype: 'float64' });
  const r = gradCheck((a) => a.detach().square().sum(), [x]);
  assert.equal(r.ok, false);
  assert.deepEqual(r.mismatches.map((m) => m.analytic), [0, 0]);
});

test('gradCheck works in float64 even for float32 inputs, and leaves the inputs untouched', () => {
  const x = tensor([0.3, 0.7, 1.1], { dtype: 'float32' });
  const before = x.toArray();
  let seen = '';
  const r = gradCheck((a) => { seen = a.dtype; return a.pow(3).sum(); }, [x], { atol: 1e-9, rtol: 1e-7 });
  assert.ok(r.ok, r.message);
  assert.equal(seen, 'float64');
  assert.deepEqual(x.toArray(), before);
  assert.equal(x.requiresGrad, false);
});

test('gradCheck tolerances decide: a tiny wrong term passes loose tolerance, fails tight', () => {
  const x = tensor([1, 2, 3], { dtype: 'float64' });
  // f = sum(x^2) + 1e-4 * sum(x * detach(x)) -> analytic grad 2x + 1e-4 x vs numeric 2x + 2e-4 x.
  const f = (a: Tensor) => a.square().sum().add(a.mul(a.detach()).sum().mul(1e-4));
  assert.ok(gradCheck(f, [x], { atol: 1e-3, rtol: 0 }).ok);
  assert.equal(gradCheck(f, [x], { atol: 1e-6, rtol: 1e-6 }).ok, false);
});

test('gradCheck runs under noGrad, frees its tensors and rejects bad arguments', () => {
  const x = tensor([0.5, 1.5], { dtype: 'float64' });
  const r = noGrad(() => gradCheck((a) => a.log().sum(), [x]));
  assert.ok(r.ok, r.message);
  assert.equal(scopeDepth(), 0);
  assert.throws(() => gradCheck((a) => a.sum(), []), /gradCheck: inputs must be a non-empty array/);
  assert.throws(() => gradCheck((a) => a.sum(), [tensor([1, 2], { dtype: 'int64' })]), /inputs\[0\] must be floating point, got int64/);
  assert.throws(() => gradCheck((a) => a.sum(), [x], { eps: 0 }), /gradCheck: eps must be positive/);
  assert.throws(() => gradCheck((a) => a.gt(0), [x]), /fn must return a floating-point tensor, got bool/);
});
