import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scaleScheduleEvents, scheduleEvents } from './scheduleEvents.js';
import { validateLrSchedule } from './schedules.js';

test('scheduleEvents lists step, multistep and sequence events in absolute time', () => {
  assert.deepEqual(scheduleEvents({ kind: 'step', lr: 0.1, factor: 0.04, at: [30], unit: 'epoch' }), [{ path: ['at', 0], at: 30, unit: 'epoch' }]);
  assert.deepEqual(scheduleEvents({ kind: 'multistep', lr: 0.1, milestones: [60, 120], gamma: 0.2 }).map((e) => e.at), [60, 120]);
  assert.deepEqual(scheduleEvents({ kind: 'constant', lr: 0.1 }), []);
  const seq = validateLrSchedule({ kind: 'sequence', unit: 'epoch', milestones: [5], schedules: [
    { kind: 'linear', lr: 0.1, startFactor: 0.1, total: 5, unit: 'epoch' },
    { kind: 'step', lr: 0.1, factor: 0.1, at: [10], unit: 'epoch' },
  ] });
  assert.deepEqual(scheduleEvents(seq).map((e) => [e.path.join('.'), e.at]), [['milestones.0', 5], ['schedules.1.at.0', 15]]);
});

test('scaleScheduleEvents moves events of the unit, rounding, and reports what moved', () => {
  const s = { kind: 'multistep' as const, lr: 0.1, milestones: [60, 120, 150], gamma: 0.2, unit: 'epoch' as const };
  const r = scaleScheduleEvents(s, 24 / 200, 'epoch');
  assert.deepEqual(r.spec.milestones, [7, 14, 18]);
  assert.deepEqual(r.moved, [['milestones.0', 60, 7], ['milestones.1', 120, 14], ['milestones.2', 150, 18]]);
  assert.deepEqual(s.milestones, [60, 120, 150], 'the original is left alone');
  assert.deepEqual(scaleScheduleEvents(s, 0.5, 'step').moved, [], 'other units stay');
  assert.deepEqual(scaleScheduleEvents({ kind: 'step', lr: 1, factor: 0.5, at: [1], unit: 'epoch' }, 0.1, 'epoch').spec.at, [1], 'at least 1');
});
