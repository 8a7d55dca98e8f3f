// Tests of tensor creation, metadata, data round-trips, dtype conversion, in-place ops,
// comparisons, argmax and the error messages for bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Generator, tensor, zeros, ones, full, eye, arange, randint, randn, noGrad, tidy, type DType,
} from './index.js';

const DTYPES: DType[] = ['float32', 'float64', 'int64', 'int32', 'bool', 'uint8'];

test('zeros, ones and full in every dtype, with shape metadata', () => tidy(() => {
  for (const dtype of DTYPES) {
    const z = zeros([2, 3], { dtype });
    assert.equal(z.dtype, dtype);
    assert.deepEqual(z.shape, [2, 3]);
    assert.equal(z.ndim, 2);
    assert.equal(z.numel, 6);
    assert.equal(z.size(-1), 3);
    assert.equal(z.device, 'cpu');
    assert.deepEqual(z.toArray(), [0, 0, 0, 0, 0, 0]);
    assert.deepEqual(ones([4], { dtype }).toArray(), [1, 1, 1, 1]);
  }
  assert.equal(zeros([2]).dtype, 'float32');
  assert.deepEqual(full([2, 2], 2.5, { dtype: 'float64' }).toArray(), [2.5, 2.5, 2.5, 2.5]);
  assert.deepEqual(full([3], 7, { dtype: 'int32' }).toArray(), [7, 7, 7]);
  assert.deepEqual(zeros([0, 3]).shape, [0, 3]);
  assert.equal(zeros([0, 3]).numel, 0);
  assert.equal(zeros([2, 3]).toString(), 'Tensor(shape=[2,3], dtype=float32, device=cpu)');
}));

test('arange and eye', () => tidy(() => {
  const a = arange(5);
  assert.equal(a.dtype, 'int64');
  assert.deepEqual(a.toArray(), [0, 1, 2, 3, 4]);
  assert.deepEqual(arange(2, 8, 2).toArray(), [2, 4, 6]);
  assert.deepEqual(arange(5, 0, -2).toArray(), [5, 3, 1]);
  const f = arange(0, 1, 0.25);
  assert.equal(f.dtype, 'float32');
  assert.deepEqual(f.toArray(), [0, 0.25, 0.5, 0.75]);
  assert.equal(arange(3, undefined, 1, { dtype: 'float64' }).dtype, 'float64');
  const e = eye(3, { dtype: 'float64' });
  assert.deepEqual(e.shape, [3, 3]);
  assert.deepEqual(e.toArray(), [1, 0, 0, 0, 1, 0, 0, 0, 1]);
}));

test('tensor() from numbers, nested arrays and typed arrays', () => tidy(() => {
  const s = tensor(5);
  assert.deepEqual(s.shape, []);
  assert.equal(s.ndim, 0);
  assert.equal(s.numel, 1);
  assert.equal(s.item(), 5);
  const n = tensor([[[1, 2], [3, 4], [5, 6]]]);
  assert.deepEqual(n.shape, [1, 3, 2]);
  assert.equal(n.dtype, 'float32');
  assert.deepEqual(n.toArray(), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(tensor([]).shape, [0]);
  const b = tensor([true, false, true], { dtype: 'bool' });
  assert.equal(b.dtype, 'bool');
  assert.deepEqual(b.toArray(), [1, 0, 1]);
  assert.equal(tensor(new Float32Array([1, 2])).dtype, 'float32');
  assert.equal(tensor(new Float64Array([1, 2])).dtype, 'float64');
  assert.equal(tensor(new Int32Array([1, 2])).dtype, 'int32');
  assert.equal(tensor(new Uint8Array([1, 2])).dtype, 'uint8');
  assert.equal(tensor(new BigInt64Array([1n, 2n])).dtype, 'int64');
  const shaped = tensor(new Float64Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
  assert.deepEqual(shaped.shape, [2, 3]);
  assert.deepEqual(shaped.toArray(), [1, 2, 3, 4, 5, 6]);
  const converted = tensor(new Int32Array([1, -2]), { dtype: 'float64' });
  assert.equal(converted.dtype, 'float64');
  assert.deepEqual(converted.toArray(), [1, -2]);
  // The data is copied: changing the source array afterwards does not change the tensor.
  const src = new Float64Array([1, 2]);
  const c = tensor(src);
  src[0] = 99;
  assert.deepEqual(c.toArray(), [1, 2]);
  for (const dtype of DTYPES) assert.equal(tensor([1, 0], { dtype }).dtype, dtype);
}));

test('toArray, typed arrays and item() round-trip the data', () => tidy(() => {
  const vals = [0.1, -1e-300, 1e300, 123456789.123, -0.5];
  assert.deepEqual(tensor(vals, { dtype: 'float64' }).toArray(), vals);
  assert.deepEqual(tensor(vals.slice(0, 1), { dtype: 'float32' }).toArray(), [Math.fround(0.1)]);
  assert.deepEqual(Array.from(tensor([1.5, 2.5]).toFloat32Array()), [1.5, 2.5]);
  const big = 2 ** 52 + 1;
  assert.deepEqual(tensor(new BigInt64Array([BigInt(big), -3n])).toArray(), [big, -3]);
  assert.deepEqual(tensor([-7, 2 ** 31 - 1], { dtype: 'int32' }).toArray(), [-7, 2 ** 31 - 1]);
  assert.deepEqual(Array.from(tensor([0, 255], { dtype: 'uint8' }).toUint8Array()), [0, 255]);
  assert.deepEqual(Array.from(tensor([3, -4], { dtype: 'int64' }).toInt32Array()), [3, -4]);
  for (const dtype of DTYPES) assert.equal(tensor([[1]], { dtype }).item(), 1);
  assert.equal(tensor([0.25], { dtype: 'float64' }).item(), 0.25);
  assert.equal(tensor([false], { dtype: 'bool' }).item(), 0);
}));

test('dtype conversion with to(), float(), double(), long()', () => tidy(() => {
  const x = tensor([1.7, -1.7, 0, 2.5], { dtype: 'float64' });
  const l = x.long();
  assert.equal(l.dtype, 'int64');
  assert.deepEqual(l.toArray(), [1, -1, 0, 2]); // truncation toward zero
  assert.deepEqual(x.to({ dtype: 'int32' }).toArray(), [1, -1, 0, 2]);
  assert.deepEqual(x.to({ dtype: 'bool' }).toArray(), [1, 1, 0, 1]);
  assert.equal(x.float().dtype, 'float32');
  assert.deepEqual(tensor([0.1], { dtype: 'float64' }).float().toArray(), [Math.fround(0.1)]);
  assert.equal(tensor([1, 2], { dtype: 'int64' }).double().dtype, 'float64');
  assert.deepEqual(tensor([true, false], { dtype: 'bool' }).float().toArray(), [1, 0]);
  assert.deepEqual(x.cpu().toArray(), x.toArray());
  assert.throws(() => x.to({ dtype: 'float16' as DType }), /unknown dtype 'float16'/);
}));

test('in-place ops modify the tensor (and its views) and return it', () => tidy(() => {
  const a = tensor([1, 2, 3], { dtype: 'float64' });
  assert.equal(a.add_(tensor([1, 1, 1], { dtype: 'float64' }), -2), a);
  assert.deepEqual(a.toArray(), [-1, 0, 1]);
  a.add_(0.5);
  assert.deepEqual(a.toArray(), [-0.5, 0.5, 1.5]);
  a.mul_(2).mul_(tensor([1, -1, 2], { dtype: 'float64' }));
  assert.deepEqual(a.toArray(), [-1, -1, 6]);
  a.addcmul_(tensor([1, 2, 3], { dtype: 'float64' }), tensor([2, 2, 2], { dtype: 'float64' }), 0.5);
  assert.deepEqual(a.toArray(), [0, 1, 9]);
  a.copy_(tensor([7], { dtype: 'float32' })); // broadcasts and converts
  assert.deepEqual(a.toArray(), [7, 7, 7]);
  a.fill_(3);
  assert.deepEqual(a.toArray(), [3, 3, 3]);
  a.zero_();
  assert.deepEqual(a.toArray(), [0, 0, 0]);
  const m = zeros([3, 2]);
  m.indexCopy_(0, tensor([2, 0], { dtype: 'int64' }), tensor([[1, 2], [3, 4]]));
  assert.deepEqual(m.toArray(), [3, 4, 0, 0, 1, 2]);
  // index_add_ accumulates repeated indices
  assert.deepEqual(zeros([3]).indexAdd_(0, tensor([2, 0, 2], { dtype: 'int64' }), tensor([1, 2, 4])).toArray(), [2, 0, 5]);
  const base = zeros([2, 3]);
  base.narrow(1, 1, 2).fill_(5);
  assert.deepEqual(base.toArray(), [0, 5, 5, 0, 5, 5]);
  const cl = base.clone();
  cl.zero_();
  assert.deepEqual(base.sum().item(), 20);
}));

test('in-place update of a parameter needs noGrad', () => tidy(() => {
  const p = tensor([1, 2]).requiresGrad_();
  assert.throws(() => p.add_(1), /add_\w*: a leaf Variable that requires grad is being used in an in-place operation/);
  noGrad(() => p.add_(tensor([1, 1]), -0.5));
  assert.deepEqual(p.toArray(), [0.5, 1.5]);
  assert.equal(p.requiresGrad, true);
  assert.equal(p.isLeaf, true);
}));

test('comparisons and logical ops return bool tensors, with broadcasting', () => tidy(() => {
  const a = tensor([1, 2, 3]);
  const b = tensor([3, 2, 1]);
  const cases: [string, number[]][] = [
    ['eq', [0, 1, 0]], ['ne', [1, 0, 1]], ['lt', [1, 0, 0]], ['le', [1, 1, 0]], ['gt', [0, 0, 1]], ['ge', [0, 1, 1]],
  ];
  for (const [op, want] of cases) {
    const r = (a as unknown as Record<string, (o: unknown) => typeof a>)[op]!.call(a, b);
    assert.equal(r.dtype, 'bool', op);
    assert.deepEqual(r.toArray(), want, op);
  }
  assert.deepEqual(a.gt(1.5).toArray(), [0, 1, 1]);
  assert.deepEqual(a.eq(2).toArray(), [0, 1, 0]);
  assert.deepEqual(tensor([[1], [2]]).lt(tensor([1, 2, 3])).shape, [2, 3]);
  const p = a.gt(1);
  const q = a.lt(3);
  assert.deepEqual(p.logicalAnd(q).toArray(), [0, 1, 0]);
  assert.deepEqual(p.logicalOr(q).toArray(), [1, 1, 1]);
  assert.deepEqual(p.logicalNot().toArray(), [1, 0, 0]);
  assert.equal(p.logicalNot().dtype, 'bool');
  assert.deepEqual(tensor([NaN, Infinity, 1]).isfinite().toArray(), [0, 0, 1]);
}));

test('argmax and argmin along a dim, with keepdim', () => tidy(() => {
  const m = tensor([[1, 9, 3], [8, 2, 7]]);
  const am = m.argmax(1);
  assert.equal(am.dtype, 'int64');
  assert.deepEqual(am.toArray(), [1, 0]);
  assert.deepEqual(m.argmax(0).toArray(), [1, 0, 1]);
  assert.deepEqual(m.argmin(1, true).shape, [2, 1]);
  assert.deepEqual(m.argmin(1, true).toArray(), [0, 1]);
  assert.deepEqual(m.argmax(-1).toArray(), [1, 0]);
}));

test('shape mismatches name the op and both shapes', () => tidy(() => {
  assert.throws(() => zeros([2, 3]).matmul(zeros([4, 5])), (e: Error) => {
    assert.match(e.message, /^matmul: /);
    assert.ok(e.message.includes('[2,3]') && e.message.includes('[4,5]'), e.message);
    return true;
  });
  assert.throws(() => zeros([2, 3]).add(zeros([4, 5])), /^Error: add: .*\(input shapes \[2,3\], \[4,5\]\)/);
  assert.throws(() => zeros([3]).mul(zeros([2])), /^Error: mul: .*\[3\], \[2\]/);
  assert.throws(() => zeros([2, 3]).reshape([4, 2]), /^Error: reshape: shape '\[4, 2\]' is invalid for input of size 6/);
  assert.throws(() => zeros([2]).transpose(0, 3), /^Error: transpose: Dimension out of range/);
  assert.throws(() => zeros([2, 3]).item(), /item\(\) needs a tensor with one element, got shape \[2,3\]/);
  assert.throws(() => zeros([3]).indexSelect(0, tensor([5], { dtype: 'int64' })), /^Error: indexSelect: index out of range/);
}));

test('using a disposed tensor says disposed; dispose twice is harmless', () => {
  const t = zeros([2]);
  t.dispose();
  assert.equal(t.isDisposed, true);
  assert.equal(t.toString(), 'Tensor(disposed)');
  assert.throws(() => t.add(1), /tensor was disposed/);
  assert.throws(() => zeros([2]).mul(t), /tensor was disposed/);
  assert.throws(() => t.shape, /disposed/);
  assert.throws(() => t.toArray(), /disposed/);
  assert.throws(() => t.item(), /disposed/);
  t.dispose();
});

test('bad shapes, dtypes and ranges in creation are rejected with clear messages', () => {
  assert.throws(() => zeros([2, -1]), /^Error: zeros: shape must be an array of non-negative integers, got \[2,-1\]$/);
  assert.throws(() => ones([1.5]), /ones: shape must be an array of non-negative integers, got \[1.5\]/);
  assert.throws(() => full('3' as unknown as number[], 1), /full: shape must be an array/);
  assert.throws(() => zeros([2], { dtype: 'complex64' as DType }), /unknown dtype 'complex64'/);
  assert.throws(() => tensor(new Float32Array(4), { shape: [3, 2] }), /\[3,2\]/);
  const g = new Generator(1);
  assert.throws(() => randint(3, 3, [2], g), /randint: high \(3\) must be greater than low \(3\)/);
  assert.throws(() => randint(5, 2, [2], g), /randint: high \(2\) must be greater than low \(5\)/);
  assert.throws(() => new Generator(-1), /Generator: seed must be a non-negative integer, got -1/);
  assert.throws(() => zeros([2], { dtype: 'int64' }).requiresGrad_(), /floating point/);
});

test('tensor() rejects ragged nested arrays', () => {
  assert.throws(() => tensor([[1, 2], [3]]), /tensor: ragged nested array \(length 1 where 2 expected\)/);
  assert.throws(() => tensor([[1, 2], 3]), /tensor: ragged nested array/);
  assert.throws(() => tensor([[[1], [2]], [[3, 4], [5, 6]]]), /tensor: ragged nested array/);
});

test('tensor() reports a scalar before a nested array as ragged, and its own name for bad shapes', () => {
  assert.throws(() => tensor([1, [2, 3]]), /^Error: tensor: ragged nested array/);
  assert.throws(() => tensor(new Float32Array(4), { shape: [3, 2] }), /^Error: tensor: /);
});

test('addScaled: a + alpha b in one op, bit-identical to clone().add_(b, alpha), a left as it was', () => {
  const g = new Generator(3);
  const a = randn([7, 5], g, { dtype: 'float64' }), b = randn([7, 5], g, { dtype: 'float64' });
  const before = Array.from(a.toFloat64Array());
  const r = a.addScaled(b, 1e-3);
  assert.deepEqual(Array.from(r.toFloat64Array()), Array.from(a.clone().add_(b, 1e-3).toFloat64Array()));
  assert.deepEqual(Array.from(a.toFloat64Array()), before);
  assert.ok(Math.abs(r.toFloat64Array()[0]! - (before[0]! + 1e-3 * b.toFloat64Array()[0]!)) < 1e-15);
});
