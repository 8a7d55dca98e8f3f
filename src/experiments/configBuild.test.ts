// The config builder shared by the CLI and the dashboard's run form: presets, patches, overrides and
// the one-line errors naming the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigInputError, presetConfig, resolveConfig } from './configBuild.js';
import { getExperiment } from './registry.js';

const syn = getExperiment('synthetic');

test('resolveConfig: preset + dotted overrides + seeds give a validated config', () => {
  const c = resolveConfig(syn, { preset: 'default', sets: [['train.eta1', 0.05], ['train.maxSteps', 500], ['train.annealAtStep', 200], ['train.noiseAnnealAtStep', 200]], seeds: 2 }) as unknown as { preset: string; seeds: number; train: { eta1: number; maxSteps: number } };
  assert.equal(c.preset, 'default');
  assert.equal(c.seeds, 2);
  assert.equal(c.train.eta1, 0.05);
  assert.equal(c.train.maxSteps, 500);
});

test('resolveConfig: unknown preset, unknown key, bad value and an event past the end are one-line errors naming the key', () => {
  assert.throws(() => presetConfig(syn, 'toString'), (e: Error) => e instanceof ConfigInputError && /unknown synthetic preset 'toString' \(available: default/.test(e.message));
  const bad = (sets: [string, unknown][], re: RegExp) => assert.throws(() => resolveConfig(syn, { preset: 'default', sets }), (e: Error) => e instanceof ConfigInputError && re.test(e.message) && !e.message.includes('\n'));
  bad([['train.eta9', 1]], /unknown config key 'train\.eta9'/);
  bad([['train.eta1', 'fast']], /config key 'train\.eta1'/);
  bad([['train.maxSteps', 100]], /train\.annealAtStep' .*past the end of training/);
  assert.throws(() => resolveConfig(syn, { seeds: 0 }), /--seeds must be a positive integer/);
});

test('resolveConfig: scaleSchedule moves the events with the length and says so', () => {
  const notes: string[] = [];
  const c = resolveConfig(syn, { preset: 'default', sets: [['train.maxSteps', 1200]], scaleSchedule: true }, notes) as unknown as { train: { annealAtStep: number } };
  assert.equal(c.train.annealAtStep, 600);
  assert.match(notes.join('\n'), /train\.maxSteps 12000 -> 1200/);
});

test('resolveConfig: scaleSchedule keeps an event inside a shorter run, refuses one with no room, and its hint for a key set by hand is not itself', () => {
  type T = { train: { annealAtStep: number; noiseAnnealAtStep: number } };
  const notes: string[] = [];
  // 11990 of 12000, rounded at x1/1000 onto the end (12): moved to the last step instead
  const patch = { train: { annealAtStep: 11990, noiseAnnealAtStep: 6000 } };
  const c = resolveConfig(syn, { preset: 'default', patch, sets: [['train.maxSteps', 12]], scaleSchedule: true }, notes) as unknown as T;
  assert.deepEqual([c.train.annealAtStep, c.train.noiseAnnealAtStep], [11, 6]);
  assert.match(notes.join('\n'), /train\.annealAtStep 11990 -> 11, train\.noiseAnnealAtStep 6000 -> 6 \(train\.annealAtStep: rounded onto the end, moved to the last step\)/);
  // a run of one step has no step inside it
  assert.throws(() => resolveConfig(syn, { preset: 'default', sets: [['train.maxSteps', 1]], scaleSchedule: true }),
    (e: Error) => e instanceof ConfigInputError && /^--scale-schedule: train\.annealAtStep \(6000 in a run of 12000\) has no step to move to before the end in a run of 1 \(train\.maxSteps = 1\): train for longer, or --set train\.annealAtStep yourself$/.test(e.message));
  // a key the user set past the end stays as given: the message does not suggest the flag he passed
  assert.throws(() => resolveConfig(syn, { preset: 'default', sets: [['train.maxSteps', 100], ['train.annealAtStep', 400]], scaleSchedule: true }),
    (e: Error) => e instanceof ConfigInputError && /annealAtStep' is at or past the end .*as --scale-schedule did not move it/.test(e.message) && !/or pass --scale-schedule/.test(e.message));
  assert.throws(() => resolveConfig(syn, { preset: 'default', sets: [['train.maxSteps', 100], ['train.annealAtStep', 400]] }), /or pass --scale-schedule/);
});

test('resolveConfig: scaleSchedule clamps list events in order, refuses two on the last epoch, and an event counted from a clamped milestone', () => {
  const img = getExperiment('images');
  const base = presetConfig(img, 'patch-fmnist') as unknown as { methods: { lr: unknown }[] };
  const withLr = (lr: unknown) => ({ methods: base.methods.map((m, i) => (i === 0 ? { ...m, lr } : m)) });
  const run = (lr: unknown) => resolveConfig(img, { preset: 'patch-fmnist', patch: withLr(lr), sets: [['train.epochs', 5]], scaleSchedule: true, checkEnvironment: false }) as unknown as { methods: { lr: { at: number[] } }[] };
  // 24 -> 5 epochs: 12 -> 3, 23 -> 5 (the end) -> 4
  assert.deepEqual(run({ kind: 'step', lr: 0.2, factor: 0.1, at: [12, 23], unit: 'epoch' }).methods[0]!.lr.at, [3, 4]);
  // 20 -> 4, 23 -> 5 -> 4: both at the last epoch
  assert.throws(() => run({ kind: 'step', lr: 0.2, factor: 0.1, at: [20, 23], unit: 'epoch' }),
    (e: Error) => e instanceof ConfigInputError && /^--scale-schedule: methods\.0\.lr\.at\.1 \(23 in a run of 24\) and the event before it would both be at the last epoch in a run of 5/.test(e.message));
  // the milestone 23 -> 5 -> 4, its child's step 12 -> 3 counts from it: 7, past the end
  assert.throws(() => run({ kind: 'sequence', milestones: [23], unit: 'epoch', schedules: [{ kind: 'constant', lr: 0.2 }, { kind: 'step', lr: 0.01, factor: 0.1, at: [12], unit: 'epoch' }] }),
    (e: Error) => e instanceof ConfigInputError && /^--scale-schedule: methods\.0\.lr\.schedules\.1\.at\.0 \(12 in a run of 24\) lands at or past the end, counted from an earlier event,/.test(e.message));
});
