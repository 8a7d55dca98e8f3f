// An interrupted batched sweep (SIGINT to the sweep process, while a group of two point runs trains):
// every group checkpoints, and `lrlab resume` ends with the summary, part files and rows (in file
// order) of the uninterrupted sweep; the resumed sweep's waiting runs still get their shared parts
// copied, not trained again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { inProcess, lrlab, tempDir, tinyConfig } from './runCli.testutil.js';
import { points, status, summary } from './sweepResults.testutil.js';
import { findRunDirs } from '../runs/runScan.js';
import { readJsonl } from '../runs/runFolder.js';

test('SIGINT to a batched sweep, then `lrlab resume`, ends as the uninterrupted sweep', async (t) => {
  const dir = tempDir(t, 'lrlab-sweep-resume-');
  const cfg = tinyConfig(dir, { maxSteps: 1500, noiseAnnealAtStep: 750, evalEvery: 75, checkpointEvery: 150 });
  // S and S+noise depend on lambda, not eta1: wave 0 = p000 and p001 (eta1 = 2, both lambdas) as one
  // group (1 worker), wave 1 = p002 and p003, which wait for them and train only their L-S
  const args = (o: string) => ['sweep', '--config', cfg, '--over', 'train.eta1=2,4', '--over', 'train.lambda=0.001,0.002', '--workers', '1', '--out', o, '--quiet'];
  const ref = join(dir, 'ref', 'sweep'), cut = join(dir, 'cut', 'sweep');
  const rowsIn = (s: string) => (existsSync(join(s, 'points')) ? findRunDirs(join(s, 'points')) : [])
    .reduce((n, r) => n + readJsonl(join(s, 'points', r, 'metrics.jsonl')).rows.length, 0);
  let sent = false;
  // (the first group's 6 parts write 21 rows each)
  const k = await lrlab(args(cut), (child) => {
    const poll = setInterval(() => {
      if (rowsIn(cut) < 40) return;
      clearInterval(poll);
      sent = true;
      child.kill('SIGINT');
    }, 5);
    child.on('close', () => clearInterval(poll));
  });
  assert.ok(sent, `the sweep ended before it was interrupted (${k.stderr.slice(-400)})`);
  assert.equal(k.code, 130, k.stderr);
  assert.match(k.stderr, /interrupted: .* Continue with: lrlab resume /);
  assert.equal(status(cut).state, 'interrupted');
  const runs = findRunDirs(join(cut, 'points'));
  assert.deepEqual(runs, ['p000/seed3', 'p001/seed3'], 'the waiting runs did not start');
  for (const r of runs) {
    assert.equal(status(join(cut, 'points', r)).state, 'interrupted', r);
    assert.equal(readdirSync(join(cut, 'points', r, 'checkpoints')).length, 3, `${r}: every part checkpointed`);
  }
  const res = await inProcess(['resume', cut, '--quiet']);
  assert.equal(res.code, 0, res.err);
  const full = await inProcess(args(ref));
  assert.equal(full.code, 0, full.err);
  assert.equal(summary(cut), summary(ref), 'summary.json');
  assert.deepEqual(points(cut, true), points(ref, true), 'every point run: part files, rows in file order');
  assert.deepEqual([status(cut).parts_run, status(cut).parts_reused], [status(ref).parts_run, status(ref).parts_reused]);
  assert.deepEqual([status(ref).parts_run, status(ref).parts_reused], [8, 4], 'S and S+noise once per lambda');
  const pid = (s: string, run: string) => status(join(s, 'points', run)).pid;
  assert.equal(pid(cut, 'p000/seed3'), pid(cut, 'p001/seed3'), 'resumed as one group');
  assert.equal(pid(cut, 'p002/seed3'), pid(cut, 'p003/seed3'));
});
