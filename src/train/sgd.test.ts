import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Generator, Tensor, randn, tensor, tidy } from '../engine/index.js';
import { Parameters, deserializeTensor } from '../nn/parameters.js';
import { SGD, type SGDOptions } from './sgd.js';
import { torchPython } from '../util/torchPython.js';

const f64 = { dtype: 'float64' as const };

/** torch.optim.SGD written out with plain JS numbers: one step over flat parameter vectors. */
function referenceStep(ps: number[][], gs: (number[] | null)[], bufs: (number[] | null)[], o: Required<SGDOptions>): void {
  ps.forEach((p, i) => {
    const grad = gs[i];
    if (!grad) return;
    let g = grad.map((x, j) => x + o.weightDecay * p[j]!);
    if (o.momentum !== 0) {
      const prev = bufs[i];
      const buf = prev ? prev.map((b, j) => o.momentum * b + (1 - o.dampening) * g[j]!) : [...g];
      bufs[i] = buf;
      g = o.nesterov ? g.map((x, j) => x + o.momentum * buf[j]!) : buf;
    }
    for (let j = 0; j < p.length; j++) p[j] = p[j]! - o.lr * g[j]!;
  });
}

/** A deterministic gradient sequence: grads[step][param] (param 1 has none at step 1). */
function gradAt(step: number, param: number, n: number): number[] | null {
  if (param === 1 && step === 1) return null;
  return Array.from({ length: n }, (_, j) => Math.sin(1.3 * step + 0.7 * j + 2.1 * param) * (1 + param));
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i]! - b[i]!) <= tol * (1 + Math.abs(b[i]!)), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
  }
}

const combos: Required<SGDOptions>[] = [];
for (const momentum of [0, 0.9]) {
  for (const nesterov of momentum > 0 ? [false, true] : [false]) {
    for (const weightDecay of [0, 0.1]) {
      for (const dampening of nesterov ? [0] : [0, 0.25]) combos.push({ lr: 0.05, momentum, nesterov, weightDecay, dampening });
    }
  }
}

test('SGD matches a plain-number reference of torch.optim.SGD for every option combination', () => {
  for (const o of combos) {
    const init = [[0.5, -1.25, 2], [0.3, 0.1, -0.7, 1.1]];
    const ref = init.map((p) => [...p]);
    const bufs: (number[] | null)[] = [null, null];
    const ps = init.map((p) => tensor(p, f64).requiresGrad_(true));
    const opt = new SGD(ps, o);
    for (let s = 0; s < 6; s++) {
      if (s === 3) { opt.setLr(0.02); o.lr = 0.02; } // a schedule changing the lr mid-run
      const gs = ps.map((p, i) => gradAt(s, i, p.numel));
      ps.forEach((p, i) => { const g = gs[i]; p.grad = g ? tensor(g, f64) : null; });
      opt.step();
      referenceStep(ref, gs, bufs, o);
      ps.forEach((p, i) => close(p.toArray(), ref[i]!, 1e-13, `${JSON.stringify(o)} step ${s} param ${i}`));
    }
    o.lr = 0.05;
    assert.equal(opt.steps, 6);
    // Momentum buffers agree with the reference too (param 1 had no grad at step 1).
    const st = opt.stateDict();
    assert.deepEqual(Object.keys(st.momentumBuffers).sort(), o.momentum > 0 ? ['0', '1'] : []);
    for (const [k, sb] of Object.entries(st.momentumBuffers)) {
      const t = deserializeTensor(sb);
      close(t.toArray(), bufs[Number(k)]!, 1e-13, `${JSON.stringify(o)} buffer ${k}`);
      t.dispose();
    }
    opt.dispose();
  }
});

test('a parameter whose grad is null is left unchanged and gets no momentum buffer', () => {
  const a = tensor([1, 2], f64).requiresGrad_(true);
  const b = tensor([3, 4], f64).requiresGrad_(true);
  const opt = new SGD([a, b], { lr: 0.5, momentum: 0.5 });
  a.grad = tensor([1, 1], f64);
  opt.step();
  assert.deepEqual(b.toArray(), [3, 4]);
  assert.deepEqual(a.toArray(), [0.5, 1.5]);
  assert.deepEqual(Object.keys(opt.stateDict().momentumBuffers), ['0']);
  // b's first gradient starts its buffer at g (not momentum * 0 + g with a stale buffer).
  b.grad = tensor([2, 2], f64);
  opt.step();
  assert.deepEqual(b.toArray(), [2, 3]);
  assert.deepEqual(a.toArray(), [-0.25, 0.75]); // buf = 0.5*1 + 1 = 1.5, step 0.75
  opt.zeroGrad();
  assert.equal(a.grad, null);
  assert.equal(b.grad, null);
});

test('SGD works with gradients from backward() and momentum buffers survive enclosing tidy scopes', () => {
  // loss = sum(c * w^2), grad = 2 c w: with lr 0.1 and no momentum w_{t+1} = (1 - 0.2 c) w_t.
  const params = new Parameters();
  const w = params.add('w', tensor([1, -2, 3], f64));
  const c = tensor([1, 0.5, 2], f64);
  const opt = new SGD(params, { lr: 0.1, momentum: 0.9, nesterov: true });
  const ref = [1, -2, 3];
  const bufs: (number[] | null)[] = [null];
  for (let s = 0; s < 4; s++) {
    tidy(() => {
      opt.zeroGrad();
      w.square().mul(c).sum().backward();
      opt.step();
    });
    const g = ref.map((x, j) => 2 * c.toArray()[j]! * x);
    referenceStep([ref], [g], bufs, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0, dampening: 0 });
    close(w.toArray(), ref, 1e-13, `step ${s}`);
  }
  assert.deepEqual(Object.keys(opt.stateDict().momentumBuffers), ['w']);
  params.dispose();
  c.dispose();
});

function bytes(t: Tensor): Buffer { const a = t.toFloat32Array(); return Buffer.from(a.buffer, a.byteOffset, a.byteLength); }

test('stateDict / loadStateDict into a fresh optimizer continues bit-identically', () => {
  const opts: SGDOptions = { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 };
  const makeParams = () => {
    const g = new Generator(7);
    const ps = new Parameters();
    ps.add('conv.weight', randn([4, 3], g));
    ps.add('fc.bias', randn([5], g));
    return ps;
  };
  const setGrads = (ps: Parameters, step: number) => {
    const g = new Generator(1000 + step);
    for (const [, p] of ps.named()) p.grad = randn(p.shape, g);
  };
  const lrAt = (s: number) => (s < 2 ? 0.1 : s < 6 ? 0.05 : 0.01);
  const run = (ps: Parameters, opt: SGD, from: number, to: number) => {
    for (let s = from; s < to; s++) { opt.setLr(lrAt(s)); setGrads(ps, s); opt.step(); }
  };
  // Uninterrupted run of 10 steps.
  const full = makeParams();
  const optFull = new SGD(full, opts);
  run(full, optFull, 0, 10);
  // 4 steps, checkpoint through JSON, resume in a fresh optimizer over fresh parameters for 6 more.
  const first = makeParams();
  const optFirst = new SGD(first, opts);
  run(first, optFirst, 0, 4);
  const ckpt = JSON.parse(JSON.stringify({ model: first.stateDict(), opt: optFirst.stateDict() }));
  const resumed = makeParams();
  resumed.loadStateDict(ckpt.model);
  const optResumed = new SGD(resumed, opts);
  optResumed.loadStateDict(ckpt.opt);
  assert.equal(optResumed.steps, 4);
  assert.equal(optResumed.lr, 0.05);
  run(resumed, optResumed, 4, 10);
  for (const [k, p] of full.named()) assert.ok(bytes(p).equals(bytes(resumed.get(k))), `param ${k} differs after resume`);
  const a = optFull.stateDict();
  const b = optResumed.stateDict();
  assert.deepEqual(b, a); // buffers as base64 of the exact bytes, lr, steps
  assert.equal(b.steps, 10);
  // Resuming without the momentum buffers does not reproduce the run (so the check above has teeth).
  const naive = makeParams();
  naive.loadStateDict(ckpt.model);
  const optNaive = new SGD(naive, opts);
  optNaive.setLr(0.05);
  run(naive, optNaive, 4, 10);
  assert.ok(!bytes(naive.get('fc.bias')).equals(bytes(full.get('fc.bias'))));
  for (const x of [full, first, resumed, naive]) x.dispose();
  for (const o of [optFull, optFirst, optResumed, optNaive]) o.dispose();
});

test('countStep leaves the state step() leaves (learning rate, step count); refused with momentum', () => {
  const ps = new Parameters();
  ps.add('w', randn([3], new Generator(2)));
  const stepped = new SGD(ps, { lr: 0.1, weightDecay: 1e-3 }), counted = new SGD(ps, { lr: 0.1, weightDecay: 1e-3 });
  ps.get('w').grad = randn([3], new Generator(3));
  stepped.setLr(0.05);
  stepped.step();
  counted.countStep(0.05);
  assert.deepEqual(counted.stateDict(), stepped.stateDict());
  assert.equal(counted.steps, 1);
  assert.throws(() => new SGD(ps, { lr: 0.1, momentum: 0.9 }).countStep(0.1), /only without momentum/);
  ps.dispose();
});

test('SGD rejects bad options and mismatched states with one-line errors naming the key', () => {
  const p = tensor([1, 2]).requiresGrad_(true);
  const bad = (o: unknown, re: RegExp) => assert.throws(() => new SGD([p], o as SGDOptions), re);
  bad({ lr: -0.1 }, /^Error: SGD: lr must be a finite number >= 0, got -0.1$/);
  bad({ lr: NaN }, /SGD: lr must be/);
  bad({}, /SGD: lr must be/);
  bad({ lr: 0.1, momentum: 1 }, /^Error: SGD: momentum must be in \[0, 1\), got 1$/);
  bad({ lr: 0.1, momentum: -0.5 }, /SGD: momentum must be in \[0, 1\)/);
  bad({ lr: 0.1, nesterov: true }, /SGD: nesterov requires momentum > 0/);
  bad({ lr: 0.1, momentum: 0.9, nesterov: true, dampening: 0.1 }, /SGD: nesterov requires momentum > 0 and dampening 0/);
  bad({ lr: 0.1, weightDecay: -1 }, /SGD: weightDecay must be/);
  bad({ lr: 0.1, dampening: 2 }, /SGD: dampening must be in \[0, 1\]/);
  bad({ lr: 0.1, weight_decay: 0.1 }, /SGD: unknown option 'weight_decay'/);
  assert.throws(() => new SGD([], { lr: 0.1 }), /SGD: params is empty/);
  assert.throws(() => new SGD([p, p], { lr: 0.1 }), /SGD: params contains the same tensor twice/);
  const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
  assert.throws(() => opt.setLr(-1), /^Error: SGD.setLr: lr must be a finite number >= 0, got -1$/);
  p.grad = tensor([1, 1]);
  opt.step();
  const st = opt.stateDict();
  const other = new SGD([p], { lr: 0.1, momentum: 0.5 });
  assert.throws(() => other.loadStateDict(st), /^Error: SGD.loadStateDict: momentum is 0.5 here but 0.9 in the state$/);
  const q = tensor([1, 2, 3]).requiresGrad_(true);
  const wrongShape = new SGD([q], { lr: 0.1, momentum: 0.9 });
  assert.throws(() => wrongShape.loadStateDict(st), /SGD.loadStateDict: momentumBuffers '0' is \[2\] but the parameter is \[3\]/);
  const renamed = { ...st, momentumBuffers: { w: st.momentumBuffers['0']! } };
  assert.throws(() => opt.loadStateDict(renamed), /momentumBuffers has 'w', which is not a parameter/);
});

const torchPy = torchPython();

const TORCH_SCRIPT = `
import json, sys, torch
d = json.load(sys.stdin)
ps = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in d['init']]
opt = torch.optim.SGD(ps, lr=d['lr'], momentum=d['momentum'], nesterov=d['nesterov'], weight_decay=d['weightDecay'])
for step in d['grads']:
    for p, g in zip(ps, step):
        p.grad = torch.tensor(g, dtype=torch.float64)
    opt.step()
print(json.dumps({'params': [p.detach().tolist() for p in ps],
                  'bufs': [opt.state[p]['momentum_buffer'].tolist() for p in ps]}))
`;

test('SGD agrees with torch.optim.SGD (nesterov, weight decay) over 5 float64 steps', { skip: torchPy ? false : 'no python3 with torch on this machine' }, () => {
  const o = { lr: 0.07, momentum: 0.8, nesterov: true, weightDecay: 0.01 };
  const init = [[0.5, -1.25, 2], [0.3, 0.1, -0.7, 1.1]];
  const grads = Array.from({ length: 5 }, (_, s) => init.map((p, i) => gradAt(s + 2, i, p.length)!));
  const out = spawnSync(torchPy!, ['-c', TORCH_SCRIPT], { input: JSON.stringify({ ...o, init, grads }), encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  const torchRes = JSON.parse(out.stdout) as { params: number[][]; bufs: number[][] };
  const ps = init.map((p) => tensor(p, f64).requiresGrad_(true));
  const opt = new SGD(ps, o);
  for (const step of grads) { ps.forEach((p, i) => { p.grad = tensor(step[i]!, f64); }); opt.step(); }
  ps.forEach((p, i) => close(p.toArray(), torchRes.params[i]!, 1e-12, `param ${i}`));
  const st = opt.stateDict();
  ps.forEach((_, i) => {
    const b = Buffer.from(st.momentumBuffers[String(i)]!.data, 'base64');
    close(new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8), torchRes.bufs[i]!, 1e-12, `buffer ${i}`);
  });
});
