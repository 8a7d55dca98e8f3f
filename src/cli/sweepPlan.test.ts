// ReusePlan.preview (what `lrlab sweep --dry-run` shows) decides what the plan a sweep makes
// decides, without touching a file: the parts each run trains itself and the runs it waits for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ReusePlan } from './sweepPlan.js';
import { pointConfig } from './sweep.js';
import { tempDir } from './runCli.testutil.js';
import { syntheticPreset } from '../experiments/synthetic/presets.js';
import { runSynthetic, synthetic } from '../experiments/synthetic/index.js';
import type { SyntheticExperimentConfig } from '../experiments/synthetic/config.js';
import type { BaseConfig } from '../experiments/experiment.js';

test('ReusePlan.preview: the same parts to train, runs waited for and counts as the plan of the sweep itself, and no file written', (t) => {
  const dir = tempDir(t, 'lrlab-plan-');
  const sweepDir = join(dir, 'runs', 'sweep');
  mkdirSync(join(dir, 'runs'), { recursive: true });
  const base = syntheticPreset('default') as unknown as BaseConfig;
  // eta1 changes L-S only, eta2 every method; two seeds
  const points = [[0.01, 0.003], [0.02, 0.003], [0.01, 0.001], [0.04, 0.001]].map(([eta1, eta2], i) => ({ label: `p00${i}`, values: { 'train.eta1': eta1, 'train.eta2': eta2 } }));
  const jobs = points.flatMap((p) => [0, 1].map((seed) => ({ cfg: pointConfig(base, p, seed), out: join(sweepDir, 'points', p.label, `seed${seed}`) })));
  for (const enabled of [true, false]) {
    const preview = ReusePlan.preview(synthetic, jobs, sweepDir, enabled);
    assert.deepEqual(readdirSync(join(dir, 'runs')), [], 'the preview writes nothing');
    const plan = new ReusePlan(synthetic, jobs, sweepDir, enabled);
    assert.deepEqual(preview.trains, plan.trains, `trains (reuse ${enabled})`);
    assert.deepEqual(preview.waitsFor.map((s) => [...s].sort()), plan.waitsFor.map((s) => [...s].sort()), `waitsFor (reuse ${enabled})`);
    assert.equal(preview.train, preview.trains.reduce((a, b) => a + b, 0));
    assert.equal(preview.train + preview.reused, jobs.length * 3);
  }
  const p = ReusePlan.preview(synthetic, jobs, sweepDir, true);
  // S and S+noise once per eta2 and seed (by p000 and p002), L-S at every point and seed
  assert.deepEqual(p.trains, [3, 3, 1, 1, 3, 3, 1, 1]);
  assert.deepEqual(p.waitsFor.map((s) => [...s]), [[], [], [0], [1], [], [], [4], [5]]);
});

test('ReusePlan.preview: finished parts inside the sweep folder itself are not counted as reused (the sweep never runs over a folder of its own that exists)', async (t) => {
  const dir = tempDir(t, 'lrlab-plan-own-');
  const runs = join(dir, 'runs'), sweepDir = join(runs, 'sweep');
  const base = syntheticPreset('default') as unknown as BaseConfig;
  const tiny = { 'train.maxSteps': 40, 'train.annealAtStep': 20, 'train.noiseAnnealAtStep': 20, 'train.evalEvery': 20, 'data.testSizes': { pOnly: 20, qOnly: 20, both: 20 } };
  const points = [0.01, 0.02].map((eta1, i) => ({ label: `p00${i}`, values: { ...tiny, 'train.eta1': eta1 } }));
  const jobs = points.map((p) => ({ cfg: pointConfig(base, p, 0), out: join(sweepDir, 'points', p.label, 'seed0') }));
  // the first point's run finished inside a (deleted-by---force) sweep folder: not a source
  await runSynthetic(jobs[0]!.cfg as unknown as SyntheticExperimentConfig, jobs[0]!.out);
  assert.deepEqual(ReusePlan.preview(synthetic, jobs, sweepDir, true), { train: 4, reused: 2, trains: [3, 1], waitsFor: [new Set(), new Set([0])] });
  // the same run beside the sweep folder, under the runs folder: its three parts are reused
  await runSynthetic(jobs[0]!.cfg as unknown as SyntheticExperimentConfig, join(runs, 'other'));
  assert.deepEqual(ReusePlan.preview(synthetic, jobs, sweepDir, true), { train: 1, reused: 5, trains: [0, 1], waitsFor: [new Set(), new Set()] });
});
