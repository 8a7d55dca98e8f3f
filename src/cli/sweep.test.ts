// `lrlab sweep` with reuse: a sweep over L-S's eta1 trains S and S+noise once per seed, a second
// identical sweep trains nothing, and the reused results equal those of a sweep that trained
// everything (--no-reuse); status.json and the terminal say how many parts ran and were reused.
// Also: range grids, a seeded random search, and one-line errors for malformed specs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inProcess, tempDir, tinyConfig } from './runCli.testutil.js';

/** Run thunks one after another (they share the patched console). */
async function series<T>(fs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = [];
  for (const f of fs) out.push(await f());
  return out;
}


const status = (d: string) => JSON.parse(readFileSync(join(d, 'status.json'), 'utf8')) as { state: string; parts_run?: number; parts_reused?: number };

test('sweep over train.eta1 trains S and S+noise once per seed; a second identical sweep trains none', async (t) => {
  const dir = tempDir(t, 'lrlab-sweep-reuse-');
  const cfg = tinyConfig(dir, { maxSteps: 100, noiseAnnealAtStep: 50 });
  const args = (out: string, ...more: string[]) => ['sweep', '--config', cfg, '--over', 'train.eta1=2,4', '--seeds', '2', '--workers', '2', '--out', out, '--quiet', ...more];
  const a = join(dir, 'runs', 'a'), b = join(dir, 'runs', 'b');
  const first = await inProcess(args(a));
  assert.equal(first.code, 0, first.err);
  // 2 points x 2 seeds x 3 methods: L-S at each point and seed (4), S and S+noise once per seed (4); 4 copied
  assert.deepEqual([status(a).state, status(a).parts_run, status(a).parts_reused], ['done', 8, 4]);
  assert.match(first.out, /^8 parts run, 4 reused \(copied from finished parts/m);
  assert.match(first.out, /^sweep over train\.eta1: final test accuracy/m);
  assert.match(first.out, /^p001 +4 +[\d.]+ ± [\d.]+ /m);
  const part = (d: string, p: string, f: string) => JSON.parse(readFileSync(join(d, 'points', p, 'seed3', 'parts', f), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(part(a, 'p001', 'S-seed3.json').reusedFrom, { run: join(a, 'points', 'p000', 'seed3'), method: 'S' });
  assert.equal(part(a, 'p000', 'S-seed3.json').reusedFrom, undefined);
  assert.equal(part(a, 'p001', 'L-S-seed3.json').reusedFrom, undefined, 'L-S depends on eta1: trained at each point');
  const again = await inProcess(args(b));
  assert.equal(again.code, 0, again.err);
  assert.deepEqual([status(b).parts_run, status(b).parts_reused], [0, 12], 'the same sweep again trains no part');
  assert.match(again.out, /^0 parts run, 12 reused \(copied/m);
  const rows = (d: string) => (JSON.parse(readFileSync(join(d, 'summary.json'), 'utf8')) as { rows?: unknown[]; methods?: unknown }).rows ?? (JSON.parse(readFileSync(join(d, 'summary.json'), 'utf8')) as { methods: unknown }).methods;
  assert.deepEqual(rows(b), rows(a), 'the same table');
  // a single run of one of the sweep's points copies all its parts; with --no-reuse it trains them
  const single = await inProcess(['synthetic', '--config', cfg, '--set', 'train.eta1=4', '--out', join(dir, 'runs', 'd')]);
  assert.equal(single.code, 0, single.err);
  assert.match(single.err, /reused 3 of 3 part\(s\) already run with the same part identity \(--no-reuse trains them again\): L-S seed 3 from .*p001\/seed3/);
  const trained = await inProcess(['synthetic', '--config', cfg, '--set', 'train.eta1=4', '--out', join(dir, 'runs', 'e'), '--no-reuse', '--quiet']);
  assert.equal(trained.code, 0, trained.err);
  assert.equal(readFileSync(join(dir, 'runs', 'e', 'parts', 'L-S-seed3.json'), 'utf8').includes('reusedFrom'), false);
  assert.deepEqual(rows(join(dir, 'runs', 'd')), rows(join(dir, 'runs', 'e')));
  const noReuse = await inProcess(['sweep', '--config', cfg, '--over', 'train.eta1=2', '--out', join(dir, 'runs', 'c'), '--quiet', '--no-reuse']);
  assert.equal(noReuse.code, 0, noReuse.err);
  assert.deepEqual([status(join(dir, 'runs', 'c')).parts_run, status(join(dir, 'runs', 'c')).parts_reused], [3, 0], '--no-reuse trains every part');
});

test('sweep grids: lin/log ranges and a seeded random search in --dry-run; malformed specs are one-line usage errors', async (t) => {
  const dir = tempDir(t, 'lrlab-sweep-grid-');
  const cfg = tinyConfig(dir);
  const dry = (...over: string[]) => inProcess(['sweep', '--config', cfg, ...over, '--dry-run', '--out', join(dir, 'never')]);
  type R = Awaited<ReturnType<typeof dry>>;
  const [log, sample, sample2, otherSeed, bad, twice, badSample, seedAlone] = (await series([
    () => dry('--over', 'train.eta1=log:0.001:0.1:3', '--over', 'train.eta2=lin:0.5:1:2'),
    () => dry('--over', 'train.eta1=log:0.001:0.1', '--over', 'train.eta2=0.5,1', '--sample', '4'),
    () => dry('--over', 'train.eta1=log:0.001:0.1', '--over', 'train.eta2=0.5,1', '--sample', '4'),
    () => dry('--over', 'train.eta1=log:0.001:0.1', '--over', 'train.eta2=0.5,1', '--sample', '4', '--sample-seed', '9'),
    () => dry('--over', 'train.eta1=log:0:0.1:3'),
    () => dry('--over', 'train.eta1=1,2', '--over', 'train.eta1=3'),
    () => dry('--over', 'train.eta1=1,2', '--sample', '0'),
    () => dry('--over', 'train.eta1=1,2', '--sample-seed', '3'),
  ])) as [R, R, R, R, R, R, R, R];
  assert.equal(log.code, 0, log.err);
  assert.match(log.err, /would run 6 grid point\(s\)/);
  // L-S at each of the 6 points; S and S+noise depend on eta2, not eta1: once per eta2 value
  assert.match(log.err, /^parts: 10 to train, 8 reused \(same part identity/m);
  assert.match(log.err, /^p000 +0\.001 +0\.5 *$/m);
  assert.match(log.err, /^p005 +0\.1 +1 *$/m);
  // the worker processes' groups: the owners of S and S+noise (one per eta2) in wave 0, the other
  // points' L-S in wave 1, batched two runs to a group (2 workers)
  const groups = await dry('--over', 'train.eta1=log:0.001:0.1:3', '--over', 'train.eta2=lin:0.5:1:2', '--workers', '2');
  assert.equal(groups.code, 0, groups.err);
  assert.match(groups.err, /^worker processes: 4 group\(s\) of point runs, 2 at a time; each group's parts as one batched program:$/m);
  const table = groups.err.split('\n').filter((l) => /^g\d /.test(l)).map((l) => l.trim().split(/ {2,}/));
  assert.deepEqual(table, [
    ['g0', '0', '1', '3', 'p000/seed3'], ['g1', '0', '1', '3', 'p001/seed3'],
    ['g2', '1', '2', '2', 'p002/seed3, p004/seed3'], ['g3', '1', '2', '2', 'p003/seed3, p005/seed3'],
  ]);
  const oneByOne = await dry('--over', 'train.eta1=1,2', '--workers', '2', '--no-batch');
  assert.match(oneByOne.err, /^worker processes: 2 group\(s\) of point runs, 2 at a time; each run's parts one by one \(--no-batch\):$/m);
  assert.equal(sample.code, 0, sample.err);
  assert.match(sample.err, /would run 4 grid point\(s\)/);
  const pts = (s: string) => s.split('\n').filter((l) => /^p00\d /.test(l));
  assert.deepEqual(pts(sample.err), pts(sample2.err), 'the same seed, the same points');
  assert.notDeepEqual(pts(sample.err), pts(otherSeed.err));
  for (const l of pts(sample.err)) {
    const [, eta1, eta2] = l.trim().split(/ +/).map(Number);
    assert.ok(eta1! >= 0.001 && eta1! <= 0.1 && (eta2 === 0.5 || eta2 === 1), l);
  }
  for (const [r, re] of [[bad, /--over train\.eta1: a log range needs ends > 0/], [twice, /--over train\.eta1 is given twice/],
    [badSample, /--sample must be a positive integer/], [seedAlone, /--sample-seed needs --sample N/]] as const) {
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, re);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
  }
});

test('sweep --over the training length with --scale-schedule: each grid point\'s schedule moves with its own length, and says so', async (t) => {
  const dir = tempDir(t, 'lrlab-sweep-scale-');
  const cfg = tinyConfig(dir, { annealAtStep: 150, noiseAnnealAtStep: 100 });
  const over = ['--over', 'train.maxSteps=100,400'];
  const plain = await inProcess(['sweep', '--config', cfg, ...over, '--dry-run', '--out', join(dir, 'never')]);
  assert.equal(plain.code, 2);
  assert.match(plain.err, /grid point \{"train.maxSteps":100\}: .*annealAtStep.* pass --scale-schedule/);
  const out = join(dir, 'sw');
  const r = await inProcess(['sweep', '--config', cfg, ...over, '--scale-schedule', '--seeds', '1', '--out', out]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /^grid point p000: --scale-schedule: train.maxSteps 200 -> 100 \(x0.500\): train.annealAtStep 150 -> 75, train.noiseAnnealAtStep 100 -> 50$/m);
  assert.match(r.err, /^grid point p001: --scale-schedule: train.maxSteps 200 -> 400 \(x2.00\): train.annealAtStep 150 -> 300, train.noiseAnnealAtStep 100 -> 200$/m);
  assert.doesNotMatch(r.err, /^--scale-schedule: train.maxSteps is/m, 'the base\'s own length is not told where the length is swept');
  const pointCfg = (label: string) => JSON.parse(readFileSync(join(out, 'points', label, 'seed3', 'config.json'), 'utf8')) as { train: { maxSteps: number; annealAtStep: number; noiseAnnealAtStep: number } };
  assert.deepEqual([pointCfg('p000').train.annealAtStep, pointCfg('p000').train.noiseAnnealAtStep], [75, 50]);
  assert.deepEqual([pointCfg('p001').train.annealAtStep, pointCfg('p001').train.noiseAnnealAtStep, pointCfg('p001').train.maxSteps], [300, 200, 400]);
  // a swept schedule key stays as swept: only the others move
  const kept = await inProcess(['sweep', '--config', cfg, '--over', 'train.maxSteps=100', '--over', 'train.noiseAnnealAtStep=60', '--scale-schedule', '--dry-run', '--out', join(dir, 'never')]);
  assert.equal(kept.code, 0, kept.err);
  assert.match(kept.err, /grid point p000: --scale-schedule: train.maxSteps 200 -> 100 \(x0.500\): train.annealAtStep 150 -> 75$/m);
});
