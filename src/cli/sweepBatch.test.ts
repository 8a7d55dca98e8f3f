// `lrlab sweep` trains the point runs whose parts can batch together (one `lrlab run-group` process
// per group): its summary, and every point run's part files and rows, equal those of `--no-batch`
// (one process per point run, parts one by one); reuse still trains each part identity once
// (sweepBatchResume.test.ts: an interrupted batched sweep resumed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { inProcess, tempDir, tinyConfig } from './runCli.testutil.js';
import { points, status, summary, trained } from './sweepResults.testutil.js';
import { findRunDirs } from '../runs/runScan.js';

test('a batched sweep (the default) equals --no-batch: summary, part files, rows; each part identity trained once', async (t) => {
  const dir = tempDir(t, 'lrlab-sweep-batch-');
  const cfg = tinyConfig(dir, { maxSteps: 120, noiseAnnealAtStep: 60, evalEvery: 30 });
  // each sweep under a runs folder of its own (reuse searches the folder that holds the sweep)
  const out = (name: string) => join(dir, name, 'sweep');
  const args = (o: string, ...more: string[]) => ['sweep', '--config', cfg, '--over', 'train.eta1=2,4,8,16', '--workers', '2', '--out', o, '--quiet', ...more];
  const [batched, single] = [out('batched'), out('single')];
  const a = await inProcess(args(batched));
  assert.equal(a.code, 0, a.err);
  const b = await inProcess(args(single, '--no-batch'));
  assert.equal(b.code, 0, b.err);
  assert.equal(summary(batched), summary(single), 'summary.json');
  assert.deepEqual(points(batched), points(single), 'every point run: part files and each part\'s rows');
  // 4 points x 3 methods: L-S at each point (4), S and S+noise once (2); 6 copied
  for (const s of [batched, single]) {
    assert.deepEqual([status(s).state, status(s).parts_run, status(s).parts_reused], ['done', 6, 6]);
    const ids = trained(s).map((p) => p.partId);
    assert.equal(ids.length, 6, 'parts trained');
    assert.equal(new Set(ids).size, 6, 'no part identity trained twice');
  }
  // the groups: wave 0 the first point (it trains S and S+noise), wave 1 the other points' L-S in two groups (2 workers)
  const pid = (s: string, run: string) => status(join(s, 'points', run)).pid;
  assert.equal(pid(batched, 'p001/seed3'), pid(batched, 'p003/seed3'), 'p001 and p003: one process');
  assert.equal(new Set(['p000', 'p001', 'p002'].map((p) => pid(batched, `${p}/seed3`))).size, 3);
  assert.equal(new Set(findRunDirs(join(single, 'points')).map((r) => pid(single, r))).size, 4, '--no-batch: a process per point run');
  assert.deepEqual(readdirSync(batched).filter((f) => f.startsWith('.group-')), [], 'group lists removed');
});
