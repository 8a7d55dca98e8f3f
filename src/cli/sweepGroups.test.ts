// How a local sweep groups its point runs: waves after the runs they wait for (reuse), one batchKey
// per group, as many groups per wave as workers where there are runs enough, work about even; with
// --no-batch (or no batchKey) every run alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sweepGroups, waves, type GroupJob } from './sweepGroups.js';
import { getExperiment } from '../experiments/registry.js';
import { deepMerge } from '../experiments/configTools.js';
import type { BaseConfig } from '../experiments/experiment.js';

const synthetic = getExperiment('synthetic');
const cfg = (patch: unknown = {}) => synthetic.validate(deepMerge(synthetic.presets.default!.config(), patch)) as BaseConfig;
const job = (c: BaseConfig, waitsFor: number[] = [], trains = 3): GroupJob => ({ cfg: c, waitsFor: new Set(waitsFor), trains });

test('waves: a run comes one wave after the last of the runs it waits for', () => {
  const js = [job(cfg()), job(cfg()), job(cfg(), [0]), job(cfg(), [1, 2]), job(cfg(), [0])];
  assert.deepEqual(waves(js), [0, 0, 1, 2, 1]);
  assert.throws(() => waves([job(cfg(), [1]), job(cfg(), [0])]), /waits for itself/);
});

test('groups: one batchKey and one wave per group, as many per wave as workers, no run with a run it waits for', () => {
  // a sweep over L-S's eta1, 4 points x 2 seeds: the first point's seeds own S and S+noise, the others wait for them
  const js = [0, 1, 2, 3].flatMap((p) => [0, 1].map((s) => job(cfg({ train: { eta1: 0.01 * (p + 1) }, seed: s }), p === 0 ? [] : [s], p === 0 ? 3 : 1)));
  const g2 = sweepGroups(synthetic, js, 2, true);
  assert.deepEqual(g2, [[0], [1], [2, 4, 6], [3, 5, 7]]);
  assert.deepEqual(sweepGroups(synthetic, js, 1, true), [[0, 1], [2, 3, 4, 5, 6, 7]]);
  assert.deepEqual(sweepGroups(synthetic, js, 2, false), js.map((_, i) => [i]), '--no-batch: each run alone');
  for (const groups of [g2, sweepGroups(synthetic, js, 3, true), sweepGroups(synthetic, js, 16, true)]) {
    assert.deepEqual(groups.flat().sort((a, b) => a - b), js.map((_, i) => i), 'every run in one group');
    for (const g of groups) for (const i of g) for (const o of js[i]!.waitsFor) assert.ok(!g.includes(o), `run ${i} with ${o}`);
  }
  // other shapes (data.d), or no batchKey (minibatch SGD): apart; two batchKeys fill two workers without splitting
  const mixed = [job(cfg()), job(cfg({ data: { d: 150 } })), job(cfg()), job(cfg({ data: { d: 150 } })), job(cfg({ train: { update: 'sgd' } }))];
  assert.deepEqual(sweepGroups(synthetic, mixed, 2, true), [[0, 2], [1, 3], [4]]);
  assert.deepEqual(sweepGroups(synthetic, mixed.slice(0, 4), 4, true), [[0], [1], [2], [3]]);
  // about even work: parts to train x training length
  const uneven = [job(cfg(), [], 6), job(cfg()), job(cfg()), job(cfg(), [], 0), job(cfg())];
  assert.deepEqual(sweepGroups(synthetic, uneven, 2, true), [[0, 4], [1, 2, 3]]);
  // the images kind has no batchKey: every run alone
  const images = getExperiment('images');
  const img = images.validate(images.presets[images.defaultPreset]!.config()) as BaseConfig;
  assert.deepEqual(sweepGroups(images, [job(img), job(img)], 1, true), [[0], [1]]);
});
