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
import { synthetic } from '../experiments/synthetic/index.js';
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
