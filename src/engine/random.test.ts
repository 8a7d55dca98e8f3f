// Tests of the seeded generators: bit-exact determinism, state save/restore, distribution
// statistics, seed derivation, and a bit-identical short training trajectory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Generator, deriveSeed, randn, rand, randint, randperm, bernoulli, normal_, uniform_, zeros, tensor, tidy, noGrad,
  logisticLoss, setNumThreads, type Tensor,
} from './index.js';

setNumThreads(1); // tiny tensors: thread hand-offs only cost time here

/** The raw bytes of a tensor's data, for bit-exact comparison. */
function bytes(t: Tensor): Buffer {
  const a = t.dtype === 'float32' ? t.toFloat32Array() : t.toFloat64Array();
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}
/** One draw of every kind from a generator, as bytes. */
function draws(gen: Generator): Buffer[] {
  return tidy(() => [
    bytes(randn([50], gen)), bytes(randn([20], gen, { dtype: 'float64' })), bytes(rand([30], gen)),
    bytes(randint(0, 1000, [30], gen)), bytes(randperm(40, gen)), bytes(bernoulli(0.3, gen, [40])),
    bytes(normal_(zeros([10], { dtype: 'float64' }), 2, 3, gen)), bytes(uniform_(zeros([10]), -1, 1, gen)),
  ]);
}

test('the same seed gives bit-identical draws of every kind', () => {
  const a = draws(new Generator(1234));
  const b = draws(new Generator(1234));
  a.forEach((x, i) => assert.ok(x.equals(b[i]!), `draw ${i} differs`));
});

test('different seeds give different draws', () => {
  const a = draws(new Generator(1));
  const b = draws(new Generator(2));
  a.forEach((x, i) => assert.ok(!x.equals(b[i]!), `draw ${i} is the same for seeds 1 and 2`));
});

test('successive draws differ and generators are independent of each other', () => {
  const g = new Generator(3);
  const first = bytes(randn([8], g));
  assert.ok(!first.equals(bytes(randn([8], g))));
  const h1 = new Generator(9);
  const h2 = new Generator(9);
  randn([100], new Generator(9)); // drawing from another generator with the same seed
  randn([100], h1);
  const other = new Generator(10);
  randn([100], other);
  randn([100], h2);
  assert.ok(bytes(rand([16], h1)).equals(bytes(rand([16], h2))));
});

test('getState/setState reproduce the continuation exactly', () => {
  const g = new Generator(77);
  randn([13], g);
  const state = g.getState();
  assert.ok(state instanceof Uint8Array && state.length > 0);
  const cont = draws(g);
  g.setState(state);
  const again = draws(g);
  cont.forEach((x, i) => assert.ok(x.equals(again[i]!), `draw ${i} differs after setState`));
  assert.throws(() => g.setState(new Uint8Array(3)), /Generator.setState: invalid state/);
});

test('serialize/restore carries the state into another generator (via JSON)', () => {
  const g = new Generator(5);
  randperm(100, g);
  const json = JSON.stringify({ rng: g.serialize() });
  const cont = draws(g);
  const h = new Generator(424242);
  h.restore((JSON.parse(json) as { rng: string }).rng);
  const again = draws(h);
  cont.forEach((x, i) => assert.ok(x.equals(again[i]!), `draw ${i} differs after restore`));
});

test('randn has mean ~0 and std ~1; normal_ has the requested moments', () => tidy(() => {
  const g = new Generator(11);
  const x = randn([200_000], g, { dtype: 'float64' });
  assert.ok(Math.abs(x.mean().item()) < 0.01, `mean ${x.mean().item()}`);
  assert.ok(Math.abs(Math.sqrt(x.var().item()) - 1) < 0.01, `std ${Math.sqrt(x.var().item())}`);
  assert.ok(Math.abs(x.gt(1.96).double().mean().item() - 0.025) < 0.002);
  const y = normal_(zeros([100_000], { dtype: 'float64' }), 3, 0.5, g);
  assert.ok(Math.abs(y.mean().item() - 3) < 0.01);
  assert.ok(Math.abs(Math.sqrt(y.var().item()) - 0.5) < 0.01);
  assert.equal(randn([2, 3], g).dtype, 'float32');
}));

test('rand is in [0, 1) with mean 1/2 and variance 1/12; uniform_ covers [low, high)', () => tidy(() => {
  const g = new Generator(12);
  const u = rand([200_000], g, { dtype: 'float64' });
  assert.ok(u.min().item() >= 0 && u.max().item() < 1);
  assert.ok(Math.abs(u.mean().item() - 0.5) < 0.005, `mean ${u.mean().item()}`);
  assert.ok(Math.abs(u.var().item() - 1 / 12) < 0.002, `var ${u.var().item()}`);
  const v = uniform_(zeros([100_000], { dtype: 'float64' }), -2, 4, g);
  assert.ok(v.min().item() >= -2 && v.max().item() < 4);
  assert.ok(Math.abs(v.mean().item() - 1) < 0.03);
}));

test('bernoulli matches its rate, from a number or a tensor of probabilities', () => tidy(() => {
  const g = new Generator(13);
  const b = bernoulli(0.3, g, [100_000]);
  const vals = new Set(b.toArray());
  assert.deepEqual([...vals].sort(), [0, 1]);
  assert.ok(Math.abs(b.mean().item() - 0.3) < 0.01, `rate ${b.mean().item()}`);
  const p = tensor([0, 1, 0.5, 0, 1]).repeat([20_000]);
  const m = bernoulli(p, g).reshape([20_000, 5]).mean(0).toArray();
  assert.equal(m[0], 0);
  assert.equal(m[1], 1);
  assert.ok(Math.abs(m[2]! - 0.5) < 0.02, `rate ${m[2]}`);
  assert.throws(() => bernoulli(1.5, g, [2]), /bernoulli: p must be in \[0, 1\], got 1.5/);
  assert.throws(() => bernoulli(0.5, g), /bernoulli: a shape is needed/);
}));

test('randperm is a permutation; randint stays in [low, high) and is uniform', () => tidy(() => {
  const g = new Generator(14);
  const p = randperm(1000, g).toArray();
  assert.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
  assert.notDeepEqual(p, Array.from({ length: 1000 }, (_, i) => i));
  const r = randint(-3, 4, [70_000], g);
  assert.equal(r.dtype, 'int64');
  const counts = new Map<number, number>();
  for (const v of r.toArray()) counts.set(v, (counts.get(v) ?? 0) + 1);
  assert.deepEqual([...counts.keys()].sort((a, b) => a - b), [-3, -2, -1, 0, 1, 2, 3]);
  for (const [v, c] of counts) assert.ok(Math.abs(c / 70_000 - 1 / 7) < 0.01, `value ${v}: ${c}`);
  assert.equal(randint(0, 2, [3], g, { dtype: 'int32' }).dtype, 'int32');
}));

test('deriveSeed is deterministic, label- and seed-sensitive, and a safe 48-bit integer', () => {
  assert.equal(deriveSeed(42, 'init'), deriveSeed(42, 'init'));
  assert.notEqual(deriveSeed(42, 'init'), deriveSeed(42, 'data'));
  assert.notEqual(deriveSeed(42, 'init'), deriveSeed(43, 'init'));
  assert.notEqual(deriveSeed(42, 'ab'), deriveSeed(42, 'ba'));
  assert.notEqual(deriveSeed(0, ''), deriveSeed(0, 'x'));
  for (const [s, l] of [[0, ''], [42, 'init'], [2 ** 52, 'noise/step-7'], [7, 'é']] as const) {
    const d = deriveSeed(s, l);
    assert.ok(Number.isSafeInteger(d) && d >= 0 && d < 2 ** 48, `deriveSeed(${s}, ${l}) = ${d}`);
  }
  const g = new Generator(42);
  const c = g.derive('init');
  assert.equal(c.seed, deriveSeed(42, 'init'));
  assert.ok(bytes(randn([8], c)).equals(bytes(randn([8], new Generator(42).derive('init')))));
  assert.ok(!bytes(randn([8], g.derive('data'))).equals(bytes(randn([8], g.derive('init')))));
});

/** 50 SGD steps of logistic regression on minibatches drawn from `seed`; returns the weights and losses. */
function trajectory(seed: number): { w: Buffer; losses: number[] } {
  const gen = new Generator(seed);
  const data = gen.derive('data');
  const order = gen.derive('order');
  return tidy(() => {
    const x = randn([128, 6], data, { dtype: 'float64' });
    const y = x.matmul(randn([6, 1], data, { dtype: 'float64' })).add(randn([128, 1], data, { dtype: 'float64' }).mul(0.3)).gt(0)
      .double().mul(2).sub(1).reshape([128]);
    const w = randn([6], gen, { dtype: 'float64' }).mul(0.1).requiresGrad_();
    const losses: number[] = [];
    for (let step = 0; step < 50; step++) {
      tidy(() => {
        const idx = randperm(128, order).narrow(0, 0, 16);
        const loss = logisticLoss(x.indexSelect(0, idx).matmul(w), y.indexSelect(0, idx));
        loss.backward();
        losses.push(loss.item());
        noGrad(() => {
          w.add_(w.grad!, -0.5);
          w.add_(randn([6], gen, { dtype: 'float64' }), -0.01); // gradient noise from the generator
        });
        w.zeroGrad();
      });
    }
    return { w: bytes(w), losses };
  });
}

test('a 50-step SGD trajectory is bit-identical across two runs with the same seed', () => {
  const a = trajectory(2019);
  const b = trajectory(2019);
  assert.ok(a.w.equals(b.w));
  assert.deepEqual(a.losses, b.losses);
  assert.ok(a.losses[49]! < a.losses[0]!, `loss did not decrease: ${a.losses[0]} -> ${a.losses[49]}`);
  const c = trajectory(2020);
  assert.ok(!a.w.equals(c.w));
});
