import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AnnealAtLoss, lrAt, noiseAt, validateLrSchedule, validateNoiseSchedule, type LrSchedule, type NoiseSchedule,
} from './schedules.js';

const at = (epoch: number, step = 0) => ({ epoch, step });
const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-15 * Math.abs(b), `${what}: ${a} vs ${b}`);

test('Table 1 recipe: lr 0.1 x0.2 at epochs 60/120/150 gives 0.1, 0.02, 0.004, 0.0008, changing at the start of the epoch', () => {
  const spec: LrSchedule = { kind: 'step', lr: 0.1, factor: 0.2, at: [60, 120, 150], unit: 'epoch' };
  const expect: [number, number][] = [[0, 0.1], [59, 0.1], [60, 0.02], [119, 0.02], [120, 0.004], [149, 0.004], [150, 0.0008], [199, 0.0008]];
  for (const [e, lr] of expect) near(lrAt(spec, at(e, e * 391)), lr, `epoch ${e}`);
  // The step counter does not move an epoch-based schedule.
  assert.equal(lrAt(spec, at(59, 1e6)), 0.1);
  // Small-lr baseline with the same decay: 0.01 -> 0.002 at 60.
  near(lrAt({ ...spec, lr: 0.01 }, at(60)), 0.002, 'small lr at 60');
});

test('patch recipe: large lr 0.1 x0.04 at epoch 30 (0.004 after); multistep matches MultiStepLR', () => {
  const patch: LrSchedule = { kind: 'step', lr: 0.1, factor: 0.04, at: [30], unit: 'epoch' };
  assert.equal(lrAt(patch, at(29)), 0.1);
  near(lrAt(patch, at(30)), 0.004, 'epoch 30');
  near(lrAt(patch, at(59)), 0.004, 'epoch 59');
  // MultiStepLR: base * gamma^bisect_right(milestones, epoch); repeated milestones apply gamma twice.
  const ms: LrSchedule = { kind: 'multistep', lr: 0.1, milestones: [60, 120, 150], gamma: 0.2 };
  for (const e of [0, 59, 60, 61, 119, 120, 150, 300]) assert.equal(lrAt(ms, at(e)), lrAt({ kind: 'step', lr: 0.1, factor: 0.2, at: [60, 120, 150], unit: 'epoch' }, at(e)));
  const twice: LrSchedule = { kind: 'multistep', lr: 1, milestones: [2, 2], gamma: 0.5 };
  assert.deepEqual([0, 1, 2, 3].map((e) => lrAt(twice, at(e))), [1, 1, 0.25, 0.25]);
  // Step-unit schedules change at iteration s, independent of the epoch.
  const bySteps: LrSchedule = { kind: 'step', lr: 1, factor: 0.5, at: [100], unit: 'step' };
  assert.equal(lrAt(bySteps, at(50, 99)), 1);
  assert.equal(lrAt(bySteps, at(0, 100)), 0.5);
  assert.equal(lrAt({ kind: 'constant', lr: 0.004 }, at(37, 12345)), 0.004);
});

test('cosine: exact endpoints, midpoint, held at minLr after total', () => {
  const c: LrSchedule = { kind: 'cosine', lr: 0.1, total: 100, minLr: 0.001 };
  assert.equal(lrAt(c, at(0)), 0.1);
  assert.equal(lrAt(c, at(100)), 0.001);
  assert.equal(lrAt(c, at(250)), 0.001);
  near(lrAt(c, at(50)), (0.1 + 0.001) / 2, 'midpoint');
  near(lrAt(c, at(25)), 0.001 + 0.099 * (1 + Math.SQRT1_2) / 2, 'quarter');
  let prev = Infinity;
  for (let e = 0; e <= 100; e++) { const v = lrAt(c, at(e)); assert.ok(v < prev, `decreasing at ${e}`); prev = v; }
  const perStep: LrSchedule = { kind: 'cosine', lr: 1, total: 10, unit: 'step' };
  assert.equal(lrAt(perStep, at(0, 10)), 0);
  near(lrAt(perStep, at(99, 5)), 0.5, 'per-step midpoint');
});

test('linear warmup ramps from startFactor to 1 and multiplies the main schedule', () => {
  const w: LrSchedule = { kind: 'constant', lr: 0.2, warmup: { steps: 4, startFactor: 0.25 } };
  const ramp = [0, 1, 2, 3, 4, 5].map((s) => lrAt(w, at(0, s)));
  assert.deepEqual(ramp.slice(4), [0.2, 0.2]);
  [0.05, 0.0875, 0.125, 0.1625].forEach((v, i) => near(ramp[i]!, v, `warmup step ${i}`));
  // Epoch warmup: per epoch without stepsPerEpoch, per iteration with it.
  const we: LrSchedule = { kind: 'step', lr: 1, factor: 0.1, at: [1], unit: 'epoch', warmup: { epochs: 2, startFactor: 0 } };
  assert.equal(lrAt(we, at(0, 0)), 0);
  near(lrAt(we, at(1, 10)), 0.1 * 0.5, 'epoch 1 (decayed and half warm)');
  assert.equal(lrAt(we, at(2, 20)), 0.1);
  near(lrAt(we, { epoch: 0, step: 5, stepsPerEpoch: 10 }), 0.25, 'per-iteration ramp');
  near(lrAt(we, { epoch: 1, step: 15, stepsPerEpoch: 10 }), 0.1 * 0.75, 'per-iteration ramp, decayed');
  assert.equal(lrAt(we, { epoch: 2, step: 20, stepsPerEpoch: 10 }), 0.1);
});

test('noise schedules: FACTS Table 1 (0.2 x 0.995 per iteration), patch noise 0.4 x1e-5 at epoch 30, off', () => {
  const expo: NoiseSchedule = { kind: 'exponential', std: 0.2, rate: 0.995, every: 'step' };
  assert.equal(noiseAt(expo, at(0, 0)), 0.2);
  for (const t of [1, 2, 100, 1000, 78200]) near(noiseAt(expo, at(0, t)), 0.2 * 0.995 ** t, `iteration ${t}`);
  near(noiseAt(expo, at(0, 1)), 0.199, 'one iteration');
  const patch: NoiseSchedule = { kind: 'step', std: 0.4, factor: 1e-5, at: [30], unit: 'epoch' };
  assert.equal(noiseAt(patch, at(29, 999)), 0.4);
  near(noiseAt(patch, at(30)), 4e-6, 'epoch 30');
  assert.equal(noiseAt({ kind: 'off' }, at(5, 5)), 0);
  assert.equal(noiseAt({ kind: 'constant', std: 3 }, at(5, 5)), 3);
  near(noiseAt({ kind: 'exponential', std: 1, rate: 0.5, every: 'epoch' }, at(3, 1000)), 0.125, 'per epoch');
});

test('schedules survive a JSON round trip with identical values', () => {
  const lrs: LrSchedule[] = [
    { kind: 'step', lr: 0.1, factor: 0.2, at: [60, 120, 150], unit: 'epoch', warmup: { epochs: 5, startFactor: 0.1 } },
    { kind: 'multistep', lr: 0.1, milestones: [3, 7], gamma: 0.3, unit: 'step' },
    { kind: 'cosine', lr: 0.05, total: 37, minLr: 1e-4, unit: 'step', warmup: { steps: 9, startFactor: 0.3 } },
    { kind: 'annealAtLoss', lr1: 0.0125, lr2: 0.004, threshold: 0.3 },
  ];
  const noises: NoiseSchedule[] = [
    { kind: 'exponential', std: 0.2, rate: 0.995, every: 'step' }, { kind: 'step', std: 0.4, factor: 1e-5, at: [30], unit: 'epoch' }, { kind: 'off' },
  ];
  for (const s of lrs) {
    const back = JSON.parse(JSON.stringify(s)) as LrSchedule;
    assert.deepEqual(back, s);
    for (let e = 0; e < 200; e += 7) {
      const pos = { epoch: e, step: e * 3 + 1, stepsPerEpoch: 3, annealedAtStep: 40 };
      assert.equal(lrAt(back, pos), lrAt(s, pos));
    }
  }
  for (const s of noises) {
    const back = validateNoiseSchedule(JSON.parse(JSON.stringify(s)));
    assert.deepEqual(back, s);
    for (let e = 0; e < 60; e += 3) assert.equal(noiseAt(back, at(e, e * 11)), noiseAt(s, at(e, e * 11)));
  }
});

test('AnnealAtLoss fires at the first step whose loss is below the threshold and never un-fires', () => {
  const spec = { kind: 'annealAtLoss' as const, lr1: 0.0125, lr2: 0.004, threshold: 0.5 };
  const a = new AnnealAtLoss(spec);
  const losses = [0.9, 0.7, 0.5, 0.51, 0.49, 0.6, 0.8, 0.2];
  const lrs = losses.map((l, s) => a.observe(l, s));
  // 0.5 is not below 0.5; 0.49 at step 4 is the first; later losses above the threshold do not revert.
  assert.deepEqual(lrs, [0.0125, 0.0125, 0.0125, 0.0125, 0.004, 0.004, 0.004, 0.004]);
  assert.equal(a.annealedAtStep, 4);
  assert.equal(a.annealed, true);
  // lrAt with the recorded step gives the same lr at every step.
  losses.forEach((_, s) => assert.equal(lrAt(spec, { epoch: 0, step: s, ...a.state() }), lrs[s]));
  assert.equal(lrAt(spec, { epoch: 0, step: 100, annealedAtStep: null }), 0.0125);
  // state() / restore(): a resumed run stays annealed at the same step.
  const saved = JSON.parse(JSON.stringify(a.state()));
  const b = new AnnealAtLoss(spec, saved);
  assert.equal(b.observe(10, 8), 0.004);
  assert.equal(b.annealedAtStep, 4);
  const fresh = new AnnealAtLoss(spec);
  assert.equal(fresh.observe(10, 8), 0.0125);
  assert.equal(fresh.annealed, false);
  assert.throws(() => fresh.restore({ annealedAtStep: -1 }), /AnnealAtLoss.restore: annealedAtStep must be a non-negative integer or null, got -1/);
  assert.throws(() => fresh.observe(0.1, 1.5), /AnnealAtLoss.observe: step must be a non-negative integer/);
  assert.throws(() => lrAt(spec, at(3)), /lrAt: an 'annealAtLoss' schedule needs position.annealedAtStep/);
  assert.throws(() => new AnnealAtLoss({ kind: 'constant', lr: 1 } as never), /AnnealAtLoss: spec.kind must be 'annealAtLoss', got 'constant'/);
});

test('validation rejects bad schedules with one-line errors naming the key', () => {
  const badLr = (s: unknown, re: RegExp) => assert.throws(() => validateLrSchedule(s), re);
  badLr({ kind: 'linear', lr: 0.1 }, /^Error: lr schedule: unknown kind 'linear' \(expected constant, step, multistep, cosine or annealAtLoss\)$/);
  badLr(null, /lr schedule: expected an object/);
  badLr({ kind: 'constant', lr: -0.1 }, /^Error: lr schedule \('constant'\): lr must be a finite number >= 0, got -0.1$/);
  badLr({ kind: 'step', lr: 0.1, factor: 0, at: [60], unit: 'epoch' }, /lr schedule \('step'\): factor must be a finite number > 0, got 0/);
  badLr({ kind: 'step', lr: 0.1, factor: 0.2, at: [120, 60], unit: 'epoch' }, /lr schedule \('step'\): at must be sorted strictly increasing, got \[120, 60\]/);
  badLr({ kind: 'step', lr: 0.1, factor: 0.2, at: [60, 60], unit: 'epoch' }, /at must be sorted strictly increasing/);
  badLr({ kind: 'step', lr: 0.1, factor: 0.2, at: [1.5], unit: 'epoch' }, /at must be an array of non-negative integers/);
  badLr({ kind: 'step', lr: 0.1, factor: 0.2, at: [60], unit: 'iteration' }, /unit must be 'epoch' or 'step', got 'iteration'/);
  badLr({ kind: 'step', lr: 0.1, factor: 0.2, at: [60] }, /unit must be 'epoch' or 'step', got undefined/);
  badLr({ kind: 'multistep', lr: 0.1, milestones: [5, 3], gamma: 0.1 }, /milestones must be sorted non-decreasing/);
  badLr({ kind: 'multistep', lr: 0.1, milestone: [5], gamma: 0.1 }, /lr schedule \('multistep'\): unknown key 'milestone'/);
  badLr({ kind: 'multistep', lr: 0.1, milestones: [5], gamma: -1 }, /gamma must be a finite number > 0/);
  badLr({ kind: 'cosine', lr: 0.1, total: 0 }, /total must be a positive integer, got 0/);
  badLr({ kind: 'cosine', lr: 0.1, total: 10, minLr: 0.2 }, /minLr must be <= lr/);
  badLr({ kind: 'constant', lr: 0.1, warmup: { steps: 5, epochs: 1, startFactor: 0.1 } }, /lr schedule: warmup: give exactly one of steps or epochs/);
  badLr({ kind: 'constant', lr: 0.1, warmup: { steps: 5, startFactor: 1.5 } }, /warmup: startFactor must be in \[0, 1\], got 1.5/);
  badLr({ kind: 'constant', lr: 0.1, warmup: { steps: 0, startFactor: 0.5 } }, /warmup: steps must be a positive integer/);
  badLr({ kind: 'annealAtLoss', lr1: 0.1, lr2: -0.01, threshold: 0.3 }, /lr2 must be a finite number >= 0/);
  badLr({ kind: 'annealAtLoss', lr1: 0.1, lr2: 0.01, threshold: NaN }, /threshold must be a finite number, got NaN/);
  const badNoise = (s: unknown, re: RegExp) => assert.throws(() => validateNoiseSchedule(s), re);
  badNoise({ kind: 'gaussian', std: 1 }, /^Error: noise schedule: unknown kind 'gaussian'/);
  badNoise({ kind: 'constant', std: -1 }, /noise schedule \('constant'\): std must be a finite number >= 0, got -1/);
  badNoise({ kind: 'step', std: 0.4, factor: 0, at: [30], unit: 'epoch' }, /factor must be a finite number > 0/);
  badNoise({ kind: 'step', std: 0.4, factor: 1e-5, at: [30, 10], unit: 'epoch' }, /at must be sorted strictly increasing/);
  badNoise({ kind: 'exponential', std: 0.2, rate: 0.995, every: 'iteration' }, /every must be 'epoch' or 'step'/);
  badNoise({ kind: 'off', std: 0 }, /noise schedule \('off'\): unknown key 'std'/);
  // lrAt / noiseAt validate both the spec and the position.
  assert.throws(() => lrAt({ kind: 'constant', lr: -1 }, at(0)), /lr must be a finite number >= 0/);
  assert.throws(() => lrAt({ kind: 'constant', lr: 1 }, { epoch: -1, step: 0 }), /^Error: lrAt: position.epoch must be a non-negative integer, got -1$/);
  assert.throws(() => noiseAt({ kind: 'off' }, { epoch: 0, step: 0.5 }), /noiseAt: position.step must be a non-negative integer/);
  assert.throws(() => lrAt({ kind: 'constant', lr: 1 }, { epoch: 0, step: 0, stepsPerEpoch: 0 }), /position.stepsPerEpoch must be a positive integer/);
});
