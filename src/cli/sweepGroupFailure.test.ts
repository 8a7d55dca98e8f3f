// A group whose process fails (here: one of its point runs holds a checkpoint it refuses) does not
// fail its other runs: the sweep runs the group's runs not done again one by one, so only the culprit
// fails, with its own message, and the others end as they would have.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inProcess, tempDir, tinyConfig } from './runCli.testutil.js';
import { status, summary } from './sweepResults.testutil.js';

test('a refused point run fails alone: the other runs of its group finish, the sweep names the culprit', async (t) => {
  const dir = tempDir(t, 'lrlab-sweep-fail-');
  const cfg = tinyConfig(dir, { maxSteps: 60, noiseAnnealAtStep: 30, evalEvery: 30 });
  const sweep = join(dir, 'sweep');
  // --no-reuse: no run waits for another, so with 1 worker the two points are one group
  const first = await inProcess(['sweep', '--config', cfg, '--over', 'train.eta1=2,4', '--workers', '1', '--no-reuse', '--out', sweep, '--quiet']);
  assert.equal(first.code, 0, first.err);
  const ref = summary(join(sweep, 'points', 'p000', 'seed3'));
  assert.equal(status(join(sweep, 'points', 'p000', 'seed3')).pid, status(join(sweep, 'points', 'p001', 'seed3')).pid, 'one group');
  // both runs to do again; p001 with a torn checkpoint (what a crash in the middle of a write would leave, had writes not been atomic)
  for (const p of ['p000', 'p001']) {
    const run = join(sweep, 'points', p, 'seed3');
    rmSync(join(run, 'summary.json'));
    for (const f of readdirSync(join(run, 'parts'))) rmSync(join(run, 'parts', f));
  }
  const bad = join(sweep, 'points', 'p001', 'seed3', 'checkpoints');
  mkdirSync(bad, { recursive: true });
  writeFileSync(join(bad, 'S-seed3.json'), '{"codeVersion": "0.0.0", "torn');
  const r = await inProcess(['resume', sweep, '--quiet']);
  assert.equal(r.code, 1, r.err);
  assert.equal(summary(join(sweep, 'points', 'p000', 'seed3')), ref, 'p000 ended as before');
  assert.ok(!existsSync(join(sweep, 'points', 'p001', 'seed3', 'summary.json')), 'p001 not run');
  const failed = r.err.split('\n').filter((l) => /^ {2}p00\d/.test(l));
  assert.equal(failed.length, 1, r.err);
  assert.match(failed[0]!, /^ {2}p001\/seed3 .*seed 3: .*p001\/seed3\/checkpoints\/S-seed3\.json is corrupt/);
});
