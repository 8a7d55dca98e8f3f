import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  lrAt, lrScheduleSchema, noiseAt, validateLrSchedule, validateNoiseSchedule, type LrSchedule, type NoiseSchedule,
} from './schedules.js';
import { ConfigError, toJsonSchema } from '../util/schema.js';
import { torchPython } from '../util/torchPython.js';

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

test('linear is LinearLR: lr * (startFactor + (endFactor - startFactor) * min(t, total) / total)', () => {
  const warm: LrSchedule = { kind: 'linear', lr: 0.2, startFactor: 0.25, total: 4, unit: 'step' };
  const ramp = [0, 1, 2, 3, 4, 5, 100].map((s) => lrAt(warm, at(0, s)));
  assert.deepEqual(ramp.slice(4), [0.2, 0.2, 0.2]);
  [0.05, 0.0875, 0.125, 0.1625].forEach((v, i) => near(ramp[i]!, v, `warmup step ${i}`));
  // endFactor < startFactor decays; an epoch clock ignores the step counter
  const decay: LrSchedule = { kind: 'linear', lr: 1, startFactor: 1, endFactor: 0.2, total: 4, unit: 'epoch' };
  assert.deepEqual([0, 1, 2, 4, 9].map((e) => lrAt(decay, at(e, 12345))), [1, 0.8, 0.6, 0.2, 0.2]);
});

test('sequence is SequentialLR: child i from milestone i on, its clock restarted there', () => {
  // a 4-step linear warmup, then a step decay whose "at 3" is 3 steps after its milestone (step 7), not step 3
  const seq: LrSchedule = {
    kind: 'sequence', unit: 'step', milestones: [4],
    schedules: [{ kind: 'linear', lr: 0.2, startFactor: 0.25, total: 4, unit: 'step' }, { kind: 'step', lr: 0.2, factor: 0.5, at: [3], unit: 'step' }],
  };
  const got = Array.from({ length: 10 }, (_, s) => lrAt(seq, at(0, s)));
  [0.05, 0.0875, 0.125, 0.1625, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1].forEach((v, s) => near(got[s]!, v, `step ${s}`));
  // three children and a nested sequence: each level restarts the clock of the one below
  const nested: LrSchedule = {
    kind: 'sequence', unit: 'epoch', milestones: [2, 5],
    schedules: [
      { kind: 'constant', lr: 1 },
      { kind: 'multistep', lr: 0.5, milestones: [1], gamma: 0.1 },
      { kind: 'sequence', unit: 'epoch', milestones: [2], schedules: [{ kind: 'constant', lr: 0.3 }, { kind: 'step', lr: 0.2, factor: 0.5, at: [0, 1], unit: 'epoch' }] },
    ],
  };
  const byEpoch = Array.from({ length: 10 }, (_, e) => lrAt(nested, at(e, 0)));
  // epochs 0-1: 1; 2: 0.5 (multistep at its epoch 0); 3-4: 0.05; 5-6: 0.3; 7 (the inner step schedule's epoch 0): 0.1; 8+: 0.05
  [1, 1, 0.5, 0.05, 0.05, 0.3, 0.3, 0.1, 0.05, 0.05].forEach((v, e) => near(byEpoch[e]!, v, `epoch ${e}`));
});

test('a step-counting child of an epoch sequence counts the steps since its milestone began (stepsPerEpoch)', () => {
  const noise: NoiseSchedule = {
    kind: 'sequence', unit: 'epoch', milestones: [30],
    schedules: [{ kind: 'constant', std: 0.4 }, { kind: 'exponential', std: 0.2, rate: 0.995, every: 'step' }],
  };
  const spe = 100;
  const pos = (step: number) => ({ epoch: Math.floor(step / spe), step, stepsPerEpoch: spe });
  assert.equal(noiseAt(noise, pos(2999)), 0.4);
  assert.equal(noiseAt(noise, pos(3000)), 0.2);
  near(noiseAt(noise, pos(3017)), 0.2 * 0.995 ** 17, 'step 17 of the second child');
  assert.equal(noiseAt(noise, { epoch: 5, step: 500 }), 0.4, 'before the milestone the position needs no stepsPerEpoch');
  assert.throws(() => noiseAt(noise, { epoch: 31, step: 3100 }), /^Error: noiseAt: a schedule counted in steps inside a sequence counted in epochs needs position.stepsPerEpoch$/);
});

const torchPy = torchPython();

/** Each case's lr over n scheduler steps under torch's SequentialLR of LinearLR / CosineAnnealingLR / MultiStepLR. */
const SEQUENTIAL_LR = `
import json, sys, warnings
warnings.filterwarnings('ignore')
import torch
from torch.optim.lr_scheduler import SequentialLR, LinearLR, CosineAnnealingLR, MultiStepLR
def run(case):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))], lr=case['lr'])
    def make(c):
        if c['kind'] == 'linear': return LinearLR(opt, start_factor=c['startFactor'], end_factor=c.get('endFactor', 1.0), total_iters=c['total'])
        if c['kind'] == 'cosine': return CosineAnnealingLR(opt, T_max=c['total'], eta_min=c.get('minLr', 0.0))
        return MultiStepLR(opt, milestones=c['milestones'], gamma=c['gamma'])
    seq = SequentialLR(opt, [make(c) for c in case['schedules']], milestones=case['milestones'])
    out = []
    for _ in range(case['n']):
        out.append(opt.param_groups[0]['lr'])
        opt.step(); seq.step()
    return out
print(json.dumps([run(c) for c in json.load(sys.stdin)]))
`;

test('sequence agrees with torch.optim.lr_scheduler.SequentialLR (LinearLR, CosineAnnealingLR, MultiStepLR children)', { skip: torchPy ? false : 'no python3 with torch on this machine' }, () => {
  // torch's children share the optimizer's lr; here each child names it. Cosine is compared up to its
  // total only (torch's CosineAnnealingLR is periodic after T_max, lrlab's holds minLr).
  const cases: { spec: LrSchedule & { kind: 'sequence' }; n: number }[] = [
    { spec: { kind: 'sequence', unit: 'step', milestones: [5], schedules: [
      { kind: 'linear', lr: 0.1, startFactor: 0.1, total: 5, unit: 'step' }, { kind: 'cosine', lr: 0.1, total: 20, minLr: 0.001, unit: 'step' }] }, n: 26 },
    { spec: { kind: 'sequence', unit: 'epoch', milestones: [3, 9], schedules: [
      { kind: 'linear', lr: 0.5, startFactor: 0.25, total: 3, unit: 'epoch' }, { kind: 'multistep', lr: 0.5, milestones: [2, 4, 4], gamma: 0.1 },
      { kind: 'linear', lr: 0.5, startFactor: 1, endFactor: 0.2, total: 4, unit: 'epoch' }] }, n: 18 },
  ];
  const input = cases.map(({ spec, n }) => ({ lr: (spec.schedules[0] as { lr: number }).lr, schedules: spec.schedules, milestones: spec.milestones, n }));
  const out = spawnSync(torchPy!, ['-c', SEQUENTIAL_LR], { input: JSON.stringify(input), encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  const torchLrs = JSON.parse(out.stdout) as number[][];
  cases.forEach(({ spec }, c) => torchLrs[c]!.forEach((want, t) => {
    const got = lrAt(spec, spec.unit === 'step' ? at(0, t) : at(t, 0));
    assert.ok(Math.abs(got - want) <= 1e-12 * Math.abs(want), `case ${c}, t = ${t}: ${got} vs torch ${want}`);
  }));
});

test('noise schedules: Table 1 (Appendix H.1: 0.2 x 0.995 per iteration), patch noise 0.4 x1e-5 at epoch 30 (Appendix H.2), off', () => {
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
    { kind: 'step', lr: 0.1, factor: 0.2, at: [60, 120, 150], unit: 'epoch' },
    { kind: 'multistep', lr: 0.1, milestones: [3, 7], gamma: 0.3, unit: 'step' },
    {
      kind: 'sequence', unit: 'epoch', milestones: [5],
      schedules: [{ kind: 'linear', lr: 0.05, startFactor: 0.3, total: 15, unit: 'step' }, { kind: 'cosine', lr: 0.05, total: 37, minLr: 1e-4 }],
    },
    { kind: 'annealAtLoss', lr1: 0.0125, lr2: 0.004, threshold: 0.3, atStep: 500 },
  ];
  const noises: NoiseSchedule[] = [
    { kind: 'exponential', std: 0.2, rate: 0.995, every: 'step' }, { kind: 'step', std: 0.4, factor: 1e-5, at: [30], unit: 'epoch' }, { kind: 'off' },
    { kind: 'sequence', unit: 'epoch', milestones: [30], schedules: [{ kind: 'constant', std: 0.4 }, { kind: 'exponential', std: 0.2, rate: 0.9, every: 'epoch' }] },
  ];
  for (const s of lrs) {
    const back = validateLrSchedule(JSON.parse(JSON.stringify(s)));
    assert.deepEqual(back, s);
    for (let e = 0; e < 200; e += 7) {
      const pos = { epoch: e, step: e * 3 + 1, stepsPerEpoch: 3, annealedAtStep: 40 };
      assert.equal(lrAt(back, pos), lrAt(s, pos));
    }
  }
  for (const s of noises) {
    const back = validateNoiseSchedule(JSON.parse(JSON.stringify(s)));
    assert.deepEqual(back, s);
    for (let e = 0; e < 60; e += 3) assert.equal(noiseAt(back, { ...at(e, e * 11), stepsPerEpoch: 11 }), noiseAt(s, { ...at(e, e * 11), stepsPerEpoch: 11 }));
  }
});

test('validation rejects bad schedules with one-line ConfigErrors naming the dotted key', () => {
  const badLr = (s: unknown, message: string) => assert.throws(() => validateLrSchedule(s), (e: Error) => e instanceof ConfigError && e.message === message);
  badLr({ kind: 'linear2', lr: 0.1 }, `config key 'lr.kind' must be one of "constant", "step", "multistep", "cosine", "linear", "annealAtLoss", "sequence", got "linear2"`);
  badLr(null, "config key 'lr' must be an object, got null");
  badLr({ kind: 'constant', lr: -0.1 }, "config key 'lr.lr' must be a finite number >= 0, got -0.1");
  badLr({ kind: 'step', lr: 0.1, factor: 0, at: [60], unit: 'epoch' }, "config key 'lr.factor' must be a finite number > 0, got 0");
  badLr({ kind: 'step', lr: 0.1, factor: 0.2, at: [120, 60], unit: 'epoch' }, "config key 'lr.at' must be sorted strictly increasing, got [120,60]");
  badLr({ kind: 'step', lr: 0.1, factor: 0.2, at: [60, 60], unit: 'epoch' }, "config key 'lr.at' must be sorted strictly increasing, got [60,60]");
  badLr({ kind: 'step', lr: 0.1, factor: 0.2, at: [1.5], unit: 'epoch' }, "config key 'lr.at.0' must be an integer >= 0, got 1.5");
  badLr({ kind: 'step', lr: 0.1, factor: 0.2, at: [60], unit: 'iteration' }, `config key 'lr.unit' must be one of "epoch", "step", got "iteration"`);
  badLr({ kind: 'step', lr: 0.1, factor: 0.2, at: [60] }, "config key 'lr.unit' is missing");
  badLr({ kind: 'multistep', lr: 0.1, milestones: [5, 3], gamma: 0.1 }, "config key 'lr.milestones' must be sorted non-decreasing, got [5,3]");
  badLr({ kind: 'multistep', lr: 0.1, milestones: [5], milestone: [5], gamma: 0.1 }, "unknown config key 'lr.milestone' (known keys of 'lr': kind, lr, milestones, gamma, unit)");
  badLr({ kind: 'multistep', lr: 0.1, milestones: [5], gamma: -1 }, "config key 'lr.gamma' must be a finite number > 0, got -1");
  badLr({ kind: 'cosine', lr: 0.1, total: 0 }, "config key 'lr.total' must be a positive integer, got 0");
  badLr({ kind: 'cosine', lr: 0.1, total: 10, minLr: 0.2 }, "config key 'lr.minLr' must be <= lr (0.1), got 0.2");
  badLr({ kind: 'linear', lr: 0.1, startFactor: 1.5, total: 5, unit: 'step' }, "config key 'lr.startFactor' must be a number in [0, 1], got 1.5");
  // the warmup field is gone: a warmup is a linear schedule inside a sequence
  badLr({ kind: 'constant', lr: 0.1, warmup: { steps: 5, startFactor: 0.1 } }, "unknown config key 'lr.warmup' (known keys of 'lr': kind, lr)");
  badLr({ kind: 'annealAtLoss', lr1: 0.1, lr2: -0.01, threshold: 0.3 }, "config key 'lr.lr2' must be a finite number >= 0, got -0.01");
  badLr({ kind: 'annealAtLoss', lr1: 0.1, lr2: 0.01 }, "config key 'lr.threshold' is missing");
  badLr({ kind: 'annealAtLoss', lr1: 0.1, lr2: 0.01, threshold: 0.3, atStep: -2 }, "config key 'lr.atStep' must be an integer >= 0, got -2");
  assert.throws(() => validateLrSchedule({ kind: 'annealAtLoss', lr1: 0.1, lr2: 0.01, threshold: NaN }), (e: Error) => e instanceof ConfigError && /^config key 'lr.threshold' must be a finite number/.test(e.message));
  // sequences: one milestone per later child, increasing, >= 1; step sequences of step-counting children; no events inside
  const c1 = { kind: 'constant', lr: 1 };
  const seq = (schedules: unknown[], milestones: number[], unit = 'step') => ({ kind: 'sequence', schedules, milestones, unit });
  badLr(seq([c1, c1], [3, 5]), "config key 'lr.milestones' must list 1 milestone(s), one per schedule after the first, got [3,5]");
  badLr(seq([], []), "config key 'lr.schedules' must be an array of at least 1 item(s), got []");
  badLr(seq([c1, c1, c1], [5, 3]), "config key 'lr.milestones' must be sorted strictly increasing, got [5,3]");
  badLr(seq([c1, c1], [0]), "config key 'lr.milestones.0' must be a positive integer, got 0");
  badLr(seq([c1, { kind: 'cosine', lr: 1, total: 5 }], [3]),
    "config key 'lr.schedules.1.unit' must be 'step' inside a sequence counted in steps (an epoch clock cannot restart mid-epoch), got \"epoch\"");
  badLr(seq([c1, { kind: 'annealAtLoss', lr1: 1, lr2: 0.1, threshold: 0.1 }], [3], 'epoch'),
    "config key 'lr.schedules.1.kind' cannot be an event-triggered kind inside a sequence, got \"annealAtLoss\"");
  badLr(seq([c1, seq([{ kind: 'constant', lr: -1 }], [])], [3], 'epoch'), "config key 'lr.schedules.1.schedules.0.lr' must be a finite number >= 0, got -1");
  badLr(seq([c1, { ...c1, x: 1 }], [3]), "unknown config key 'lr.schedules.1.x' (known keys of 'lr.schedules.1': kind, lr)");
  badLr({ ...seq([c1], []), extra: 1 }, "unknown config key 'lr.extra' (known keys of 'lr': kind, schedules, milestones, unit)");
  assert.throws(() => validateLrSchedule({ kind: 'constant', lr: -1 }, 'methods.2.lr'), { message: "config key 'methods.2.lr.lr' must be a finite number >= 0, got -1" });

  const badNoise = (s: unknown, message: string) => assert.throws(() => validateNoiseSchedule(s), (e: Error) => e instanceof ConfigError && e.message === message);
  badNoise({ kind: 'gaussian', std: 1 }, `config key 'noise.kind' must be one of "off", "constant", "step", "exponential", "annealAtLoss", "sequence", got "gaussian"`);
  badNoise({ kind: 'constant', std: -1 }, "config key 'noise.std' must be a finite number >= 0, got -1");
  badNoise({ kind: 'step', std: 0.4, factor: 0, at: [30], unit: 'epoch' }, "config key 'noise.factor' must be a finite number > 0, got 0");
  badNoise({ kind: 'step', std: 0.4, factor: 1e-5, at: [30, 10], unit: 'epoch' }, "config key 'noise.at' must be sorted strictly increasing, got [30,10]");
  badNoise({ kind: 'exponential', std: 0.2, rate: 0.995, every: 'iteration' }, `config key 'noise.every' must be one of "epoch", "step", got "iteration"`);
  badNoise({ kind: 'off', std: 0 }, "unknown config key 'noise.std' (known keys of 'noise': kind)");
  badNoise({ kind: 'annealAtLoss', std: 0.3, atStep: 1.5 }, "config key 'noise.atStep' must be an integer >= 0, got 1.5");
  badNoise(seq([{ kind: 'off' }, { kind: 'exponential', std: 1, rate: 0.9, every: 'epoch' }], [3]),
    "config key 'noise.schedules.1.every' must be 'step' inside a sequence counted in steps (an epoch clock cannot restart mid-epoch), got \"epoch\"");

  // lrAt / noiseAt validate both the spec and the position
  assert.throws(() => lrAt({ kind: 'constant', lr: -1 }, at(0)), /lr.lr' must be a finite number >= 0/);
  assert.throws(() => lrAt({ kind: 'constant', lr: 1 }, { epoch: -1, step: 0 }), /^Error: lrAt: position.epoch must be a non-negative integer, got -1$/);
  assert.throws(() => noiseAt({ kind: 'off' }, { epoch: 0, step: 0.5 }), /noiseAt: position.step must be a non-negative integer/);
  assert.throws(() => lrAt({ kind: 'constant', lr: 1 }, { epoch: 0, step: 0, stepsPerEpoch: 0 }), /position.stepsPerEpoch must be a positive integer/);
  assert.throws(() => lrAt({ kind: 'annealAtLoss', lr1: 1, lr2: 0.1, threshold: 0.2 }, at(3)), /^Error: lrAt: an 'annealAtLoss' schedule needs position.annealedAtStep/);
  assert.throws(() => noiseAt({ kind: 'annealAtLoss', std: 1 }, { epoch: 0, step: 0, annealedAtStep: -1 }), /noiseAt: position.annealedAtStep must be a non-negative integer or null, got -1/);
});

test('the event-triggered kinds, given the step their event fired, switch from that step on', () => {
  const lr: LrSchedule = { kind: 'annealAtLoss', lr1: 0.0125, lr2: 0.004, threshold: 0.5, atStep: 100 };
  assert.deepEqual([0, 3, 4, 9].map((s) => lrAt(lr, { epoch: 0, step: s, annealedAtStep: 4 })), [0.0125, 0.0125, 0.004, 0.004]);
  assert.equal(lrAt(lr, { epoch: 0, step: 1000, annealedAtStep: null }), 0.0125, 'not fired: lr1 (firing is the scheduler\'s job, see schedulers.ts)');
  const noise: NoiseSchedule = { kind: 'annealAtLoss', std: 0.3, atStep: 25 };
  assert.deepEqual([0, 24, 25, 26].map((s) => noiseAt(noise, { epoch: 0, step: s, annealedAtStep: 25 })), [0.3, 0.3, 0, 0]);
});

test('the schedule schemas give a JSON Schema, recursive through sequence', () => {
  const j = JSON.stringify(toJsonSchema(lrScheduleSchema));
  for (const k of ['"constant"', '"linear"', '"sequence"', '"annealAtLoss"', '"milestones"', '"startFactor"']) assert.ok(j.includes(k), `${k} in the JSON Schema`);
  assert.match(j, /"\$ref"/, 'the sequence children refer back to the schedule schema');
});
