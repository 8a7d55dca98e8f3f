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
