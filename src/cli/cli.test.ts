// End-to-end tests of the `lrlab` command line: each test spawns `node bin/lrlab.js` as a child process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SyntheticPartResult } from '../experiments/synthetic/summary.js';
import type { SweepSummary } from './sweep.js';
import { lrlab, lrlabKilledAtRow, randomInt, tornWritesUnder } from './runCli.testutil.js';
import { tempDir, tinyConfig } from './runCli.testutil.js';

test('--help lists the commands; synthetic --help its options; an unknown command exits 2', async () => {
  const [help, synth, bad] = await Promise.all([lrlab(['--help']), lrlab(['synthetic', '--help']), lrlab(['nope'])]);
  assert.equal(help.code, 0, help.stderr);
  for (const c of ['synthetic', 'sweep', 'resume', 'info']) assert.match(help.stdout, new RegExp(`^  ${c}\\s`, 'm'), c);
  assert.equal(synth.code, 0, synth.stderr);
  for (const o of ['--preset', '--config', '--seeds', '--set', '--out', '--force', 'default', 'paper', 'lrlab resume']) assert.ok(synth.stdout.includes(o), o);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown command 'nope'/);
});

test('synthetic: a tiny run prints the table; the same --out again needs --force; a bad --set key exits 2', async (t) => {
  const dir = tempDir(t);
  const cfg = tinyConfig(dir);
  const out = join(dir, 'run');
  const args = ['synthetic', '--config', cfg, '--seeds', '2', '--set', 'train.maxSteps=150', '--set', 'train.eta2=0.9', '--out', out, '--quiet'];
  const [r, badKey, badType] = await Promise.all([
    lrlab(args),
    lrlab(['synthetic', '--config', cfg, '--set', 'train.etaa=1', '--out', join(dir, 'never')]),
    lrlab(['synthetic', '--config', cfg, '--set', 'data.n=abc', '--out', join(dir, 'never')]),
  ]);
  assert.equal(r.code, 0, r.stderr);
  for (const m of ['L-S', 'S', 'S+noise']) assert.match(r.stdout, new RegExp(`^${m.replace('+', '\\+')}\\s+\\d\\.\\d{3} ± \\d\\.\\d{3}`, 'm'), m);
  assert.match(r.stdout, /test acc p_only/);
  assert.match(r.stdout, /seeds 3, 4/);
  const saved = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.equal(saved.train.maxSteps, 150);
  assert.equal(saved.train.eta2, 0.9);
  assert.equal(readdirSync(join(out, 'parts')).length, 6);

  for (const b of [badKey, badType]) {
    assert.equal(b.code, 2, b.stderr);
    assert.equal(b.stderr.trim().split('\n').length, 1, `one line: ${b.stderr}`);
    assert.equal(existsSync(join(dir, 'never')), false, 'nothing is written for a bad config');
  }
  assert.match(badKey.stderr, /unknown config key 'train\.etaa'/);
  assert.match(badType.stderr, /'data\.n' must be a positive integer, got "abc"/);

  const before = readFileSync(join(out, 'metrics.jsonl'));
  const again = await lrlab(args);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /already exists.*--force/);
  assert.ok(readFileSync(join(out, 'metrics.jsonl')).equals(before), 'the run folder is untouched');
});

test('sweep over train.eta2 with 2 workers writes a summary with one row per grid point', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'sweep');
  const r = await lrlab(['sweep', '--config', tinyConfig(dir, { maxSteps: 100, noiseAnnealAtStep: 50 }), '--over', 'train.eta2=0.01,0.02', '--seeds', '1', '--workers', '2', '--out', out, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as SweepSummary;
  assert.deepEqual(s.keys, ['train.eta2']);
  assert.equal(s.rows.length, 2);
  assert.deepEqual(s.rows.map((row) => row.values), [{ 'train.eta2': 0.01 }, { 'train.eta2': 0.02 }]);
  for (const row of s.rows) {
    for (const m of ['L-S', 'S', 'S+noise']) {
      const acc = row.methods[m]!.p_only!;
      assert.equal(acc.n, 1, m);
      assert.ok(acc.mean! >= 0 && acc.mean! <= 1, m);
    }
  }
  // each point ran with its own eta2
  for (const [i, eta2] of [[0, 0.01], [1, 0.02]] as const) {
    const c = JSON.parse(readFileSync(join(out, 'points', `p00${i}`, 'seed3', 'config.json'), 'utf8'));
    assert.equal(c.train.eta2, eta2);
  }
  assert.match(r.stdout, /train\.eta2/);
});

/** A part's result without its wall-clock time. */
function part(dir: string, f: string): Omit<SyntheticPartResult, 'seconds'> {
  const { seconds: _s, ...rest } = JSON.parse(readFileSync(join(dir, 'parts', f), 'utf8')) as SyntheticPartResult;
  return rest;
}

test('SIGKILL at a random point, then `lrlab resume`, gives the uninterrupted results', async (t) => {
  const dir = tempDir(t);
  const cfg = tinyConfig(dir, { maxSteps: 4000, evalEvery: 100, checkpointEvery: 50, noiseAnnealAtStep: 2000 });
  const killed = join(dir, 'killed'), ref = join(dir, 'ref');
  // anywhere in the 3 methods' 3 x 41 metrics rows (one per 100 steps), up to 15 rows before the end
  const atRow = randomInt(2, 3 * 41 - 15);
  const k = await lrlabKilledAtRow(['synthetic', '--config', cfg, '--out', killed, '--quiet'], killed, atRow, { jitter: true });
  assert.ok(k.reached, `the run wrote ${atRow} metrics rows (${k.stderr})`);
  assert.equal(k.signal, 'SIGKILL', `the run was killed at row ${atRow} + ${k.delayMs} ms, not finished`);
  assert.equal(existsSync(join(killed, 'summary.json')), false);

  const [res, full] = await Promise.all([lrlab(['resume', killed, '--quiet', '--no-reuse']), lrlab(['synthetic', '--config', cfg, '--out', ref, '--quiet', '--no-reuse'])]);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(full.code, 0, full.stderr);
  const rows = (d: string) => readFileSync(join(d, 'metrics.jsonl'), 'utf8').split('\n');
  assert.deepEqual(rows(killed).map((l) => l.slice(0, 50)), rows(ref).map((l) => l.slice(0, 50)), `row order (killed at row ${atRow} + ${k.delayMs} ms)`);
  assert.deepEqual(rows(killed), rows(ref), `metrics rows (killed at row ${atRow} + ${k.delayMs} ms)`);
  assert.equal(rows(ref).length, 3 * 41 + 1);
  const parts = readdirSync(join(ref, 'parts')).filter((f) => f.endsWith('.json')).sort();
  assert.equal(parts.length, 3);
  for (const f of parts) assert.deepEqual(part(killed, f), part(ref, f), f);
  // the final weights: the fingerprints match, and they tell the three methods apart
  const hashes = (d: string) => parts.map((f) => part(d, f).weightsSha256);
  for (const h of hashes(ref)) assert.match(h, /^[0-9a-f]{64}$/);
  assert.deepEqual(hashes(killed), hashes(ref), `final weights (killed at row ${atRow} + ${k.delayMs} ms)`);
  assert.equal(new Set(hashes(ref)).size, 3);
  assert.equal(readFileSync(join(killed, 'summary.json'), 'utf8'), readFileSync(join(ref, 'summary.json'), 'utf8'));
  assert.deepEqual(tornWritesUnder(killed), [], 'no temporary file of a killed write is left');
  assert.equal(res.stdout.split('\n').slice(0, 6).join('\n'), full.stdout.split('\n').slice(0, 6).join('\n'), 'the same table');
});

test('--dry-run prints a config (stdout, JSON) that --config reproduces, and the grid of a sweep; nothing runs, no folder is made', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'never');
  const a = await lrlab(['synthetic', '--preset', 'gap', '--seeds', '3', '--set', 'train.eta2=0.02', '--dry-run', '--out', out]);
  assert.equal(a.code, 0, a.stderr);
  const cfg = JSON.parse(a.stdout) as { preset: string; seeds: number; train: { eta2: number; maxSteps: number } };
  assert.deepEqual([cfg.preset, cfg.seeds, cfg.train.eta2, cfg.train.maxSteps], ['gap', 3, 0.02, 60000]);
  assert.match(a.stderr, /would run L-S, S, S\+noise on 3 seed\(s\) from seed 0: 9 part\(s\) of up to 60000 steps/);
  assert.match(a.stderr, new RegExp(`run folder: ${out}\n`));
  const saved = join(dir, 'saved.json');
  writeFileSync(saved, a.stdout);
  mkdirSync(join(dir, 'full'));
  writeFileSync(join(dir, 'full', 'x'), '');
  const [b, full, sweep] = await Promise.all([
    lrlab(['synthetic', '--config', saved, '--dry-run', '--out', out]),
    lrlab(['synthetic', '--dry-run', '--out', join(dir, 'full')]),
    lrlab(['sweep', '--preset', 'gap', '--over', 'train.noiseStd=10,30', '--over', 'train.eta2=0.01,0.02', '--seeds', '2', '--workers', '3', '--dry-run', '--out', out]),
  ]);
  assert.equal(b.code, 0, b.stderr);
  assert.equal(b.stdout, a.stdout, 'the printed config, passed back with --config, is the same run');
  assert.match(full.stderr, /\(exists and is not empty: the run would be refused without --force\)/);
  assert.equal(sweep.code, 0, sweep.stderr);
  assert.equal((JSON.parse(sweep.stdout) as { seeds: number }).seeds, 1);
  assert.match(sweep.stderr, /4 grid point\(s\) x 2 seed\(s\) from seed 0 = 8 run\(s\) on 3 worker\(s\)/);
  assert.match(sweep.stderr, /^p003 +30 +0\.02 *$/m);
  assert.equal(existsSync(out), false);
});

test('resume refuses a run or sweep folder that a live process is running, and continues one whose process is dead', async (t) => {
  const dir = tempDir(t);
  const run = join(dir, 'run'), sweep = join(dir, 'sweep');
  const cfg = tinyConfig(dir);
  const [r, s] = await Promise.all([
    lrlab(['synthetic', '--config', cfg, '--out', run, '--quiet']),
    lrlab(['sweep', '--config', cfg, '--over', 'train.eta2=0.5', '--out', sweep, '--quiet']),
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(s.code, 0, s.stderr);
  assert.equal(JSON.parse(readFileSync(join(sweep, 'status.json'), 'utf8')).state, 'done');
  const claim = (d: string, pid: number) => writeFileSync(join(d, 'status.json'), JSON.stringify({ state: 'running', pid, updated: 'then' }));
  // this test process is alive and is not the resuming one
  claim(run, process.pid);
  claim(sweep, process.pid);
  const [busyRun, busySweep] = await Promise.all([lrlab(['resume', run, '--quiet']), lrlab(['resume', sweep, '--quiet'])]);
  for (const [b, d] of [[busyRun, run], [busySweep, sweep]] as const) {
    assert.notEqual(b.code, 0, b.stdout);
    assert.match(b.stderr, new RegExp(`${d} is being run by process ${process.pid} \\(status.json: running, updated then\\); stop it first \\(kill -INT ${process.pid}`));
  }
  const dead = 4_000_000; // above Linux's pid_max
  claim(run, dead);
  claim(sweep, dead);
  const [again, againSweep] = await Promise.all([lrlab(['resume', run, '--quiet']), lrlab(['resume', sweep, '--quiet'])]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(againSweep.code, 0, againSweep.stderr);
  assert.equal(JSON.parse(readFileSync(join(run, 'status.json'), 'utf8')).state, 'done');
});

test('resume of a finished run that trained on a queue shows its table without the queue or its password', async (t) => {
  const dir = tempDir(t, 'lrlab-resume-done-');
  const cfg = tinyConfig(dir, { maxSteps: 50, noiseAnnealAtStep: 25 });
  const run = join(dir, 'run');
  const first = await lrlab(['synthetic', '--config', cfg, '--out', run, '--quiet', '--no-reuse']);
  assert.equal(first.code, 0, first.stderr);
  // as a queue run leaves it: the queue's URL (no password) and the run token; no Redis listens there
  writeFileSync(join(run, 'queue.json'), JSON.stringify({ format: 1, queue: 'redis://127.0.0.1:1', run: '0123456789abcdef' }));
  const r = await lrlab(['resume', run]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /has already finished: nothing to train \(its table follows\)/);
  assert.match(r.stdout + r.stderr, /^L-S\s/m, 'the table');
});
