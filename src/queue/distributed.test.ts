// Distributed sweeps end to end: a private redis-server, `lrlab worker` processes and coordinators
// (`lrlab sweep|synthetic --queue`, `lrlab resume`), on tiny synthetic configs. The results must be
// those of the same sweep run locally: summaries byte for byte, part files (weights fingerprints
// included) but for their wall-clock time, metrics.jsonl byte for byte.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { BIN, ROOT, lrlab, tempDir, tinyConfig } from '../cli/runCli.testutil.js';
import { redisMissing, freePort, startRedis, type TestRedis } from './redisServer.testutil.js';

const skip = redisMissing();
let redis: TestRedis;
before(async () => { if (!skip) redis = await startRedis(); });
after(async () => { await redis?.stop(); });

interface Proc { child: ChildProcess; log: () => string; exited: Promise<number | null> }

/** Start `lrlab args` with its stderr collected as it comes. */
function start(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, LRLAB_NUM_THREADS: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => { log += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
  const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  return { child, log: () => log, exited };
}

// a short lock lets a killed worker's part go to another within seconds; where no worker is killed a
// longer one keeps a worker slowed by a loaded machine (its event loop late to renew the lock) from
// having its part declared stalled and started a second time
const worker = (url: string, lockSeconds = 2) => start(['worker', '--queue', url, '--lock-seconds', String(lockSeconds), '--idle-exit', '120']);

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 60_000, everyMs = 50): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A part file without what may differ between two runs of it: its wall-clock time, and where a local sweep reused it from. */
function partCore(path: string): unknown {
  const { seconds, reusedFrom: _r, ...rest } = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  assert.equal(typeof seconds, 'number');
  return rest;
}

/** Run folders (folders with config.json) under dir, relative. */
function runDirs(dir: string, rel = ''): string[] {
  const here = join(dir, rel);
  if (!existsSync(here)) return [];
  if (existsSync(join(here, 'config.json'))) return [rel];
  return readdirSync(here, { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap((e) => runDirs(dir, join(rel, e.name)));
}

/**
 * Each part's metrics rows (the exact JSON lines, in order). The files' line order may differ: the
 * local runner interleaves the rows of parts it trains as one batched program.
 */
function rowsByPart(dir: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const line of readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l !== '')) {
    const { method, seed } = JSON.parse(line) as { method: string; seed: number };
    (out[`${method}-${seed}`] ??= []).push(line);
  }
  return out;
}

/** The distinct part identities of the run folders under dir. */
function partIds(dir: string): Set<string> {
  return new Set(runDirs(dir).flatMap((r) => readdirSync(join(dir, r, 'parts')).map((f) => (JSON.parse(readFileSync(join(dir, r, 'parts', f), 'utf8')) as { partId: string }).partId)));
}

/** `dir` holds the results of `ref`: the same runs, summaries, metrics rows and part files. */
function assertSameResults(dir: string, ref: string): void {
  if (existsSync(join(ref, 'sweep.json'))) assert.equal(readFileSync(join(dir, 'summary.json'), 'utf8'), readFileSync(join(ref, 'summary.json'), 'utf8'), 'sweep summary.json');
  const runs = runDirs(ref);
  assert.deepEqual(runDirs(dir), runs);
  for (const r of runs) {
    assert.equal(readFileSync(join(dir, r, 'summary.json'), 'utf8'), readFileSync(join(ref, r, 'summary.json'), 'utf8'), `${r}/summary.json`);
    assert.deepEqual(rowsByPart(join(dir, r)), rowsByPart(join(ref, r)), `${r}/metrics.jsonl`);
    const parts = readdirSync(join(ref, r, 'parts')).sort();
    assert.deepEqual(readdirSync(join(dir, r, 'parts')).sort(), parts);
    for (const f of parts) assert.deepEqual(partCore(join(dir, r, 'parts', f)), partCore(join(ref, r, 'parts', f)), `${r}/parts/${f}`);
    assert.equal(JSON.parse(readFileSync(join(dir, r, 'status.json'), 'utf8')).state, 'done');
  }
}

/** How often each job was started, over the given worker logs: {'<run dir> <part>': n} (a part equal in several points of a sweep is one job). */
function starts(...logs: string[]): Record<string, number> {
  const n: Record<string, number> = {};
  for (const m of logs.join('\n').matchAll(/part (\S+) of (\S+) started/g)) n[`${m[2]} ${m[1]}`] = (n[`${m[2]} ${m[1]}`] ?? 0) + 1;
  return n;
}

const SWEEP = ['--over', 'train.eta1=2,4', '--quiet'];

test('a sweep on two queue workers gives the local sweep\'s results; a coordinator killed and resumed runs no part twice', { skip: skip ?? false, timeout: 180_000 }, async (t) => {
  const dir = tempDir(t, 'lrlab-queue-');
  const cfg = tinyConfig(dir, { checkpointEvery: 50 });
  const url = redis.url();
  const [w1, w2] = [worker(url, 20), worker(url, 20)];
  t.after(() => { w1.child.kill('SIGKILL'); w2.child.kill('SIGKILL'); });
  const [local, queued] = await Promise.all([
    lrlab(['sweep', '--config', cfg, ...SWEEP, '--workers', '2', '--out', join(dir, 'a', 'local')]),
    lrlab(['sweep', '--config', cfg, ...SWEEP, '--out', join(dir, 'b', 'queued'), '--queue', url]),
  ]);
  assert.equal(local.code, 0, local.stderr);
  assert.equal(queued.code, 0, queued.stderr);
  assert.equal(queued.stdout.split('\n')[0], local.stdout.split('\n')[0]);
  assertSameResults(join(dir, 'b', 'queued'), join(dir, 'a', 'local'));
  assert.ok(!queued.stderr.includes(redis.password), 'the password is never shown');
  const ids = partIds(join(dir, 'b', 'queued')).size; // L-S at each eta1; S and S+noise do not depend on eta1
  assert.equal(ids, 4);
  const byWorker = [w1.log(), w2.log()].map((l) => Object.keys(starts(l)).length);
  assert.equal(byWorker[0]! + byWorker[1]!, ids, 'each distinct part trained once');
  assert.ok(byWorker[0]! > 0 && byWorker[1]! > 0, `both workers took parts (${byWorker.join(', ')})`);

  // the coordinator SIGKILLed once the first part is back, then resumed: every part runs exactly once
  const out = join(dir, 'c', 'resumed'); // (folders apart: a sweep reuses finished parts of the runs beside it)
  const before = [w1.log().length, w2.log().length];
  const coord = start(['sweep', '--config', cfg, ...SWEEP, '--out', out, '--queue', url]);
  await until('a first part file', () => runDirs(out).some((r) => existsSync(join(out, r, 'parts')) && readdirSync(join(out, r, 'parts')).length > 0));
  coord.child.kill('SIGKILL');
  await coord.exited;
  assert.ok(!existsSync(join(out, 'summary.json')), 'killed before the end');
  assert.ok(!readFileSync(join(out, 'queue.json'), 'utf8').includes(redis.password), 'no password in the run folder');
  // the folder records the queue without its password: it comes from the environment
  const resumed = start(['resume', out, '--quiet'], { LRLAB_QUEUE_PASSWORD: redis.password });
  assert.equal(await resumed.exited, 0, resumed.log());
  assertSameResults(out, join(dir, 'a', 'local'));
  const counts = starts(w1.log().slice(before[0]), w2.log().slice(before[1]));
  assert.equal(Object.keys(counts).length, ids, JSON.stringify(counts));
  assert.ok(Object.values(counts).every((c) => c === 1), `a part ran twice: ${JSON.stringify(counts)}`);
  const r = new Redis({ port: redis.port, password: redis.password, lazyConnect: true });
  t.after(() => r.disconnect()); // (also when an assertion fails: a client left connected retries forever and keeps the file alive)
  await r.connect();
  assert.deepEqual(await r.keys('lrlab:ckpt:*'), [], 'collected parts leave no checkpoint in Redis');
});

test('a worker SIGKILLed in the middle of a part: another continues it from its checkpoint, with identical results', { skip: skip ?? false, timeout: 180_000 }, async (t) => {
  const dir = tempDir(t, 'lrlab-queue-');
  // (long enough parts, and a close watch: on a fast machine a part of 800 steps and its checkpoints
  // came and went between two looks 50 ms apart)
  const cfg = tinyConfig(dir, { maxSteps: 2400, evalEvery: 100, checkpointEvery: 100, noiseAnnealAtStep: 1200 });
  const url = redis.url(1); // a database of its own: the other test's workers do not see it
  const ref = lrlab(['synthetic', '--config', cfg, '--out', join(dir, 'local'), '--quiet']);
  const a = worker(url);
  t.after(() => { a.child.kill('SIGKILL'); });
  const coord = start(['synthetic', '--config', cfg, '--out', join(dir, 'queued'), '--queue', url, '--quiet']);
  const r = new Redis({ port: redis.port, password: redis.password, db: 1, lazyConnect: true });
  await r.connect();
  t.after(() => r.disconnect());
  await until('a checkpoint in Redis', async () => (await r.keys('lrlab:ckpt:*')).length > 0, 60_000, 5);
  a.child.kill('SIGKILL');
  await a.exited;
  const b = worker(url);
  t.after(() => { b.child.kill('SIGKILL'); });
  assert.equal(await coord.exited, 0, coord.log());
  const local = await ref;
  assert.equal(local.code, 0, local.stderr);
  assertSameResults(join(dir, 'queued'), join(dir, 'local'));
  assert.match(b.log(), /started \(attempt \d+, continuing from its checkpoint after \d+ row\(s\)\)/, b.log());
  assert.ok(!existsSync(join(dir, 'queued', 'checkpoints', 'S-seed3.json')));
});

test('a wrong password, a missing one or an unreachable server: a one-line error naming the URL, password hidden, exit 2', { skip: skip ?? false, timeout: 120_000 }, async (t) => {
  const dir = tempDir(t, 'lrlab-queue-');
  const cfg = tinyConfig(dir);
  const dead = await freePort();
  const [wrong, none, unreachable, badUrl] = await Promise.all([
    lrlab(['synthetic', '--config', cfg, '--out', join(dir, 'a'), '--queue', `redis://:not-${redis.password}@127.0.0.1:${redis.port}`]),
    lrlab(['worker', '--queue', `redis://127.0.0.1:${redis.port}`]),
    lrlab(['sweep', '--config', cfg, ...SWEEP, '--out', join(dir, 'b'), '--queue', `redis://:secret@127.0.0.1:${dead}`]),
    lrlab(['worker', '--queue', `http://:secret@127.0.0.1:${dead}`]),
  ]);
  const oneLine = (r: { code: number | null; stderr: string }, what: RegExp) => {
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, what);
    assert.ok(!r.stderr.includes('secret') && !r.stderr.includes(redis.password), r.stderr);
  };
  oneLine(wrong, new RegExp(`cannot use the queue at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${redis.port}: wrong password`));
  oneLine(none, new RegExp(`cannot use the queue at redis://127\\.0\\.0\\.1:${redis.port}: the server asks for a password`));
  oneLine(unreachable, new RegExp(`cannot use the queue at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${dead}: connection refused`));
  oneLine(badUrl, /--queue http:\/\/:\*\*\*@127\.0\.0\.1:\d+: scheme must be redis or rediss/);
  assert.ok(!existsSync(join(dir, 'a', 'metrics.jsonl')) && !existsSync(join(dir, 'b', 'sweep.json')));
});
