import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, logisticLoss, tidy } from '../engine/index.js';
import { defaultSyntheticDataConfig, syntheticDataSchema } from '../data/synthetic.js';
import { syntheticModelSchema } from '../models/syntheticModel.js';
import { parseConfig } from '../util/schema.js';
import { SyntheticTrainer, disposeSetup, setupSynthetic, type SyntheticSetup, type SyntheticTrainerConfig } from './syntheticTrainer.js';
import type { SyntheticMethod } from './syntheticAlgorithms.js';
import { syntheticTrainSchema, type SyntheticTrainConfig } from './syntheticTrainConfig.js';

type Patch = { data?: Partial<SyntheticTrainerConfig['data']>; train?: Partial<SyntheticTrainConfig> };

/**
 * A tiny problem (d = 12, N = 50, m = 12) that trains in a few ms per step: a wide P margin and
 * scaled Q inputs, so the loss falls below the thresholds used here within tens of steps. Built from
 * the sections' own schemas (the trainer needs no experiment config).
 */
function tiny(patch: Patch = {}, base: SyntheticTrainerConfig | null = null): SyntheticTrainerConfig {
  const b = base ?? {
    // the d = 100 defaults (p0, q0, r) with d = 12
    data: { ...defaultSyntheticDataConfig(100), d: 12, n: 50, qSupport: 12, gamma: 1, qScale: 10, aMin: 0.5, testSizes: { pOnly: 20, qOnly: 20, both: 20 } },
    model: { arch: 'block', m: 12 },
    train: {
      update: 'noisy-gd', batchSize: 10, lambda: 1e-3, tauXi: 0, tau0: 0.5, eta1: 4, eta2: 1, eps1: 0.1, eps2: 0.01, eps2S: 0.01,
      stopAtLoss: false, maxSteps: 200, annealAtStep: null, noiseStd: 0.3, noiseAnnealAtStep: null, noiseAnnealAtLoss: null, lossCheckEvery: 1,
    },
  };
  return {
    data: parseConfig(syntheticDataSchema, { ...b.data, ...patch.data }, 'data'),
    model: parseConfig(syntheticModelSchema, b.model, 'model'),
    train: parseConfig(syntheticTrainSchema, { evalEvery: 100, checkpointEvery: 0, ...b.train, ...patch.train }, 'train'),
  };
}

/** Run fn with a fresh setup and trainer for (cfg, method, seed), then free them. */
function withTrainer<R>(cfg: SyntheticTrainerConfig, method: SyntheticMethod, seed: number, fn: (tr: SyntheticTrainer, s: SyntheticSetup) => R): R {
  const s = setupSynthetic(cfg, seed);
  const tr = new SyntheticTrainer(cfg, method, seed, s);
  try { return fn(tr, s); } finally { tr.dispose(); disposeSetup(s); }
}

interface StepRecord { step: number; lr: number; noise: number; loss: number }

/** Advance up to `steps` times; per update: the lr and noise it used and the training loss after it. */
function run(tr: SyntheticTrainer, steps: number): StepRecord[] {
  const out: StepRecord[] = [];
  for (let i = 0; i < steps && !tr.done; i++) {
    const lr = tr.lr, noise = tr.noise;
    tr.advance();
    out.push({ step: tr.step, lr, noise, loss: tr.trainLoss });
  }
  return out;
}

/** The model's weights, bit-exact (base64 of the raw bytes). */
const weights = (tr: SyntheticTrainer) => JSON.stringify(tr.model.params.stateDict());

/** The update (3.1) without noise, computed by hand: U - eta (grad L(U) + lambda U), per parameter. */
function handUpdate(s: SyntheticSetup, eta: number, lambda: number): Record<string, Float64Array> {
  return tidy(() => {
    const ws: Record<string, Tensor> = {};
    for (const [name, p] of s.model.params.named()) ws[name] = p.detach().clone().requiresGrad_(true);
    const tr = s.splits.train;
    logisticLoss(s.model.forwardWith(ws, tr.x1, tr.x2), tr.y).backward();
    return Object.fromEntries(Object.entries(ws).map(([k, w]) => [k, w.detach().sub(w.grad!.add(w.detach().mul(lambda)).mul(eta)).toFloat64Array()]));
  });
}

const paramArrays = (s: SyntheticSetup) => Object.fromEntries(s.model.params.named().map(([k, p]) => [k, p.toFloat64Array()]));

function assertClose(a: Record<string, Float64Array>, b: Record<string, Float64Array>, tol: number, what: string): void {
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
  for (const k of Object.keys(a)) {
    const x = a[k]!, y = b[k]!;
    assert.equal(x.length, y.length);
    for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i]! - y[i]!) <= tol * (1 + Math.abs(y[i]!)), `${what} ${k}[${i}]: ${x[i]} vs ${y[i]}`);
  }
}

test('L-S anneals at the first step whose measured training loss is below eps1 + q log 2, then uses eta2', () => {
  const cfg = tiny();
  withTrainer(cfg, 'L-S', 3, (tr, s) => {
    const thr = tr.annealThreshold;
    assert.ok(Math.abs(thr - (cfg.train.eps1 + s.qFraction * Math.log(2))) < 1e-15);
    assert.ok(s.qFraction > 0 && s.qFraction < 1, `q = ${s.qFraction}`);
    // a reference trajectory of the measured loss with the threshold check switched off
    const ref = withTrainer(tiny({ train: { eps1: 0 } }), 'L-S', 3, (t2) => run(t2, 60));
    const recs = run(tr, 60);
    const first = recs.findIndex((r) => r.loss < thr);
    assert.ok(first > 2, `the loss starts above the threshold (first below at index ${first})`);
    for (let i = 0; i <= first; i++) assert.equal(recs[i]!.loss, ref[i]!.loss, 'same trajectory up to annealing');
    assert.equal(tr.annealedAtStep, first + 1);
    for (const r of recs) assert.equal(r.lr, r.step <= first + 1 ? cfg.train.eta1 : cfg.train.eta2, `lr of step ${r.step}`);
    assert.equal(tr.lr, cfg.train.eta2);
  });
});

test('after annealing, an L-S step is the update (3.1) with eta2', () => {
  const cfg = tiny();
  withTrainer(cfg, 'L-S', 3, (tr, s) => {
    while (tr.annealedAtStep === null) tr.advance();
    const expected = handUpdate(s, cfg.train.eta2, cfg.train.lambda);
    tr.advance();
    assertClose(paramArrays(s), expected, 1e-12, 'after annealing');
  });
});

test('annealAtStep forces annealing at that step; with a loss threshold never reached, only there', () => {
  withTrainer(tiny({ train: { eps1: 0, annealAtStep: 7 } }), 'L-S', 3, (tr) => {
    const recs = run(tr, 20);
    assert.ok(recs.slice(0, 7).every((r) => r.loss >= tr.annealThreshold), 'threshold not reached by step 7');
    assert.equal(tr.annealedAtStep, 7);
    assert.deepEqual(recs.map((r) => r.lr), recs.map((r) => (r.step <= 7 ? 4 : 1)));
  });
});

test('annealAtStep fires before the loss threshold when it comes first: eta2 from that step on', () => {
  const natural = withTrainer(tiny(), 'L-S', 3, (tr) => { run(tr, 60); return tr.annealedAtStep!; });
  assert.ok(natural > 6, `the loss threshold is reached at step ${natural}`);
  const early = natural - 4;
  withTrainer(tiny({ train: { annealAtStep: early } }), 'L-S', 3, (tr) => {
    const recs = run(tr, 60);
    assert.ok(recs.slice(0, early).every((r) => r.loss >= tr.annealThreshold), 'threshold not reached by the step');
    assert.equal(tr.annealedAtStep, early);
    assert.deepEqual(recs.map((r) => r.lr), recs.map((r) => (r.step <= early ? 4 : 1)));
  });
  // an annealAtStep after the threshold changes nothing
  withTrainer(tiny({ train: { annealAtStep: natural + 5 } }), 'L-S', 3, (tr) => { run(tr, 60); assert.equal(tr.annealedAtStep, natural); });
});

test('lr and noise read at a step follow a restore to the same step with other events (and the anneal itself)', () => {
  const cfg = tiny({ train: { eps1: 0, annealAtStep: 7, noiseAnnealAtStep: 7 } });
  withTrainer(cfg, 'L-S', 3, (tr) => {
    run(tr, 5);
    assert.equal(tr.lr, 4);
    const before = tr.state();
    assert.equal(tr.lr, 4, 'read twice at one step');
    // the same step, as if the anneal had fired at step 5: the next update takes eta2
    tr.restore({ ...before, annealedAtStep: 5 });
    assert.equal(tr.lr, 1);
    tr.restore(before);
    assert.equal(tr.lr, 4);
    run(tr, 2); // step 7: the anneal fires in the step's bookkeeping, and the next lr is eta2
    assert.equal(tr.annealedAtStep, 7);
    assert.equal(tr.lr, 1);
  });
  withTrainer(cfg, 'S+noise', 3, (tr) => {
    run(tr, 5);
    assert.equal(tr.noise, 0.3);
    tr.restore({ ...tr.state(), noiseOffAtStep: 5 });
    assert.equal(tr.noise, 0);
  });
});

test('an L-S trainer restored from state() before its anneal gives the same learning rates and the same anneal step', () => {
  const cfg = tiny();
  const { saved, lrs, annealedAt, w } = withTrainer(cfg, 'L-S', 3, (tr) => {
    run(tr, 5);
    assert.equal(tr.annealedAtStep, null, 'saved before the anneal');
    const saved = JSON.stringify(tr.state());
    const recs = run(tr, 40);
    return { saved, lrs: recs.map((r) => r.lr), annealedAt: tr.annealedAtStep, w: weights(tr) };
  });
  assert.ok(annealedAt !== null && annealedAt > 5, `annealed at ${annealedAt}, after the checkpoint`);
  assert.ok(lrs.includes(4) && lrs.includes(1), 'both learning rates occur after the checkpoint');
  withTrainer(cfg, 'L-S', 3, (tr) => {
    tr.restore(JSON.parse(saved));
    assert.equal(tr.lr, 4);
    assert.deepEqual(run(tr, 40).map((r) => r.lr), lrs);
    assert.equal(tr.annealedAtStep, annealedAt);
    assert.equal(weights(tr), w);
    // restored after the anneal, the next update uses eta2 at once, and the anneal step is kept
    const after = JSON.parse(JSON.stringify(tr.state()));
    withTrainer(cfg, 'L-S', 3, (t2) => {
      assert.equal(t2.lr, 4);
      t2.restore(after);
      assert.equal(t2.lr, 1);
      assert.equal(t2.annealedAtStep, annealedAt);
    });
  });
  // a state whose method has no anneal cannot claim one
  withTrainer(cfg, 'S', 3, (tr) => {
    const st = { ...tr.state(), annealedAtStep: 3 };
    assert.throws(() => tr.restore(st), /lrScheduler.restore: this schedule has no event/);
  });
});

test('S never anneals and uses eta2 throughout, even when L-S would anneal at once', () => {
  const cfg = tiny({ train: { eps1: 10 } });
  withTrainer(cfg, 'L-S', 1, (tr) => { run(tr, 3); assert.equal(tr.annealedAtStep, 1); });
  withTrainer(cfg, 'S', 1, (tr) => {
    const recs = run(tr, 50);
    assert.equal(tr.annealedAtStep, null);
    assert.ok(recs.every((r) => r.lr === cfg.train.eta2 && r.noise === 0));
  });
});

test('S+noise turns its pre-activation noise off at noiseAnnealAtStep', () => {
  const cfg = tiny({ train: { noiseAnnealAtStep: 25 } });
  const sWeights = withTrainer(cfg, 'S', 2, (tr) => { run(tr, 1); return weights(tr); });
  withTrainer(cfg, 'S+noise', 2, (tr, s) => {
    const recs = run(tr, 1);
    assert.notEqual(weights(tr), sWeights, 'the noise changes the first update');
    recs.push(...run(tr, 39));
    assert.equal(tr.noiseOffAtStep, 25);
    assert.equal(tr.annealedAtStep, null);
    for (const r of recs) {
      assert.equal(r.noise, r.step <= 25 ? cfg.train.noiseStd : 0, `noise of step ${r.step}`);
      assert.equal(r.lr, cfg.train.eta2);
    }
    // with the noise off, a step is the plain update (3.1) with eta2
    const expected = handUpdate(s, cfg.train.eta2, cfg.train.lambda);
    tr.advance();
    assertClose(paramArrays(s), expected, 1e-12, 'noise off');
  });
});

test('S+noise turns its noise off at the first loss check below noiseAnnealAtLoss', () => {
  const cfg = tiny({ train: { noiseAnnealAtLoss: 0.45, lossCheckEvery: 5 } });
  withTrainer(cfg, 'S+noise', 4, (tr) => {
    const recs = run(tr, 100);
    const first = recs.findIndex((r) => r.loss < 0.45);
    assert.ok(first > 5, `the loss starts above 0.45 (first below at index ${first})`);
    const off = recs[first]!.step;
    assert.equal(off % 5, 0, 'the loss is measured only every lossCheckEvery steps while the noise is on');
    assert.equal(tr.noiseOffAtStep, off);
    for (const r of recs) assert.equal(r.noise, r.step <= off ? 0.3 : 0);
  });
});

test('stopAtLoss: L-S stops at eps2 after annealing, S at eps2S, S+noise only with its noise off', () => {
  const cfg = tiny({ train: { stopAtLoss: true, maxSteps: 400, eps2: 0.24, eps2S: 0.3 } });
  withTrainer(cfg, 'L-S', 3, (tr) => {
    const recs = run(tr, 400);
    const a = tr.annealedAtStep!;
    assert.ok(a > 1);
    assert.ok(recs.some((r) => r.step >= a && r.loss < 0.3 && r.loss >= 0.24), 'passes eps2S before eps2 (L-S must not stop there)');
    const stop = recs.find((r) => r.step >= a && r.loss < 0.24)!;
    assert.equal(tr.status, 'converged');
    assert.equal(tr.step, stop.step);
    assert.match(tr.message!, /training loss .* < 0\.24 at step/);
    assert.equal(tr.advance(), false);
    assert.equal(tr.step, stop.step, 'a stopped trainer does not step');
  });
  // L-S does not stop before annealing, even below eps2 (here eps2 > the annealing threshold)
  withTrainer(tiny({ train: { eps1: 0, eps2: 0.3, annealAtStep: 50 } }, cfg), 'L-S', 3, (tr) => {
    const recs = run(tr, 400);
    assert.ok(recs.some((r) => r.step < 50 && r.loss < 0.3 && r.loss >= tr.annealThreshold), 'below eps2 before annealing');
    assert.equal(tr.annealedAtStep, 50);
    assert.equal(tr.status, 'converged');
    assert.equal(tr.step, recs.find((r) => r.step >= 50 && r.loss < 0.3)!.step);
  });
  withTrainer(cfg, 'S', 3, (tr) => {
    const recs = run(tr, 400);
    const first = recs.findIndex((r) => r.loss < 0.3);
    assert.ok(first > 2);
    assert.equal(tr.status, 'converged');
    assert.equal(tr.step, first + 1);
  });
  withTrainer(tiny({ train: { noiseAnnealAtStep: 120 } }, cfg), 'S+noise', 3, (tr) => {
    const recs = run(tr, 400);
    assert.ok(recs.some((r) => r.step < 120 && r.loss < 0.3), 'the loss is below eps2S while the noise is on');
    assert.equal(tr.status, 'converged');
    assert.equal(tr.step, recs.find((r) => r.step >= 120 && r.loss < 0.3)!.step);
  });
});

test('the step cap is respected', () => {
  withTrainer(tiny({ train: { maxSteps: 37 } }), 'S', 0, (tr) => {
    const recs = run(tr, 100);
    assert.equal(recs.length, 37);
    assert.equal(tr.step, 37);
    assert.equal(tr.status, 'step-cap');
    assert.match(tr.message!, /step cap \(37\)/);
    assert.equal(tr.advance(), false);
  });
});

const VARIANTS: [string, Patch, SyntheticMethod][] = [
  ['noisy-gd L-S', { train: { tauXi: 0.05 } }, 'L-S'],
  ['sgd L-S', { train: { update: 'sgd', batchSize: 7, eta1: 1, eta2: 0.3, lossCheckEvery: 7 } }, 'L-S'],
  ['noisy-gd S+noise', { train: { tauXi: 0.05, noiseAnnealAtStep: 45, lossCheckEvery: 4 } }, 'S+noise'],
];

test('a seed reproduces a run exactly; different seeds differ', () => {
  for (const [name, patch, method] of VARIANTS) {
    const cfg = tiny(patch);
    const go = (seed: number) => withTrainer(cfg, method, seed, (tr) => ({ recs: run(tr, 50), w: weights(tr), st: JSON.stringify(tr.state()) }));
    const a = go(5), b = go(5), c = go(6);
    assert.equal(a.recs.length, 50, name);
    assert.deepEqual(a.recs, b.recs, `${name}: same losses`);
    assert.equal(a.w, b.w, `${name}: bit-identical weights`);
    assert.equal(a.st, b.st, `${name}: identical state`);
    assert.notEqual(a.w, c.w, `${name}: another seed gives other weights`);
    assert.notDeepEqual(a.recs.map((r) => r.loss), c.recs.map((r) => r.loss), name);
  }
});

test('state()/restore() through JSON continues a run bit-identically', () => {
  for (const [name, patch, method] of VARIANTS) {
    const cfg = tiny(patch);
    const { saved, w, st, recs } = withTrainer(cfg, method, 9, (tr) => {
      run(tr, 30);
      const saved = JSON.stringify(tr.state());
      if (name.startsWith('sgd')) assert.ok(tr.state().batchCursor % 49 !== 0, 'saved mid-epoch');
      const recs = run(tr, 30);
      return { saved, w: weights(tr), st: JSON.stringify(tr.state()), recs };
    });
    withTrainer(cfg, method, 9, (tr) => {
      tr.restore(JSON.parse(saved));
      assert.equal(tr.step, 30, name);
      assert.deepEqual(run(tr, 30), recs, `${name}: same steps after restore`);
      assert.equal(weights(tr), w, `${name}: bit-identical weights`);
      assert.equal(JSON.stringify(tr.state()), st, `${name}: identical state`);
    });
    withTrainer(cfg, method === 'L-S' ? 'S' : 'L-S', 9, (tr) => {
      assert.throws(() => tr.restore(JSON.parse(saved)), new RegExp(`checkpoint is for method ${method.replace('+', '\\+')}`));
    });
  }
});

test('a huge learning rate stops with status diverged and a message naming the lr', () => {
  for (const update of ['noisy-gd', 'sgd']) {
    const cfg = tiny({ train: { update: update as 'sgd', batchSize: 10, eta1: 1e6, tau0: 0.1, maxSteps: 500, lossCheckEvery: 3 } });
    withTrainer(cfg, 'L-S', 0, (tr) => {
      run(tr, 500);
      assert.equal(tr.status, 'diverged', update);
      assert.ok(tr.step < 500, `${update}: stopped early, at step ${tr.step}`);
      assert.match(tr.message!, /diverged/);
      assert.match(tr.message!, /lr 1000000\b/);
      assert.equal(tr.advance(), false);
    });
  }
});

test('the update (3.1): with tauXi = 0 a step is U - eta (grad + lambda U); with tauXi > 0 the rest is N(0, (eta tauXi)^2)', () => {
  const cfg = tiny({ train: { lambda: 0.01 } });
  withTrainer(cfg, 'L-S', 7, (tr, s) => {
    for (let k = 0; k < 3; k++) {
      const expected = handUpdate(s, cfg.train.eta1, cfg.train.lambda);
      tr.advance();
      assertClose(paramArrays(s), expected, 1e-12, `step ${k + 1}`);
    }
  });
  const noisy = tiny({ train: { lambda: 0.01, tauXi: 0.05 } });
  withTrainer(noisy, 'L-S', 7, (tr, s) => {
    const z: number[] = [];
    for (let k = 0; k < 5; k++) {
      const expected = handUpdate(s, noisy.train.eta1, noisy.train.lambda);
      tr.advance();
      const got = paramArrays(s);
      for (const key of Object.keys(expected)) got[key]!.forEach((v, i) => z.push((v - expected[key]![i]!) / (-noisy.train.eta1 * noisy.train.tauXi)));
    }
    const mean = z.reduce((a, b) => a + b, 0) / z.length;
    const sd = Math.sqrt(z.reduce((a, b) => a + (b - mean) ** 2, 0) / (z.length - 1));
    assert.ok(z.length >= 500, `${z.length} noise draws`);
    assert.ok(Math.abs(mean) < 0.15, `noise mean ${mean}`);
    assert.ok(Math.abs(sd - 1) < 0.1, `noise std ${sd} (in units of eta tauXi)`);
  });
});
