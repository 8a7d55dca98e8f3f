// Finite-difference gradient checks (float64) of the neural-network ops in functional.ts
// (convolution, batch norm, pooling, softmax, losses, dropout) and their forward values
// against hand-computed numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Generator, randn, randperm, tensor, zeros, ones, arange, tidy, conv2d, batchNorm, maxPool2d, avgPool2d,
  adaptiveAvgPool2d, logSoftmax, softmax, crossEntropy, logisticLoss, dropout, type Tensor,
  setNumThreads,
} from './index.js';
import { gradCheck, type GradCheckOptions } from './gradcheck.js';

setNumThreads(1); // tiny tensors: thread hand-offs only cost time here

const g = new Generator(4242);
const f64 = { dtype: 'float64' } as const;
const rn = (shape: number[]) => randn(shape, g, f64);
const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);
/** Distinct values in random order (no ties, so max pooling has no kinks). */
const distinct = (shape: number[]) => randperm(prod(shape), g).double().add(0.25).div(prod(shape)).sub(0.5).reshape(shape);

function check(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradCheckOptions = {}): void {
  const r = gradCheck(fn, inputs, opts);
  assert.ok(r.ok, r.message);
}
function close(actual: number[], expected: number[], tol = 1e-9): void {
  assert.equal(actual.length, expected.length, `length ${actual.length} vs ${expected.length}`);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]!) <= tol * (1 + Math.abs(expected[i]!)), `[${i}] ${a} vs ${expected[i]}`));
}
/** 1..n as a float64 tensor of the given shape. */
const count = (shape: number[]) => arange(1, prod(shape) + 1, 1, f64).reshape(shape);

test('conv2d gradients: plain, stride+padding with bias, groups, dilation', () => tidy(() => {
  check((x, w) => conv2d(x, w), [rn([2, 3, 5, 5]), rn([4, 3, 3, 3])]);
  check((x, w, b) => conv2d(x, w, b, { stride: 2, padding: 1 }), [rn([2, 3, 5, 5]), rn([2, 3, 3, 3]), rn([2])]);
  check((x, w, b) => conv2d(x, w, b, { stride: [1, 2], padding: [2, 0] }), [rn([1, 2, 4, 5]), rn([3, 2, 2, 3]), rn([3])]);
  check((x, w, b) => conv2d(x, w, b, { groups: 2, padding: 1 }), [rn([2, 4, 4, 4]), rn([6, 2, 3, 3]), rn([6])]);
  check((x, w) => conv2d(x, w, null, { dilation: 2 }), [rn([1, 2, 5, 5]), rn([2, 2, 2, 2])]);
}));

test('conv2d forward on tiny known kernels', () => tidy(() => {
  const x = count([1, 1, 3, 3]);
  // Cross-correlation (no kernel flip), as PyTorch.
  close(conv2d(x, tensor([[[[1, 2], [3, 4]]]], f64)).toArray(), [37, 47, 67, 77]);
  close(conv2d(x, tensor([[[[1, 0], [0, -1]]]], f64), tensor([0.5], f64)).toArray(), [-3.5, -3.5, -3.5, -3.5]);
  const y = conv2d(count([1, 1, 4, 4]), ones([1, 1, 3, 3], f64), null, { stride: 2, padding: 1 });
  assert.deepEqual(y.shape, [1, 1, 2, 2]);
  close(y.toArray(), [14, 30, 57, 99]);
  const grouped = conv2d(count([1, 2, 1, 2]), tensor([[[[2]]], [[[3]]]], f64), null, { groups: 2 });
  close(grouped.toArray(), [2, 4, 9, 12]);
  assert.throws(() => conv2d(zeros([1, 3, 4, 4]), zeros([2, 2, 3, 3])), /conv2d: .*\(input shapes \[1,3,4,4\], \[2,2,3,3\]\)/);
}));

test('batchNorm in training: gradients wrt input, weight and bias (2-D and 4-D)', () => tidy(() => {
  const train = (x: Tensor, w: Tensor | null, b: Tensor | null) => batchNorm(x, {
    weight: w, bias: b, training: true,
    runningMean: zeros([x.shape[1]!], f64), runningVar: ones([x.shape[1]!], f64),
  });
  check((x, w, b) => train(x, w, b), [rn([6, 3]), rn([3]), rn([3])]);
  check((x, w, b) => train(x, w, b), [rn([3, 2, 3, 3]), rn([2]), rn([2])]);
  check((x) => train(x, null, null), [rn([5, 2])]);
  check((x) => batchNorm(x, { training: true, eps: 1e-3 }), [rn([4, 3, 2, 2])]);
}));

test('batchNorm in eval: gradients use the running statistics', () => tidy(() => {
  const rm = rn([3]);
  const rv = rn([3]).abs().add(0.5);
  check((x, w, b) => batchNorm(x, { weight: w, bias: b, runningMean: rm, runningVar: rv, training: false }),
    [rn([4, 3, 2, 2]), rn([3]), rn([3])]);
}));

test('batchNorm forward: PyTorch running-stat update (momentum 0.1, unbiased variance) and eval', () => tidy(() => {
  const x = tensor([[1, 2], [3, 6], [5, 10], [7, 14]], f64);
  const rm = zeros([2], f64);
  const rv = ones([2], f64);
  const w = tensor([2, 0.5], f64);
  const b = tensor([0.1, -1], f64);
  const eps = 1e-5;
  const y = batchNorm(x, { weight: w, bias: b, runningMean: rm, runningVar: rv, training: true });
  // Batch means [4, 8]; biased variances [5, 20] normalize; unbiased [20/3, 80/3] update the running var.
  const expectY = [1, 3, 5, 7].flatMap((_, i) => [
    ((2 * i + 1 - 4) / Math.sqrt(5 + eps)) * 2 + 0.1,
    ((4 * i + 2 - 8) / Math.sqrt(20 + eps)) * 0.5 - 1,
  ]);
  close(y.toArray(), expectY);
  close(rm.toArray(), [0.4, 0.8]);
  close(rv.toArray(), [0.9 + 0.1 * (20 / 3), 0.9 + 0.1 * (80 / 3)]);
  batchNorm(x, { runningMean: rm, runningVar: rv, training: true });
  close(rm.toArray(), [0.9 * 0.4 + 0.4, 0.9 * 0.8 + 0.8]);
  close(rv.toArray(), [0.9 * (0.9 + 2 / 3) + 2 / 3, 0.9 * (0.9 + 8 / 3) + 8 / 3]);
  const m = rm.toArray();
  const v = rv.toArray();
  const e = batchNorm(x, { weight: w, bias: b, runningMean: rm, runningVar: rv, training: false });
  close(e.toArray(), [[1, 2], [3, 6], [5, 10], [7, 14]].flatMap(([p, q]) => [
    ((p! - m[0]!) / Math.sqrt(v[0]! + eps)) * 2 + 0.1, ((q! - m[1]!) / Math.sqrt(v[1]! + eps)) * 0.5 - 1,
  ]));
  close(rm.toArray(), m); // eval leaves the running statistics alone
  // 4-D: statistics over N, H, W per channel; momentum 0.5 given explicitly.
  const x4 = count([2, 1, 1, 2]); // values 1,2,3,4: mean 2.5, unbiased var 5/3
  const rm4 = zeros([1], f64);
  const rv4 = ones([1], f64);
  batchNorm(x4, { runningMean: rm4, runningVar: rv4, training: true, momentum: 0.5 });
  close(rm4.toArray(), [1.25]);
  close(rv4.toArray(), [0.5 + 0.5 * (5 / 3)]);
}));

test('maxPool2d, avgPool2d and adaptiveAvgPool2d gradients', () => tidy(() => {
  check((x) => maxPool2d(x, 2), [distinct([2, 2, 4, 4])]);
  check((x) => maxPool2d(x, 3, 2, 1), [distinct([1, 2, 5, 5])]);
  check((x) => maxPool2d(x, [2, 3], [1, 2]), [distinct([1, 1, 4, 5])]);
  check((x) => avgPool2d(x, 2), [rn([2, 2, 4, 4])]);
  check((x) => avgPool2d(x, 3, 2, 1), [rn([1, 2, 5, 5])]);
  check((x) => adaptiveAvgPool2d(x, 1), [rn([2, 3, 3, 3])]);
  check((x) => adaptiveAvgPool2d(x, [3, 2]), [rn([1, 2, 5, 5])]);
}));

test('pooling forward values', () => tidy(() => {
  const x = count([1, 1, 4, 4]);
  close(maxPool2d(x, 2).toArray(), [6, 8, 14, 16]);
  close(avgPool2d(x, 2).toArray(), [3.5, 5.5, 11.5, 13.5]);
  const padded = avgPool2d(x, 3, 2, 1); // zero padding counts in the average (PyTorch default)
  close(padded.toArray(), [14 / 9, 30 / 9, 57 / 9, 99 / 9]);
  close(adaptiveAvgPool2d(x, 1).toArray(), [8.5]);
  const a3 = adaptiveAvgPool2d(x, 3); // bins [0,2), [1,3), [2,4) in each direction
  assert.deepEqual(a3.shape, [1, 1, 3, 3]);
  close(a3.toArray(), [3.5, 4.5, 5.5, 7.5, 8.5, 9.5, 11.5, 12.5, 13.5]);
}));

test('logSoftmax and softmax gradients and values', () => tidy(() => {
  check((x) => logSoftmax(x, 1), [rn([3, 5])]);
  check((x) => logSoftmax(x, 0), [rn([3, 5])]);
  check((x) => softmax(x, -1), [rn([2, 3, 4])]);
  const s = softmax(tensor([[1, 2, 3]], f64), 1).toArray();
  const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
  close(s, [Math.exp(1) / z, Math.exp(2) / z, Math.exp(3) / z]);
  close(logSoftmax(tensor([[1000, 0]], f64), 1).toArray(), [0, -1000]);
}));

test('crossEntropy gradients for mean, sum and none', () => tidy(() => {
  const target = tensor([2, 0, 3, 3, 1], { dtype: 'int64' });
  for (const red of ['mean', 'sum', 'none'] as const) check((x) => crossEntropy(x, target, red), [rn([5, 4])]);
  check((x) => crossEntropy(x, target), [rn([5, 4])]);
}));

test('crossEntropy forward against hand-computed numbers', () => tidy(() => {
  const logits = tensor([[1, 2, 3], [1, 1, 1]], f64);
  const target = tensor([2, 0], { dtype: 'int64' });
  const l0 = Math.log(Math.exp(-2) + Math.exp(-1) + 1);
  const l1 = Math.log(3);
  close(crossEntropy(logits, target, 'none').toArray(), [l0, l1]);
  close(crossEntropy(logits, target, 'sum').toArray(), [l0 + l1]);
  close(crossEntropy(logits, target).toArray(), [(l0 + l1) / 2]);
  assert.deepEqual(crossEntropy(logits, target).shape, []);
  assert.throws(() => crossEntropy(logits, tensor([3, 0], { dtype: 'int64' })), /crossEntropy: /);
}));

test('logisticLoss gradients and forward values', () => tidy(() => {
  const y = tensor([1, -1, -1, 1, 1, -1], f64);
  for (const red of ['mean', 'sum', 'none'] as const) check((f) => logisticLoss(f, y, red), [rn([6]).mul(2)]);
  const f = tensor([2, -1, 0.5, 50], f64);
  const yy = tensor([1, 1, -1, -1], f64);
  const expect = [Math.log1p(Math.exp(-2)), Math.log1p(Math.exp(1)), Math.log1p(Math.exp(0.5)), 50 + Math.log1p(Math.exp(-50))];
  close(logisticLoss(f, yy, 'none').toArray(), expect);
  close(logisticLoss(f, yy, 'sum').toArray(), [expect.reduce((a, b) => a + b)]);
  close(logisticLoss(f, yy).toArray(), [expect.reduce((a, b) => a + b) / 4]);
}));

test('dropout: gradient of the masked op with a fixed generator state', () => tidy(() => {
  const gen = new Generator(99);
  const state = gen.getState();
  const fn = (x: Tensor) => { gen.setState(state); return dropout(x, 0.3, true, gen); };
  check(fn, [rn([4, 5])]);
  // The mask of a given state zeroes some entries and scales the rest by 1/(1-p).
  const x = rn([4, 5]);
  const y = fn(x).toArray();
  const xs = x.toArray();
  let zeroed = 0;
  y.forEach((v, i) => { if (v === 0) zeroed++; else assert.ok(Math.abs(v - xs[i]! / 0.7) < 1e-12); });
  assert.ok(zeroed > 0 && zeroed < 20, `zeroed ${zeroed}`);
  assert.deepEqual(fn(x).toArray(), y);
  check((t) => dropout(t, 0.5, false, gen), [rn([3])]);
  check((t) => dropout(t, 0, true, gen), [rn([3])]);
}));

test('dropout forward: drop rate, eval identity and bad p', () => tidy(() => {
  const gen = new Generator(5);
  const x = ones([100, 100], f64);
  const y = dropout(x, 0.25, true, gen);
  const frac = y.eq(0).double().mean().item();
  assert.ok(Math.abs(frac - 0.25) < 0.02, `drop fraction ${frac}`);
  assert.ok(Math.abs(y.mean().item() - 1) < 0.03, `mean ${y.mean().item()}`);
  assert.deepEqual(dropout(x, 0.25, false, gen).toArray(), x.toArray());
  assert.throws(() => dropout(x, 1, true, gen), /dropout: p must be in \[0, 1\), got 1/);
  assert.throws(() => dropout(x, -0.1, true, gen), /dropout: p must be in \[0, 1\), got -0.1/);
}));
