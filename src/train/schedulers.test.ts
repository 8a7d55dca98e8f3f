import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnnealAtLoss, NoiseAnnealAtLoss, lrScheduler, noiseScheduler } from './schedulers.js';
import { lrAt, noiseAt, type AnnealAtLossSpec, type NoiseAnnealAtLossSpec } from './schedules.js';

const pos = (step: number) => ({ epoch: 0, step });

test('AnnealAtLoss fires at the first step whose loss is below the threshold and never un-fires', () => {
  const spec: AnnealAtLossSpec = { kind: 'annealAtLoss', lr1: 0.0125, lr2: 0.004, threshold: 0.5 };
  const a = new AnnealAtLoss(spec);
  const losses = [0.9, 0.7, 0.5, 0.51, 0.49, 0.6, 0.8, 0.2];
  const lrs = losses.map((l, s) => a.observe(l, s));
  // 0.5 is not below 0.5; 0.49 at step 4 is the first; later losses above the threshold do not revert.
  assert.deepEqual(lrs, [0.0125, 0.0125, 0.0125, 0.0125, 0.004, 0.004, 0.004, 0.004]);
  assert.equal(a.annealedAtStep, 4);
  assert.equal(a.annealed, true);
  assert.equal(a.waiting, false);
  // at() and lrAt with the recorded step give the same lr at every step.
  losses.forEach((_, s) => {
    assert.equal(a.at(pos(s)), lrs[s]);
    assert.equal(lrAt(spec, { ...pos(s), ...a.state() }), lrs[s]);
  });
  // state() / restore(): a resumed run stays annealed at the same step.
  const b = new AnnealAtLoss(spec, JSON.parse(JSON.stringify(a.state())));
  assert.equal(b.observe(10, 8), 0.004);
  assert.equal(b.annealedAtStep, 4);
  const fresh = new AnnealAtLoss(spec);
  assert.equal(fresh.observe(10, 8), 0.0125);
  assert.equal(fresh.waiting, true);
  assert.throws(() => fresh.restore({ annealedAtStep: -1 }), /^Error: AnnealAtLoss.restore: annealedAtStep must be a non-negative integer or null, got -1$/);
  assert.throws(() => fresh.observe(0.1, 1.5), /AnnealAtLoss.observe: step must be a non-negative integer/);
  assert.throws(() => new AnnealAtLoss({ kind: 'constant', lr: 1 } as never), /AnnealAtLoss: spec.kind must be 'annealAtLoss', got 'constant'/);
  assert.throws(() => new AnnealAtLoss({ ...spec, lr1: -1 }), /config key 'lr.lr1' must be a finite number >= 0/);
});

test('AnnealAtLoss with atStep fires there when the loss threshold comes later (or never), and at the loss when it comes first', () => {
  const losses = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2];
  const run = (spec: AnnealAtLossSpec) => { const a = new AnnealAtLoss(spec); return { lrs: losses.map((l, s) => a.observe(l, s)), at: a.annealedAtStep }; };
  const byLoss = run({ kind: 'annealAtLoss', lr1: 1, lr2: 0.1, threshold: 0.45 });
  assert.equal(byLoss.at, 5);
  const byStep = run({ kind: 'annealAtLoss', lr1: 1, lr2: 0.1, threshold: 0.45, atStep: 2 });
  assert.equal(byStep.at, 2, 'the step comes before the loss threshold');
  assert.deepEqual(byStep.lrs, [1, 1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]);
  assert.equal(run({ kind: 'annealAtLoss', lr1: 1, lr2: 0.1, threshold: 0.45, atStep: 7 }).at, 5, 'the loss comes first');
  assert.equal(run({ kind: 'annealAtLoss', lr1: 1, lr2: 0.1, threshold: -1, atStep: 6 }).at, 6, 'an unreachable threshold: only the step');
  // a step observed late (the trainer observes after every update, so this is a skipped step) still fires
  const late = new AnnealAtLoss({ kind: 'annealAtLoss', lr1: 1, lr2: 0.1, threshold: 0, atStep: 3 });
  late.observe(1, 1);
  assert.equal(late.observe(1, 10), 0.1);
  assert.equal(late.annealedAtStep, 10);
});

test('NoiseAnnealAtLoss switches the noise off at a loss or a step, and its state round-trips', () => {
  const spec: NoiseAnnealAtLossSpec = { kind: 'annealAtLoss', std: 0.3, threshold: 0.45, atStep: 6 };
  const losses = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2];
  const n = new NoiseAnnealAtLoss(spec);
  const stds = losses.slice(0, 3).map((l, s) => n.observe(l, s));
  assert.deepEqual(stds, [0.3, 0.3, 0.3]);
  assert.equal(n.waiting, true);
  // save mid-run (before the event), go on in a restored copy and in the original: the same values and the same step
  const saved = JSON.parse(JSON.stringify(n.state()));
  assert.deepEqual(saved, { annealedAtStep: null });
  const copy = new NoiseAnnealAtLoss(spec, saved);
  const rest = (x: NoiseAnnealAtLoss) => losses.slice(3).map((l, i) => x.observe(l, i + 3));
  const original = rest(n);
  assert.deepEqual(original, [0.3, 0.3, 0, 0, 0]);
  assert.deepEqual(rest(copy), original);
  assert.equal(n.annealedAtStep, 5);
  assert.equal(copy.annealedAtStep, 5);
  // after the event: the state restores the step, and at() / noiseAt agree
  const after = new NoiseAnnealAtLoss(spec, JSON.parse(JSON.stringify(n.state())));
  assert.equal(after.std, 0);
  for (const s of [0, 4, 5, 9]) assert.equal(after.at(pos(s)), noiseAt(spec, { ...pos(s), annealedAtStep: 5 }));
  assert.deepEqual([4, 5].map((s) => after.at(pos(s))), [0.3, 0]);
  // with neither trigger the noise stays on
  const never = new NoiseAnnealAtLoss({ kind: 'annealAtLoss', std: 0.3 });
  losses.forEach((l, s) => never.observe(l, s));
  assert.equal(never.annealedAtStep, null);
  assert.equal(never.std, 0.3);
  assert.throws(() => new NoiseAnnealAtLoss({ kind: 'off' } as never), /NoiseAnnealAtLoss: spec.kind must be 'annealAtLoss', got 'off'/);
  assert.throws(() => never.restore({ annealedAtStep: 2.5 }), /NoiseAnnealAtLoss.restore: annealedAtStep must be a non-negative integer or null, got 2.5/);
});

test('lrScheduler / noiseScheduler: event kinds get their scheduler, clock kinds are pure and stateless', () => {
  const ls = lrScheduler({ kind: 'annealAtLoss', lr1: 1, lr2: 0.5, threshold: 0.1 });
  assert.ok(ls instanceof AnnealAtLoss);
  assert.ok(noiseScheduler({ kind: 'annealAtLoss', std: 1, atStep: 3 }) instanceof NoiseAnnealAtLoss);
  const spec = { kind: 'step' as const, lr: 1, factor: 0.5, at: [2], unit: 'step' as const };
  const clock = lrScheduler(spec);
  clock.observe(-100, 0);
  assert.equal(clock.waiting, false);
  assert.equal(clock.annealedAtStep, null);
  assert.deepEqual([0, 1, 2, 3].map((s) => clock.at(pos(s))), [0, 1, 2, 3].map((s) => lrAt(spec, pos(s))));
  assert.deepEqual(clock.state(), { annealedAtStep: null });
  assert.throws(() => clock.restore({ annealedAtStep: 3 }), /lrScheduler.restore: this schedule has no event, so annealedAtStep must be null/);
  const off = noiseScheduler({ kind: 'off' });
  assert.equal(off.at(pos(7)), 0);
  assert.throws(() => noiseScheduler({ kind: 'step', std: 1, factor: 0, at: [], unit: 'step' }), /config key 'noise.factor'/);
});
