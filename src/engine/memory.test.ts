// Memory stays flat over many small training steps: a 2-layer MLP on a [64,20] batch trained by
// in-place SGD, once with tidy scopes and once with explicit dispose. Each variant also checks
// that the step's tensors really are disposed (not left to the garbage collector).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Generator, randn, randint, linear, crossEntropy, tidy, keep, noGrad, setNumThreads, scopeDepth, type Tensor,
} from './index.js';

setNumThreads(1); // tiny tensors: thread hand-offs only cost time here

const WARMUP = 1_000;
const STEPS = 10_000;
const MAX_GROWTH_MB = 50;
const LR = 0.05;

interface Mlp { params: Tensor[]; x: Tensor; y: Tensor }

function setup(seed: number): Mlp {
  const g = new Generator(seed);
  const params = [randn([32, 20], g).mul(0.2), randn([32], g).mul(0.1), randn([3, 32], g).mul(0.2), randn([3], g).mul(0.1)]
    .map((p) => keep(p).requiresGrad_());
  return { params, x: keep(randn([64, 20], g)), y: keep(randint(0, 3, [64], g)) };
}
const rssMb = () => process.memoryUsage().rss / 2 ** 20;

/** One step inside tidy; `seen` collects the step's tensors so the test can check they were freed. */
function tidyStep(m: Mlp, seen?: Tensor[]): number {
  return tidy(() => {
    const [w1, b1, w2, b2] = m.params as [Tensor, Tensor, Tensor, Tensor];
    const h = linear(m.x, w1, b1).relu();
    const loss = crossEntropy(linear(h, w2, b2), m.y);
    loss.backward();
    const grads = m.params.map((p) => p.grad!);
    noGrad(() => m.params.forEach((p, i) => p.add_(grads[i]!, -LR)));
    m.params.forEach((p) => p.zeroGrad());
    seen?.push(h, loss, ...grads);
    return loss.item();
  });
}

/** One step without tidy, disposing every tensor it makes. */
function disposeStep(m: Mlp, seen?: Tensor[]): number {
  const [w1, b1, w2, b2] = m.params as [Tensor, Tensor, Tensor, Tensor];
  const made: Tensor[] = [];
  const t = (x: Tensor) => { made.push(x); return x; };
  const h = t(t(linear(m.x, w1, b1)).relu());
  const loss = t(crossEntropy(t(linear(h, w2, b2)), m.y));
  loss.backward();
  noGrad(() => m.params.forEach((p) => p.add_(t(p.grad!), -LR)));
  m.params.forEach((p) => p.zeroGrad());
  const value = loss.item();
  for (const x of made) x.dispose();
  seen?.push(...made);
  return value;
}

function run(step: (m: Mlp, seen?: Tensor[]) => number, log: (msg: string) => void): void {
  const m = setup(31);
  let first = 0;
  for (let i = 0; i < WARMUP; i++) { const l = step(m); if (i === 0) first = l; }
  const before = rssMb();
  let last = 0;
  for (let i = WARMUP; i < STEPS; i++) {
    const seen: Tensor[] | undefined = i % 1000 === 0 ? [] : undefined;
    last = step(m, seen);
    if (seen) assert.ok(seen.length > 0 && seen.every((s) => s.isDisposed), `step ${i} left tensors alive`);
  }
  const growth = rssMb() - before;
  log(`RSS ${before.toFixed(1)} MB after ${WARMUP} steps, grew ${growth.toFixed(1)} MB by step ${STEPS}`);
  assert.ok(growth < MAX_GROWTH_MB, `RSS grew by ${growth.toFixed(1)} MB over ${STEPS - WARMUP} steps`);
  assert.ok(last < first, `training did not reduce the loss: ${first} -> ${last}`);
  assert.ok(m.params.every((p) => !p.isDisposed && p.requiresGrad));
  assert.equal(scopeDepth(), 0);
  for (const t of [...m.params, m.x, m.y]) t.dispose();
}

test(`${STEPS} training steps inside tidy keep RSS flat`, (t) => run(tidyStep, (m) => t.diagnostic(m)));
test(`${STEPS} training steps with explicit dispose keep RSS flat`, (t) => run(disposeStep, (m) => t.diagnostic(m)));
