import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Generator, Tensor, addEach_, addNormalEach_, normalKernel, normal_, bmm, linear, logisticLoss, mmEach, mmEachKernel, reluGradMmEach, mvEach, mvEachKernel, rand, runtimeRecord, normalEach_, noGrad, randn, softplusBackward, stack, thresholdBackward, tidy, zeros, full,
} from './index.js';

const F64 = { dtype: 'float64' } as const;
/** Bit-identical (Object.is per element: -0 and NaN too). */
function same(a: Tensor, b: Tensor): boolean {
  const x = a.toFloat64Array(), y = b.toFloat64Array();
  return a.shape.join() === b.shape.join() && x.every((v, i) => Object.is(v, y[i]));
}
const slice = (t: Tensor, k: number) => t.narrow(0, k, 1).squeeze(0);

test('bmm, mmEach and mvEach give each slice exactly the lone product (odd sizes, transposed views)', () => tidy(() => {
  const g = new Generator(7);
  const P = 3, n = 37, d = 21, h = 13;
  const xs = Array.from({ length: P }, () => randn([n, d], g, F64)), ws = Array.from({ length: P }, () => randn([h, d], g, F64));
  const X = stack(xs), Wt = stack(ws).transpose(1, 2);
  for (const prod of [bmm(X, Wt), mmEach(X, Wt)]) {
    assert.deepEqual(prod.shape, [P, n, h]);
    xs.forEach((x, k) => assert.ok(same(slice(prod, k), linear(x, ws[k]!)), `slice ${k}`));
  }
  const us = Array.from({ length: P }, () => randn([h], g, F64));
  const H = bmm(X, Wt).relu();
  const f = mvEach(H, stack(us));
  us.forEach((u, k) => assert.ok(same(slice(f, k), slice(H, k).matmul(u)), `mv slice ${k}`));
  assert.throws(() => mvEach(H, stack(us).narrow(1, 0, 5)), /mvEach needs A \[P, n, h\] and v \[P, h\]/);
  assert.throws(() => bmm(xs[0]!, ws[0]!), /bmm: a must be 3-D/);
}));

test('mmEach by its own multiply-add chain or the BLAS call itself gives at::mm\'s bits for the block net\'s shapes and layouts, and takes them where they do', () => tidy(() => {
  const g = new Generator(11);
  // the products of a batched synthetic step: x1 W^T, x2 V^T (K = 2), x2 B (the reduced Q block's basis),
  // the weight gradients g^T x (g a transposed view), at a minibatch of 10 and a full batch of 120, and tails
  const shapes: [number, number, number, 'n' | 't', 'n' | 't'][] = [
    [10, 100, 64, 'n', 't'], [10, 2, 1024, 'n', 't'], [10, 100, 2, 'n', 'n'], [64, 10, 100, 't', 'n'], [1024, 10, 2, 't', 'n'],
    [120, 100, 50, 'n', 't'], [50, 120, 100, 't', 'n'], [1, 3, 1, 'n', 'n'], [5, 7, 9, 't', 't'], [9, 8, 17, 'n', 'n'], [37, 1, 33, 'n', 't'], [13, 16, 3, 't', 'n'],
    [1024, 10, 2, 'n', 'n'], [3, 300, 5, 'n', 'n'], [9, 16, 17, 't', 't'], [10, 100, 1, 'n', 't'], [1, 100, 10, 'n', 'n'],
  ];
  const kernels: string[] = [];
  for (const dtype of ['float32', 'float64'] as const) {
    for (const [n, K, m, la, lb] of shapes) {
      const P = 3;
      // plain values, and values with exact zeros, mixed signs and magnitudes over about 1e-5..1e5
      const operand = (r: number, c: number, lay: 'n' | 't', rough: boolean) => {
        const t = lay === 'n' ? randn([P, r, c], g, { dtype }) : randn([P, c, r], g, { dtype }).transpose(1, 2);
        return rough ? t.mul(randn(t.shape, g, { dtype }).mul(3).exp()).mul(rand(t.shape, g, { dtype }).gt(0.3).to({ dtype })) : t;
      };
      for (const rough of [false, true]) {
        const a = operand(n, K, la, rough), b = operand(K, m, lb, rough);
        const prod = mmEach(a, b);
        assert.deepEqual(prod.shape, [P, n, m]);
        for (let k = 0; k < P; k++) assert.ok(same(slice(prod, k), slice(a, k).matmul(slice(b, k))), `${dtype} [${n},${K}]${la} x [${K},${m}]${lb} rough=${rough} slice ${k}`);
        if (!rough) kernels.push(`${dtype} ${n}x${K}x${m} ${la} ${lb} ${mmEachKernel(a, b)}`);
      }
    }
  }
  // OpenBLAS's Haswell and Zen kernels (0.3.21) keep one accumulator per element in double at the
  // minibatch shapes, and in float below 8 terms: there the products chain (elsewhere at::mm, as tested above)
  const k = runtimeRecord().kernels;
  const chains = process.arch === 'x64' && (k === 'Zen' || k === 'Haswell');
  if (chains) {
    // (the over-j and over-i loops, packed and transposed operands, row and column tails)
    for (const want of ['float64 10x100x64 n t', 'float64 64x10x100 t n', 'float64 10x2x1024 n t', 'float64 10x100x2 n n', 'float64 1024x10x2 t n',
      'float64 5x7x9 t t', 'float64 13x16x3 t n', 'float64 1024x10x2 n n', 'float32 10x2x1024 n t', 'float32 1024x10x2 t n', 'float32 1024x10x2 n n']) {
      assert.ok(kernels.includes(`${want} chain`), `${want} not chained: ${kernels.join('; ')}`);
    }
  }
  // more than 256 terms: not chained (BLAS kernels split such sums); float products the kernel sums
  // otherwise: the BLAS call itself, where the BLAS is found
  assert.ok(!kernels.includes('float64 3x300x5 n n chain'));
  if (chains) {
    for (const want of ['float64 3x300x5 n n', 'float32 10x100x64 n t', 'float32 64x10x100 t n', 'float32 9x16x17 t t', 'float64 1x100x10 n n']) {
      assert.ok(kernels.includes(`${want} blas`), `${want} not by the BLAS call: ${kernels.join('; ')}`);
    }
  }
  // one output column: ATen makes another BLAS call than ours, so never ours
  assert.ok(!kernels.includes('float32 10x100x1 n t blas'));
  // a sum that rounds to -0 (its last term underflows): the chain stores +0, as at::mm does with the
  // Haswell and Zen kernels (SkylakeX's small-matrix kernel keeps -0, and mmEach then calls the BLAS:
  // the same bits as at::mm either way); padded rows and a b shared by every slice (stride 0), which
  // go to at::mm (not dense, overlapping)
  for (const dtype of ['float32', 'float64'] as const) {
    const tiny = dtype === 'float32' ? 1.1754943508222875e-38 : 2.2250738585072014e-308;
    const a = zeros([2, 10, 4], { dtype }), b = zeros([2, 4, 8], { dtype });
    a.narrow(2, 3, 1).fill_(tiny); b.narrow(1, 3, 1).fill_(-tiny);
    const under = mmEach(a, b);
    assert.ok(same(slice(under, 0), slice(a, 0).matmul(slice(b, 0))), `${dtype}: -0 where at::mm gives +0`);
    if (mmEachKernel(a, b) === 'chain') assert.ok(Object.is(under.toFloat64Array()[0], 0), `${dtype}: ${under.toFloat64Array()[0]}`);
    if (chains) assert.equal(mmEachKernel(a, b), 'chain', `${dtype}: the underflow case is not chained`);
    const padded = randn([3, 10, 105], g, { dtype }).narrow(2, 2, 100), shared = randn([1, 100, 64], g, { dtype }).expand([3, 100, 64]);
    const prod = mmEach(padded, shared);
    for (let k = 0; k < 3; k++) assert.ok(same(slice(prod, k), slice(padded, k).matmul(slice(shared, k))), `${dtype} padded x shared, slice ${k}`);
  }
  // under autograd recording: at::mm (the chain and the direct call record no graph)
  const w = randn([2, 10, 2], g, F64).requiresGrad_(), v = randn([2, 2, 64], g, F64);
  assert.equal(mmEachKernel(w, v), 'mm');
  if (chains) assert.equal(mmEachKernel(w.detach(), v), 'chain');
  assert.equal(mmEachKernel(zeros([0, 2, 3]), zeros([0, 3, 4])), 'mm');
  assert.throws(() => mmEachKernel(zeros([2, 2, 3]), zeros([2, 4, 4])), /mmEach needs a \[P, n, k\] and b \[P, k, m\]/);
}));

test('mvEach by the BLAS call itself gives at::mv\'s bits for the block net\'s shapes and layouts', () => tidy(() => {
  const g = new Generator(13);
  const seen: string[] = [];
  for (const dtype of ['float32', 'float64'] as const) {
    // the forward's relu(pre) u per block (minibatch 10, full batch 120), a row of one, one column,
    // columns contiguous (a transposed view), padded rows (not dense: at::mv), v with stride 2, v shared by all slices
    const shapes: [number, number, 'n' | 't' | 'pad' | 'vstep' | 'vshared'][] = [
      [10, 1024, 'n'], [10, 64, 'n'], [120, 50, 'n'], [1, 37, 'n'], [6, 1, 'n'], [9, 33, 't'], [7, 20, 'pad'], [8, 30, 'vstep'], [8, 30, 'vshared']];
    for (const [r, c, lay] of shapes) {
      const P = 3;
      for (const rough of [false, true]) {
        const scale = (t: Tensor) => (rough ? t.mul(randn(t.shape, g, { dtype }).mul(3).exp()).mul(rand(t.shape, g, { dtype }).gt(0.3).to({ dtype })) : t);
        const A = lay === 't' ? scale(randn([P, c, r], g, { dtype })).transpose(1, 2) : lay === 'pad' ? scale(randn([P, r, c + 5], g, { dtype })).narrow(2, 1, c) : scale(randn([P, r, c], g, { dtype }));
        const v = lay === 'vstep' ? randn([P, c, 2], g, { dtype }).narrow(2, 0, 1).squeeze(2) : lay === 'vshared' ? randn([1, c], g, { dtype }).expand([P, c]) : randn([P, c], g, { dtype });
        const f = mvEach(A, v);
        assert.deepEqual(f.shape, [P, r]);
        for (let k = 0; k < P; k++) assert.ok(same(slice(f, k), slice(A, k).matmul(slice(v, k))), `${dtype} [${r},${c}]${lay} rough=${rough} slice ${k}`);
        if (!rough) seen.push(`${dtype} ${r}x${c} ${lay} ${mvEachKernel(A, v)}`);
      }
    }
  }
  // where the BLAS is found (OpenBLAS here), the forward's products take the direct call
  const k = runtimeRecord().kernels;
  if (process.arch === 'x64' && (k === 'Zen' || k === 'Haswell')) {
    for (const want of ['float32 10x1024 n', 'float32 10x64 n', 'float64 120x50 n', 'float32 9x33 t', 'float64 1x37 n', 'float32 8x30 vstep', 'float64 8x30 vshared']) {
      assert.ok(seen.includes(`${want} blas`), `${want}: ${seen.join('; ')}`);
    }
  }
  const w = randn([2, 10, 64], g, F64).requiresGrad_();
  assert.equal(mvEachKernel(w, randn([2, 64], g, F64)), 'mv');
  assert.throws(() => mvEachKernel(w, randn([2, 63], g, F64)), /mvEach needs A \[P, n, h\] and v \[P, h\]/);
}));

test('addEach_ is add_ with each slice\'s alpha; normalEach_ draws each slice from its own generator as randn would', () => tidy(() => {
  const g = new Generator(1);
  const a = randn([4, 5, 3], g, F64), b = randn([4, 5, 3], g, F64);
  const alphas = [0.5, -1e-3, 0, 3];
  const ref = alphas.map((al, k) => slice(a, k).clone().add_(slice(b, k), al));
  addEach_(a, b, alphas);
  ref.forEach((r, k) => assert.ok(same(slice(a, k), r)));
  // float32 and float64, slices whose length leaves a scalar tail after the vector lanes (the one-pass
  // kernel where it gives add_'s bits), and a transposed view (slice by slice)
  for (const dtype of ['float32', 'float64'] as const) {
    for (const shape of [[3, 1031], [5, 64, 100], [2, 7]]) {
      const d = randn(shape, g, { dtype }), s = randn(shape, g, { dtype }).mul(1e3);
      const al = Array.from({ length: shape[0]! }, (_, k) => (k % 2 ? 0.0123456789 : -3.3) * (k + 1));
      const want = al.map((x, k) => slice(d, k).clone().add_(slice(s, k), x));
      addEach_(d, s, al);
      want.forEach((r, k) => assert.ok(same(slice(d, k), r), `${dtype} ${shape.join('x')} slice ${k}`));
    }
    const d = randn([3, 6, 4], g, { dtype }), s = randn([3, 4, 6], g, { dtype }).transpose(1, 2);
    const want = [0.25, -2, 7].map((x, k) => slice(d, k).clone().add_(slice(s, k), x));
    addEach_(d, s, [0.25, -2, 7]);
    want.forEach((r, k) => assert.ok(same(slice(d, k), r), `${dtype} transposed slice ${k}`));
  }
  // with autograd on and a src that requires grad, dst joins the graph as add_ makes it (the one
  // pass is only for what add_ would merely compute)
  const leaf = randn([2, 5], g, F64).requiresGrad_();
  const dst = zeros([2, 5], F64);
  addEach_(dst, leaf, [2, -1]);
  assert.equal(dst.requiresGrad, true);
  dst.sum().backward();
  assert.deepEqual(Array.from(leaf.grad!.toFloat64Array()), [2, 2, 2, 2, 2, -1, -1, -1, -1, -1]);
  assert.throws(() => addEach_(a, b, [1, 2]), /addEach_ needs .* 4 alphas|P alphas/);
  assert.throws(() => addEach_(a, b, [1, 2, NaN, 3]), /finite/);

  const seeds = [11, 12, 13, 14, 15];
  const t = normalEach_(zeros([5, 7, 9], F64), seeds.map((s, k) => (k === 2 ? null : new Generator(s))));
  seeds.forEach((s, k) => {
    if (k === 2) assert.ok(same(slice(t, k), zeros([7, 9], F64)), 'a null generator leaves its slice');
    else assert.ok(same(slice(t, k), randn([7, 9], new Generator(s), F64)), `slice ${k}`);
  });
  assert.throws(() => normalEach_(zeros([2, 3], F64), [new Generator(1)]), /one generator \(or null\) per slice/);
}));

test('addNormalEach_ adds to each slice the noise a lone pre-activation gets: add(randn(shape, gen).mul(std)), bit for bit', () => tidy(() => {
  const g = new Generator(5);
  // both dtypes; slices shorter than ATen's 16-draw vector fill, and of lengths that leave a tail
  for (const dtype of ['float32', 'float64'] as const) {
    for (const shape of [[4, 10, 1024], [4, 3, 5], [4, 37]]) {
      const seeds = [21, 22, 23, 24], stds = [3, 0, 0.37, 1e-3];
      const t = randn(shape, g, { dtype }).mul(10);
      const want = stds.map((sd, k) => (k === 1 ? slice(t, k).clone() : slice(t, k).add(randn(shape.slice(1), new Generator(seeds[k]!), { dtype }).mul(sd))));
      const out = addNormalEach_(t, seeds.map((s, k) => (k === 1 ? null : new Generator(s))), stds);
      assert.equal(out, t, 'in place');
      want.forEach((w, k) => assert.ok(same(slice(t, k), w), `${dtype} ${shape.join('x')} slice ${k}${k === 1 ? ' (null generator: untouched)' : ''}`));
    }
  }
  // the generator moves as a lone draw moves it: a second call draws the next noise
  const gen = new Generator(9), ref = new Generator(9);
  const t = zeros([1, 40], F64);
  addNormalEach_(t, [gen], [1]);
  addNormalEach_(t, [gen], [1]);
  assert.ok(same(slice(t, 0), randn([40], ref, F64).add(randn([40], ref, F64))));
  assert.throws(() => addNormalEach_(zeros([2, 3], F64), [new Generator(1), null], [1]), /one generator \(or null\) and one std per slice/);
  assert.throws(() => addNormalEach_(zeros([2, 3], F64), [null, null], [1, NaN]), /finite/);
  const shared = new Generator(2);
  assert.throws(() => addNormalEach_(zeros([3, 20], F64), [shared, null, shared], [1, 1, 1]), /a generator is given for two slices/);
  assert.throws(() => normalEach_(zeros([2, 20], F64), [shared, shared]), /a generator is given for two slices/);
}));

test('normalEach_ in float32 gives at::normal_\'s bits and moves each generator as it does (sizes around 16, tails, past a state regeneration)', () => tidy(() => {
  // (607 and 1231 draw 623 and 1247 words with their tails: from a fresh generator they end one word
  // before a regeneration of the MT19937 state)
  const sizes = [1, 15, 16, 17, 31, 607, 623, 624, 625, 1231, 1248, 1301, 10880];
  const gens = [new Generator(3), new Generator(4)], refs = [new Generator(3), new Generator(4)];
  const f32 = { dtype: 'float32' } as const;
  for (let round = 0; round < 3; round++) {
    for (const n of sizes) {
      const t = normalEach_(zeros([2, n], f32), gens, 0.5, 2);
      refs.forEach((r, k) => assert.ok(same(slice(t, k), normal_(zeros([n], f32), 0.5, 2, r)), `size ${n} slice ${k} round ${round}`));
      // from fresh generators, then the next draws
      const fresh = [new Generator(100 + n), new Generator(200 + n)], ref = [new Generator(100 + n), new Generator(200 + n)];
      for (const m of [n, 17, 16]) {
        const u = normalEach_(zeros([2, m], f32), fresh);
        ref.forEach((r, k) => assert.ok(same(slice(u, k), normal_(zeros([m], f32), 0, 1, r)), `fresh, size ${n} then ${m}, slice ${k}`));
      }
    }
  }
  // afterwards each generator is where its reference is
  gens.forEach((gen, k) => assert.ok(same(randn([40], gen, F64), randn([40], refs[k]!, F64)), `generator ${k} moved as randn moves it`));
  // which way: the addon's fill for float32 of 16 elements or more where ATen's AVX2 kernel draws them (x86-64 here)
  if (process.arch === 'x64' && runtimeRecord().cpuCapability === 'AVX2') {
    assert.equal(normalKernel(zeros([10, 1024], { dtype: 'float32' })), 'fill');
    assert.equal(normalKernel(zeros([16], { dtype: 'float32' })), 'fill');
  }
  assert.equal(normalKernel(zeros([15], { dtype: 'float32' })), 'normal_');
  // a leaf that requires grad is refused, as ATen's in-place normal_ refuses it
  assert.throws(() => normalEach_(zeros([2, 32], { dtype: 'float32' }).requiresGrad_(), [new Generator(1), null]), /leaf Variable that requires grad|in-place/);
  assert.equal(normalKernel(zeros([64], F64)), 'normal_');
  assert.equal(normalKernel(zeros([8, 8], { dtype: 'float32' }).T), 'normal_');
}));

test('linear without bias and matrix x vector matmul outside autograd give the bits ATen gives them while recording', () => tidy(() => {
  const g = new Generator(8);
  for (const dtype of ['float32', 'float64'] as const) {
    for (const [n, K, m] of [[384, 2, 1024], [10, 100, 64], [120, 100, 64], [1, 5, 3], [7, 300, 9]] as const) {
      const x = randn([n, K], g, { dtype }).mul(randn([n, K], g, { dtype }).exp()), W = randn([m, K], g, { dtype });
      // recording (W requires grad): ATen's own linear (mm) and mv; outside it: the addon's ways where they give those bits
      const Wg = W.clone().requiresGrad_();
      const ref = linear(x, Wg).detach(), got = noGrad(() => linear(x, W));
      assert.ok(same(got, ref), `${dtype} linear ${n}x${K} . ${m}x${K}^T`);
      const v = randn([K], g, { dtype }), xg = x.clone().requiresGrad_();
      assert.ok(same(noGrad(() => x.matmul(v)), xg.matmul(v).detach()), `${dtype} matmul ${n}x${K} . ${K}`);
      assert.ok(same(noGrad(() => x.T.matmul(randn([n], new Generator(n), { dtype }))), xg.T.matmul(randn([n], new Generator(n), { dtype })).detach()), `${dtype} matmul (${n}x${K})^T . ${n}`);
    }
  }
  // and a bias, a batch of matrices, other shapes: ATen's own, as before
  const x = randn([4, 3, 5], g, F64), W = randn([2, 5], g, F64), b = randn([2], g, F64);
  assert.deepEqual(noGrad(() => linear(x, W, b)).shape, [4, 3, 2]);
  assert.throws(() => noGrad(() => linear(randn([3, 4], g, F64), randn([2, 5], g, F64))), /mat1 and mat2 shapes cannot be multiplied|size mismatch|shapes/);
}));

test('reluGradMmEach is mmEach(thresholdBackward(gf (x) u, h, 0)^T, X) bit for bit (both dtypes, the minibatch and full-batch shapes, a transposed X)', () => tidy(() => {
  const g = new Generator(12);
  for (const dtype of ['float32', 'float64'] as const) {
    const o = { dtype };
    for (const [P, b, m, c, tX] of [[3, 10, 1024, 2, false], [3, 10, 64, 100, false], [2, 120, 64, 100, false], [2, 120, 1024, 2, false], [2, 7, 13, 5, true], [1, 3, 9, 1, false]] as const) {
      const gf = randn([P, b], g, o).mul(1e-2), u = randn([P, m], g, o);
      // relu outputs with exact zeros (and a NaN, which threshold_backward passes the gradient through)
      const h = randn([P, b, m], g, o).relu();
      if (m > 5) h.narrow(2, 3, 1).fill_(NaN);
      const X = tX ? randn([P, c, b], g, o).transpose(1, 2) : randn([P, b, c], g, o);
      const want = mmEach(thresholdBackward(gf.unsqueeze(2).mul(u.unsqueeze(1)), h, 0).transpose(1, 2), X);
      const got = noGrad(() => reluGradMmEach(gf, u, h, X));
      assert.deepEqual(got.shape, [P, m, c]);
      assert.ok(same(got, want), `${dtype} P=${P} b=${b} m=${m} c=${c}${tX ? ' (X transposed)' : ''}`);
    }
  }
  // a relu output laid out otherwise (the separate ops' product then has other strides): still their bits
  for (const dtype of ['float32', 'float64'] as const) {
    const o = { dtype };
    const gf = randn([2, 10], g, o), u = randn([2, 64], g, o), X = randn([2, 10, 100], g, o);
    const h = randn([2, 64, 10], g, o).relu().transpose(1, 2);
    const want = mmEach(thresholdBackward(gf.unsqueeze(2).mul(u.unsqueeze(1)), h, 0).transpose(1, 2), X);
    assert.ok(same(noGrad(() => reluGradMmEach(gf, u, h, X)), want), `${dtype} transposed h`);
  }
  const z = (s: number[]) => zeros(s, F64);
  assert.throws(() => reluGradMmEach(z([2, 3]), z([2, 4]), z([2, 3, 5]), z([2, 3, 6])), /reluGradMmEach needs gf \[P, b\], u \[P, m\], h \[P, b, m\] and X \[P, b, c\]/);
  assert.throws(() => reluGradMmEach(z([2, 3]), z([2, 4]).requiresGrad_(), z([2, 3, 4]), z([2, 3, 6])), /under noGrad/);
  assert.throws(() => reluGradMmEach(z([2, 3]), zeros([2, 4], { dtype: 'float32' }), z([2, 3, 4]), z([2, 3, 6])), /one dtype/);
}));

test('thresholdBackward and softplusBackward are what autograd computes for relu and the logistic loss', () => tidy(() => {
  const g = new Generator(3);
  const n = 29;
  const x = randn([n, 6], g, F64), u = randn([6], g, F64), y = randn([n], g, F64).gt(0).to(F64).mul(2).sub(1);
  const W = randn([6, 6], g, F64).requiresGrad_();
  const pre = linear(x, W), h = pre.relu(), f = h.matmul(u);
  logisticLoss(f, y).backward();
  const z = f.detach().mul(y).neg();
  const gf = softplusBackward(full([n], 1, F64).div(n), z, 1, 20).neg().mul(y);
  const gW = thresholdBackward(gf.unsqueeze(1).mul(u.unsqueeze(0)), h.detach(), 0).T.matmul(x);
  assert.ok(same(gW, W.grad!));
}));
