// Finite-difference gradient checks (float64) of the elementwise, linear-algebra, reduction and
// shape ops, plus a few forward values. Inputs near a kink (relu/abs at 0, ties of max/min,
// clamp bounds) are avoided, and the tests assert that they are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Generator, randn, rand, randperm, tensor, tidy, cat, stack, where, outer, linear, type Tensor,
  setNumThreads,
} from './index.js';
import { gradCheck, type GradCheckOptions } from './gradcheck.js';

setNumThreads(1); // tiny tensors: thread hand-offs only cost time here

const g = new Generator(20190613);
const f64 = { dtype: 'float64' } as const;
const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);
/** Standard normal float64 draws. */
const rn = (shape: number[]) => randn(shape, g, f64);
/** Positive values in [0.5, 2). */
const pos = (shape: number[]) => rand(shape, g, f64).mul(1.5).add(0.5);
/** Distinct values (k + 0.25)/n - 0.5 in random order: no ties (gap 1/n) and none at 0. */
const distinct = (shape: number[], shift = 0) =>
  randperm(prod(shape), g).double().add(0.25 + shift).div(prod(shape)).sub(0.5).reshape(shape);

/** Assert every element of t is farther than `margin` from each of `points` (away from kinks). */
function awayFrom(t: Tensor, points: number[], margin = 1e-3): void {
  for (const x of t.toArray()) for (const p of points) assert.ok(Math.abs(x - p) > margin, `input ${x} too close to kink at ${p}`);
}
function check(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradCheckOptions = {}): void {
  const r = gradCheck(fn, inputs, opts);
  assert.ok(r.ok, r.message);
  assert.ok(r.checked > 0);
}
function close(actual: number[], expected: number[], tol = 1e-9): void {
  assert.equal(actual.length, expected.length, `length ${actual.length} vs ${expected.length}`);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]!) <= tol * (1 + Math.abs(expected[i]!)), `[${i}] ${a} vs ${expected[i]}`));
}

test('add, sub, mul, div: tensor-tensor, broadcasting and scalar forms', () => tidy(() => {
  const a = rn([2, 3, 4]);
  const b = rn([2, 3, 4]);
  const col = rn([3, 1]);
  const row = rn([4]);
  const den = pos([3, 1]);
  check((x, y) => x.add(y), [a, b]);
  check((x, y) => x.sub(y), [a, b]);
  check((x, y) => x.mul(y), [a, b]);
  check((x, y) => x.div(y), [a, pos([2, 3, 4])]);
  check((x, y) => x.add(y), [a, col]);
  check((x, y) => x.sub(y), [row, a]);
  check((x, y, z) => x.mul(y).add(z), [a, col, row]);
  check((x, y) => x.div(y), [a, den]);
  check((x, y) => y.div(x), [pos([4]), col]);
  check((x) => x.add(2.5).mul(-1.5).sub(0.25).div(3), [a]);
  const s = tensor([[1, 2], [3, 4]], f64);
  assert.deepEqual(s.add(tensor([10, 20], f64)).toArray(), [11, 22, 13, 24]);
  assert.deepEqual(s.div(tensor([[2], [4]], f64)).toArray(), [0.5, 1, 0.75, 1]);
  assert.deepEqual(s.sub(1).mul(2).toArray(), [0, 2, 4, 6]);
}));

test('pow: scalar exponents and tensor exponents with broadcasting', () => tidy(() => {
  const p = pos([3, 4]);
  check((x) => x.pow(3), [rn([3, 4])]);
  check((x) => x.pow(0.5), [p]);
  check((x) => x.pow(-1.5), [p]);
  check((x, e) => x.pow(e), [p, rn([3, 4])]);
  check((x, e) => x.pow(e), [p, rn([4])]);
  assert.deepEqual(tensor([2, 3], f64).pow(tensor([3, 2], f64)).toArray(), [8, 9]);
}));

test('maximum and minimum away from ties, tensor and scalar forms', () => tidy(() => {
  const a = distinct([3, 4]);
  const b = distinct([3, 4], 0.5);
  awayFrom(a.sub(b), [0]);
  check((x, y) => x.maximum(y), [a, b]);
  check((x, y) => x.minimum(y), [a, b]);
  const rowB = distinct([4], 0.5).mul(0.9);
  awayFrom(a.unsqueeze(0).sub(rowB.unsqueeze(0).unsqueeze(1)), [0]);
  check((x, y) => x.maximum(y), [a, rowB]);
  awayFrom(a, [0.1, -0.1]);
  check((x) => x.maximum(0.1), [a]);
  check((x) => x.minimum(-0.1), [a]);
  assert.deepEqual(tensor([1, 5, 3]).maximum(tensor([4, 2, 3])).toArray(), [4, 5, 3]);
  assert.deepEqual(tensor([1, 5, 3]).minimum(2).toArray(), [1, 2, 2]);
}));

test('unary ops: neg, abs, exp, log, log1p, sqrt, rsqrt, square', () => tidy(() => {
  const x = rn([3, 5]);
  const d = distinct([3, 5]);
  awayFrom(d, [0]);
  const p = pos([3, 5]);
  check((t) => t.neg(), [x]);
  check((t) => t.abs(), [d]);
  check((t) => t.exp(), [x]);
  check((t) => t.log(), [p]);
  check((t) => t.log1p(), [p.sub(1.4)]);
  check((t) => t.sqrt(), [p]);
  check((t) => t.rsqrt(), [p]);
  check((t) => t.square(), [x]);
  close(tensor([-2, 0.5], f64).abs().toArray(), [2, 0.5]);
  close(tensor([4, 0.25], f64).rsqrt().toArray(), [0.5, 2]);
  close(tensor([1e-10], f64).log1p().toArray(), [1e-10], 1e-12);
}));

test('activations: relu, sigmoid, tanh, softplus, logSigmoid', () => tidy(() => {
  const x = rn([4, 5]).mul(2);
  const d = distinct([4, 5]).mul(4);
  awayFrom(d, [0]);
  check((t) => t.relu(), [d]);
  check((t) => t.sigmoid(), [x]);
  check((t) => t.tanh(), [x]);
  check((t) => t.softplus(), [x]);
  check((t) => t.softplus(2), [x]);
  // Threshold 1 with beta 2: linear where 2x > 1; keep inputs away from x = 0.5.
  awayFrom(d, [0.5]);
  check((t) => t.softplus(2, 1), [d]);
  check((t) => t.logSigmoid(), [x]);
  close(tensor([0, 30, -30], f64).softplus().toArray(), [Math.log(2), 30, Math.log1p(Math.exp(-30))]);
  close(tensor([0, -40], f64).logSigmoid().toArray(), [-Math.log(2), -40 - Math.log1p(Math.exp(-40))]);
  close(tensor([0, 2], f64).sigmoid().toArray(), [0.5, 1 / (1 + Math.exp(-2))]);
}));

test('clamp with min, max and both, away from the bounds', () => tidy(() => {
  const d = distinct([4, 6]);
  awayFrom(d, [-0.2, 0.3]);
  check((t) => t.clamp(-0.2, 0.3), [d]);
  check((t) => t.clamp(-0.2), [d]);
  check((t) => t.clamp(null, 0.3), [d]);
  assert.deepEqual(tensor([-1, 0.5, 2]).clamp(0, 1).toArray(), [0, 0.5, 1]);
}));

test('where and maskedFill', () => tidy(() => {
  const a = rn([3, 4]);
  const b = rn([3, 4]);
  const cond = rn([3, 4]).gt(0);
  const rowCond = tensor([true, false, true, false], { dtype: 'bool' });
  check((x, y) => where(cond, x, y), [a, b]);
  check((x, y) => where(rowCond, x, y), [a, rn([3, 1])]);
  check((x) => where(cond, x, 0.5), [a]);
  check((y) => where(cond, -2, y), [b]);
  check((x) => x.maskedFill(cond, 0), [a]);
  check((x) => x.mul(x).maskedFill(rowCond, -1), [a]);
  assert.deepEqual(where(tensor([true, false], { dtype: 'bool' }), tensor([1, 2]), tensor([3, 4])).toArray(), [1, 4]);
  assert.deepEqual(tensor([1, 2, 3]).maskedFill(tensor([false, true, false], { dtype: 'bool' }), 9).toArray(), [1, 9, 3]);
}));

test('matmul (2-D, batched, broadcast batch, vector), linear with and without bias, outer', () => tidy(() => {
  check((x, y) => x.matmul(y), [rn([3, 4]), rn([4, 2])]);
  check((x, y) => x.matmul(y), [rn([2, 3, 4]), rn([2, 4, 5])]);
  check((x, y) => x.matmul(y), [rn([2, 3, 4]), rn([4, 2])]);
  check((x, y) => x.matmul(y), [rn([4]), rn([4, 3])]);
  check((x, w, b) => linear(x, w, b), [rn([5, 4]), rn([3, 4]), rn([3])]);
  check((x, w) => linear(x, w), [rn([5, 4]), rn([3, 4])]);
  check((x, w) => linear(x, w, null), [rn([2, 5, 4]), rn([3, 4])]);
  check((x, y) => outer(x, y), [rn([3]), rn([4])]);
  assert.deepEqual(tensor([[1, 2], [3, 4]]).matmul(tensor([[5], [6]])).toArray(), [17, 39]);
  assert.deepEqual(linear(tensor([[1, 2]]), tensor([[1, 1], [2, -1]]), tensor([10, 20])).toArray(), [13, 20]);
  assert.deepEqual(outer(tensor([1, 2]), tensor([3, 4, 5])).toArray(), [3, 4, 5, 6, 8, 10]);
}));

test('sum and mean over all elements and over dims with keepdim', () => tidy(() => {
  const x = rn([2, 3, 4]);
  for (const keep of [false, true]) {
    check((t) => t.sum(1, keep), [x]);
    check((t) => t.sum([0, 2], keep), [x]);
    check((t) => t.mean(-1, keep), [x]);
    check((t) => t.mean([0, 1], keep), [x]);
  }
  check((t) => t.sum(), [x]);
  check((t) => t.mean(), [x]);
  assert.deepEqual(x.sum([0, 2], true).shape, [1, 3, 1]);
  assert.deepEqual(x.mean(-1).shape, [2, 3]);
  const m = tensor([[1, 2, 3], [4, 5, 6]], f64);
  assert.deepEqual(m.sum(0).toArray(), [5, 7, 9]);
  assert.deepEqual(m.mean(1, true).toArray(), [2, 5]);
}));

test('var (unbiased and biased), logsumexp and norm', () => tidy(() => {
  const x = rn([3, 5]);
  for (const keepdim of [false, true]) {
    check((t) => t.var(1, { keepdim }), [x]);
    check((t) => t.var(0, { unbiased: false, keepdim }), [x]);
    check((t) => t.logsumexp(1, keepdim), [x]);
    check((t) => t.logsumexp([0, 1], keepdim), [x]);
  }
  check((t) => t.var(), [x]);
  check((t) => t.norm(), [x]);
  const v = tensor([1, 2, 3, 4], f64);
  close(v.var().toArray(), [5 / 3]);
  close(v.var(0, { unbiased: false }).toArray(), [1.25]);
  close(v.logsumexp(0).toArray(), [Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3) + Math.exp(4))]);
  close(tensor([1000, 1000], f64).logsumexp(0).toArray(), [1000 + Math.log(2)]);
  close(tensor([[3, 4]], f64).norm().toArray(), [5]);
  assert.deepEqual(x.logsumexp(1, true).shape, [3, 1]);
}));

test('max, maxDim and minDim values without ties', () => tidy(() => {
  const d = distinct([3, 5]);
  check((t) => t.maxDim(1).values, [d]);
  check((t) => t.maxDim(0, true).values, [d]);
  check((t) => t.minDim(1).values, [d]);
  check((t) => t.max(), [d]);
  const m = tensor([[1, 7, 3], [9, 2, 4]]);
  const { values, indices } = m.maxDim(1);
  assert.deepEqual(values.toArray(), [7, 9]);
  assert.deepEqual(indices.toArray(), [1, 0]);
  assert.equal(indices.dtype, 'int64');
  assert.deepEqual(m.maxDim(0, true).values.shape, [1, 3]);
}));

test('shape ops: reshape, transpose, permute, squeeze, unsqueeze, expand, repeat, flatten, narrow', () => tidy(() => {
  const x = rn([2, 3, 4]);
  check((t) => t.reshape([4, 6]), [x]);
  check((t) => t.reshape([-1, 2]), [x]);
  check((t) => t.transpose(0, 2), [x]);
  check((t) => t.reshape([6, 4]).T, [x]);
  check((t) => t.permute([2, 0, 1]), [x]);
  check((t) => t.squeeze(1), [rn([3, 1, 2])]);
  check((t) => t.unsqueeze(-1), [x]);
  check((t) => t.expand([2, 3, 4]), [rn([3, 1])]);
  check((t) => t.expand([4, 3]).mul(t.expand([4, 3])), [rn([3])]);
  check((t) => t.repeat([2, 1, 3]), [rn([3, 2])]);
  check((t) => t.flatten(), [x]);
  check((t) => t.flatten(1), [x]);
  check((t) => t.narrow(2, 1, 2), [x]);
  check((t) => t.transpose(0, 1).contiguous().clone(), [x]);
  assert.deepEqual(x.permute([2, 0, 1]).shape, [4, 2, 3]);
  assert.deepEqual(x.flatten(0, 1).shape, [6, 4]);
  assert.deepEqual(rn([3, 2]).repeat([2, 1, 3]).shape, [2, 3, 6]);
  assert.deepEqual(tensor([[1, 2, 3], [4, 5, 6]]).narrow(1, 1, 2).toArray(), [2, 3, 5, 6]);
  assert.deepEqual(tensor([[1, 2, 3], [4, 5, 6]]).T.toArray(), [1, 4, 2, 5, 3, 6]);
}));

test('cat, stack, indexSelect and gather', () => tidy(() => {
  check((a, b, c) => cat([a, b, c], 1), [rn([2, 1, 3]), rn([2, 2, 3]), rn([2, 4, 3])]);
  check((a, b) => cat([a, b]), [rn([2, 3]), rn([1, 3])]);
  check((a, b) => stack([a, b]), [rn([2, 3]), rn([2, 3])]);
  check((a, b, c) => stack([a, b, c], -1), [rn([2, 3]), rn([2, 3]), rn([2, 3])]);
  const idx = tensor([2, 0, 2, 1], { dtype: 'int64' });
  check((t) => t.indexSelect(0, idx), [rn([3, 4])]);
  check((t) => t.indexSelect(1, idx), [rn([2, 3])]);
  const gi = tensor([[0, 2], [1, 1], [2, 0]], { dtype: 'int64' });
  check((t) => t.gather(1, gi), [rn([3, 4])]);
  assert.deepEqual(cat([tensor([1, 2]), tensor([3])]).toArray(), [1, 2, 3]);
  assert.deepEqual(stack([tensor([1, 2]), tensor([3, 4])], 1).toArray(), [1, 3, 2, 4]);
  assert.deepEqual(tensor([10, 20, 30]).indexSelect(0, idx).toArray(), [30, 10, 30, 20]);
  assert.deepEqual(tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]]).gather(1, gi).toArray(), [1, 3, 5, 5, 9, 7]);
  // Repeated indices accumulate their gradients.
  const x = tensor([1, 2, 3], f64).requiresGrad_();
  x.indexSelect(0, idx).sum().backward();
  assert.deepEqual(x.grad!.toArray(), [1, 1, 2]);
}));
