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
import { runResults, status } from './sweepResults.testutil.js';
import { processAlive, readJson, readJsonl } from '../runs/runFolder.js';
import { sideBySideInfo } from './sideBySide.js';

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
  let running: { workers?: number[] } = {};
  const k = await lrlabKilledAtRow(args(cut, 2), cut, 80, { signal: 'SIGINT', before: () => { running = readJson(join(cut, 'status.json')); } });
  assert.ok(k.reached, `the run ended before it was interrupted (${k.stderr.slice(-400)})`);
  assert.equal(running.workers?.length, 2, 'status.json named two worker processes while it ran');
  assert.equal(k.code, 130, k.stderr);
  assert.match(k.stderr, /interrupted: checkpoint saved\. Continue with: lrlab resume /);
  assert.equal(status(cut).state, 'interrupted');
  assert.equal(readdirSync(join(cut, 'checkpoints')).length + readdirSync(join(cut, 'parts')).length, 12, 'every part checkpointed or finished');
  assert.deepEqual(readdirSync(cut).filter((f) => f.startsWith('.share-')), [], 'the share files are gone');
  const res = await inProcess(['resume', cut, '--quiet', '--workers', '2']);
  assert.equal(res.code, 0, res.err);
  assert.deepEqual(runResults(cut), runResults(ref));
  const whole = join(dir, 'whole');
  assert.equal((await inProcess(args(whole, 2))).code, 0);
  assert.deepEqual(runResults(whole), runResults(ref), 'uninterrupted, side by side');
  // one runtime.json entry per session, by one of the workers (the run's own process does not load libtorch)
  const sessions = (d: string) => readJson<{ sessions: { threads: number; cpuCapability: string; kernels: string | null }[] }>(join(d, 'runtime.json')).sessions;
  assert.equal(sessions(whole).length, 1);
  assert.equal(sessions(cut).length, 2, 'the run and its resume');
  for (const s of [...sessions(whole), ...sessions(cut)]) {
    assert.equal(s.threads, 1);
    assert.deepEqual([s.cpuCapability, s.kernels], [sessions(ref)[0]!.cpuCapability, sessions(ref)[0]!.kernels], 'the same settings as the run in one process');
  }
});

test('SIGKILL of a run side by side: its workers stop by themselves, then resume (one by one) ends as the uninterrupted run', async (t) => {
  const { dir, args } = setup(t);
  const ref = join(dir, 'ref'), cut = join(dir, 'cut');
  // one worker is stopped (SIGSTOP) just before its parent is killed: it cannot notice until it goes on
  let workers: number[] = [];
  const k = await lrlabKilledAtRow(args(cut, 2), cut, 80, {
    signal: 'SIGKILL', jitter: true,
    before: () => { workers = readJson<{ workers?: number[] }>(join(cut, 'status.json')).workers ?? []; if (workers[0]) process.kill(workers[0], 'SIGSTOP'); },
  });
  assert.ok(k.reached, k.stderr.slice(-400));
  assert.equal(workers.length, 2, 'status.json names both workers');
  try {
    const early = await inProcess(['resume', cut, '--quiet']);
    assert.equal(early.code, 2, early.err);
    assert.match(early.err, new RegExp(`is being run by process ${workers[0]}`));
  } finally { process.kill(workers[0]!, 'SIGCONT'); }
  const t0 = Date.now();
  while (workers.some(processAlive) && Date.now() - t0 < 10000) await new Promise((r) => setTimeout(r, 50));
  assert.ok(!workers.some(processAlive), 'the workers stopped within 10 s of their parent');
  // resumed one by one: each part cut after its own checkpoint, the two processes' checkpoints at
  // different offsets (whether cutting them one after another would have moved a later cut depends on
  // where the rows lie; partFiles.test.ts builds that case)
  const res = await inProcess(['resume', cut, '--quiet', '--no-batch']);
  assert.equal(res.code, 0, res.err);
  assert.equal((await inProcess(args(ref, 1))).code, 0);
  assert.deepEqual(runResults(cut), runResults(ref));
  assert.ok(!existsSync(join(cut, 'checkpoints')) || readdirSync(join(cut, 'checkpoints')).length === 0);
});

test('a worker that dies: the run fails naming its parts, the other checkpoints, and resume ends as the uninterrupted run', async (t) => {
  const { dir, args } = setup(t);
  const ref = join(dir, 'ref'), cut = join(dir, 'cut');
  // first interrupted (the two processes' checkpoints at different offsets), resumed side by side,
  // then one worker killed mid-run: its rows since its last checkpoint are cut on the next resume
  const k = await lrlabKilledAtRow(args(cut, 2), cut, 60, { signal: 'SIGINT' });
  assert.equal(k.code, 130, k.stderr);
  // the victim: the process of the share whose checkpoints lie further into the file (seeds 3-4 and
  // 5-6), killed before its first checkpoint after the resume: its checkpoints' byte offsets are stale
  // then (the resume's cut shrank the file), their row counts are not (partFiles.test.ts builds the case)
  const at = (seed: number) => readJson<{ metricsBytes: number }>(join(cut, 'checkpoints', `L-S-seed${seed}.json`)).metricsBytes;
  const share = at(5) > at(3) ? 1 : 0;
  let victim = 0;
  const rowsNow = readJsonl(join(cut, 'metrics.jsonl')).rows.length;
  const r = await lrlabKilledAtRow(['resume', cut, '--quiet', '--workers', '2'], cut, rowsNow + 8, {
    signal: 'SIGCONT', // (the run itself goes on: only its worker is killed)
    before: () => { victim = readJson<{ workers?: number[] }>(join(cut, 'status.json')).workers?.[share] ?? 0; if (victim) process.kill(victim, 'SIGKILL'); },
  });
  assert.ok(victim > 0, r.stderr);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /the process training parts .* side by side failed \(exit 137\): killed by signal 9; the other processes checkpointed their parts: lrlab resume /);
  const res = await inProcess(['resume', cut, '--quiet']);
  assert.equal(res.code, 0, res.err);
  assert.equal((await inProcess(args(ref, 1))).code, 0);
  assert.deepEqual(runResults(cut), runResults(ref));
});

test('--workers: a bad count, or side by side for parts of large ops, is refused', async () => {
  for (const w of ['0', 'two', '-1']) {
    const r = await inProcess(['synthetic', `--workers=${w}`, '--dry-run']);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, new RegExp(`--workers must be a positive integer, got '${w}'`));
  }
  // large ops (n d m above 2.5e7: all cores in one process); parts that do not batch but whose ops are small go side by side (below)
  const r = await inProcess(['synthetic', '--set', 'data.n=100000', '--workers', '2', '--dry-run']);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /--workers 2: this config's parts do not train side by side \(their ops are large/);
  assert.equal((await inProcess(['synthetic', '--set', 'model.arch=full', '--workers', '2', '--dry-run'])).code, 0);
  const nb = await inProcess(['synthetic', '--workers', '2', '--no-batch', '--dry-run']);
  assert.equal(nb.code, 2, nb.err);
  assert.match(nb.err, /--no-batch trains them one by one in one process/);
  const was = process.env.LRLAB_NUM_THREADS;
  process.env.LRLAB_NUM_THREADS = '2';
  try {
    const th = await inProcess(['synthetic', '--workers', '2', '--dry-run']);
    assert.equal(th.code, 2, th.err);
    assert.match(th.err, /LRLAB_NUM_THREADS=2 asks for 2: unset it, or use --workers 1/);
  } finally { process.env.LRLAB_NUM_THREADS = was; }
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

test('the status line of a side-by-side run names each process\'s own progress, and says done at the end', () => {
  assert.equal(sideBySideInfo([0, 0], ['', '']), '[1] starting | [2] starting');
  assert.equal(sideBySideInfo([0.5, 1], ['L-S seed 0 step 100', 'S seed 1 step 3000']), '[1] L-S seed 0 step 100 | [2] done');
  assert.equal(sideBySideInfo([1, 1], ['a', 'b']), 'done');
});
