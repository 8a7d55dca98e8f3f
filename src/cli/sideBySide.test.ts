// A run's parts trained side by side (--workers 2: two `lrlab run-share` processes, each its share as
// one batched program): the same part files, rows (per part, in file order) and summary as the run in
// one process; SIGINT to the run checkpoints every part and `lrlab resume` ends as the uninterrupted
// run; after a SIGKILL of the run's process its workers stop by themselves, a resume meanwhile is
// refused, and the resume after (one by one: each part cut after its own checkpoint, which the two
// processes took at different offsets) ends as the uninterrupted run. Bad --workers values are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { BIN, inProcess, lrlabKilledAtRow, tempDir, tinyConfig } from './runCli.testutil.js';
import { status, summary } from './sweepResults.testutil.js';
import { processAlive, readJson, readJsonl } from '../runs/runFolder.js';

/** Rows by part (file order, wall-clock seconds dropped), part files without seconds, the summary. */
function results(dir: string): Record<string, unknown> {
  const out: Record<string, unknown> = { summary: summary(dir) };
  for (const { seconds: _s, ...r } of readJsonl<{ method: string; seed: number; seconds?: number }>(join(dir, 'metrics.jsonl')).rows) {
    ((out[`rows ${r.method} ${r.seed}`] ??= []) as unknown[]).push(r);
  }
  for (const f of readdirSync(join(dir, 'parts')).sort()) { const { seconds: _s, ...p } = readJson<{ seconds?: number }>(join(dir, 'parts', f)); out[f] = p; }
  return out;
}

const setup = (t: Parameters<typeof tempDir>[0]) => {
  const dir = tempDir(t, 'lrlab-side-');
  const cfg = tinyConfig(dir, { maxSteps: 1500, noiseAnnealAtStep: 750, evalEvery: 75, checkpointEvery: 150 });
  const args = (out: string, workers: number) => ['synthetic', '--config', cfg, '--seeds', '4', '--workers', String(workers), '--out', out, '--quiet', '--no-reuse'];
  return { dir, args };
};

test('--workers 2 trains a run side by side with the results of one process; SIGINT, then resume, ends the same', async (t) => {
  const { dir, args } = setup(t);
  const ref = join(dir, 'ref'), cut = join(dir, 'cut');
  assert.equal((await inProcess(args(ref, 1))).code, 0);
  // (12 parts of 21 rows each: interrupted well inside)
  const k = await lrlabKilledAtRow(args(cut, 2), cut, 80, { signal: 'SIGINT' });
  assert.ok(k.reached, `the run ended before it was interrupted (${k.stderr.slice(-400)})`);
  assert.equal(k.code, 130, k.stderr);
  assert.match(k.stderr, /interrupted: checkpoint saved\. Continue with: lrlab resume /);
  assert.equal(status(cut).state, 'interrupted');
  assert.equal(readdirSync(join(cut, 'checkpoints')).length + readdirSync(join(cut, 'parts')).length, 12, 'every part checkpointed or finished');
  assert.deepEqual(readdirSync(cut).filter((f) => f.startsWith('.share-')), [], 'the share files are gone');
  const res = await inProcess(['resume', cut, '--quiet', '--workers', '2']);
  assert.equal(res.code, 0, res.err);
  assert.deepEqual(results(cut), results(ref));
  const whole = join(dir, 'whole');
  assert.equal((await inProcess(args(whole, 2))).code, 0);
  assert.deepEqual(results(whole), results(ref), 'uninterrupted, side by side');
});

test('SIGKILL of a run side by side: its workers stop by themselves, then resume (one by one) ends as the uninterrupted run', async (t) => {
  const { dir, args } = setup(t);
  const ref = join(dir, 'ref'), cut = join(dir, 'cut');
  const k = await lrlabKilledAtRow(args(cut, 2), cut, 80, { signal: 'SIGKILL', jitter: true });
  assert.ok(k.reached, k.stderr.slice(-400));
  const workers = readJson<{ workers?: number[] }>(join(cut, 'status.json')).workers ?? [];
  assert.equal(workers.length, 2, 'status.json names both workers');
  // a resume while a worker still lives is refused (exit 2), naming it
  if (workers.some(processAlive)) {
    const early = await inProcess(['resume', cut, '--quiet']);
    if (workers.some(processAlive)) assert.equal(early.code, 2, early.err);
  }
  const t0 = Date.now();
  while (workers.some(processAlive) && Date.now() - t0 < 10000) await new Promise((r) => setTimeout(r, 50));
  assert.ok(!workers.some(processAlive), 'the workers stopped within 10 s of their parent');
  // resumed one by one: each part cut after its own checkpoint, the two processes' checkpoints at
  // different offsets (whether cutting them one after another would have moved a later cut depends on
  // where the rows lie; partFiles.test.ts builds that case)
  const res = await inProcess(['resume', cut, '--quiet', '--no-batch']);
  assert.equal(res.code, 0, res.err);
  assert.equal((await inProcess(args(ref, 1))).code, 0);
  assert.deepEqual(results(cut), results(ref));
  assert.ok(!existsSync(join(cut, 'checkpoints')) || readdirSync(join(cut, 'checkpoints')).length === 0);
});

test('--workers: a bad count, or side by side for parts that do not batch, is refused', async () => {
  for (const w of ['0', 'two', '-1']) {
    const r = await inProcess(['synthetic', `--workers=${w}`, '--dry-run']);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, new RegExp(`--workers must be a positive integer, got '${w}'`));
  }
  const r = await inProcess(['synthetic', '--set', 'model.arch=full', '--workers', '2', '--dry-run']);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /--workers 2: this config's parts do not train side by side/);
});

test('by default a run goes side by side, one process per core (at most one per 2 parts), unless LRLAB_NUM_THREADS is set', async () => {
  const dryRun = (env: NodeJS.ProcessEnv) => new Promise<string>((resolve) => {
    const child = spawn(process.execPath, [BIN, 'synthetic', '--preset', 'order', '--seeds', '8', '--dry-run'], { env });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.stdout.resume();
    child.on('close', () => resolve(err));
  });
  const { LRLAB_NUM_THREADS: _t, ...unset } = process.env;
  const n = Math.min(availableParallelism(), 12);
  const auto = await dryRun(unset);
  if (n > 1) assert.match(auto, new RegExp(`side by side: ${n} processes of one thread`), auto);
  else assert.doesNotMatch(auto, /side by side/, auto);
  assert.doesNotMatch(await dryRun({ ...unset, LRLAB_NUM_THREADS: '1' }), /side by side/);
});
