import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SYNTHETIC_METHODS, methodSchedules, stopLoss, type AlgorithmKeys } from './syntheticAlgorithms.js';
import { validateLrSchedule, validateNoiseSchedule } from './schedules.js';
import { lrScheduler, noiseScheduler } from './schedulers.js';

const T: AlgorithmKeys = { eta1: 0.1, eta2: 0.01, annealAtStep: null, noiseStd: 0.5, noiseAnnealAtLoss: null, noiseAnnealAtStep: 2000, eps2: 0.02, eps2S: 0.03 };

test('L-S is an annealAtLoss lr (eta1 -> eta2 at eps1 + q log 2, or annealAtStep) without noise', () => {
  assert.deepEqual(methodSchedules('L-S', T, 0.2), { lr: { kind: 'annealAtLoss', lr1: 0.1, lr2: 0.01, threshold: 0.2 }, noise: { kind: 'off' } });
  assert.deepEqual(methodSchedules('L-S', { ...T, annealAtStep: 600 }, 0.2).lr, { kind: 'annealAtLoss', lr1: 0.1, lr2: 0.01, threshold: 0.2, atStep: 600 });
  // driven by losses: eta1 until the threshold, eta2 after
  const s = lrScheduler(methodSchedules('L-S', { ...T, annealAtStep: 600 }, 0.2).lr);
  assert.deepEqual([0.5, 0.3, 0.19, 0.5].map((l, i) => { s.observe(l, i + 1); return s.at({ epoch: 0, step: i + 1 }); }), [0.1, 0.1, 0.01, 0.01]);
  assert.equal(s.annealedAtStep, 3);
});

test('S is eta2 throughout; S+noise is eta2 with noise switched off at a loss or a step', () => {
  assert.deepEqual(methodSchedules('S', T, 0.2), { lr: { kind: 'constant', lr: 0.01 }, noise: { kind: 'off' } });
  assert.deepEqual(methodSchedules('S+noise', T, 0.2), { lr: { kind: 'constant', lr: 0.01 }, noise: { kind: 'annealAtLoss', std: 0.5, atStep: 2000 } });
  const both = methodSchedules('S+noise', { ...T, noiseAnnealAtLoss: 0.1, noiseAnnealAtStep: null }, 0.2).noise;
  assert.deepEqual(both, { kind: 'annealAtLoss', std: 0.5, threshold: 0.1 });
  const n = noiseScheduler(both);
  n.observe(0.2, 1);
  assert.equal(n.at({ epoch: 0, step: 1 }), 0.5);
  n.observe(0.09, 2);
  assert.equal(n.at({ epoch: 0, step: 2 }), 0);
  // neither trigger: the noise never switches off, so S+noise never counts as annealed
  const never = noiseScheduler(methodSchedules('S+noise', { ...T, noiseAnnealAtStep: null }, 0.2).noise);
  never.observe(0, 1e6);
  assert.equal(never.waiting, true);
});

test('every method gives valid schedules and its stopping loss', () => {
  for (const m of SYNTHETIC_METHODS) {
    const s = methodSchedules(m, T, 0.3);
    assert.deepEqual(validateLrSchedule(s.lr), s.lr, m);
    assert.deepEqual(validateNoiseSchedule(s.noise), s.noise, m);
  }
  assert.deepEqual(SYNTHETIC_METHODS.map((m) => stopLoss(m, T)), [0.02, 0.03, 0.03]);
});
