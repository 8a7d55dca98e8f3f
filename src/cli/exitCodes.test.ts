// The command line's contract, end to end (child processes): --version, every command's --help,
// writes to a closed stdout, and one exit-code scheme for all commands (0 ok, 1 failed at run time,
// 2 usage/config/refused folder, 130 interrupted after a checkpoint).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, inProcess, lrlab, lrlabKilledAtRow, tempDir as tempDirOf, tinyConfig } from './runCli.testutil.js';

const tempDir = (t: { after: (fn: () => void) => void }) => tempDirOf(t, 'lrlab-exit-');
import { errorLine, exitCodeOf } from './main.js';
import { commands } from './commands.js';
import { UsageError } from './command.js';
import { ConfigError } from '../util/schema.js';
import { RunFolderError } from '../report/runData.js';
import { RefusedError } from '../runs/runFolder.js';
import { CODE_VERSION } from '../util/version.js';
import { RUN_STATES } from '../runs/format.js';
import { writeSyntheticRun } from '../report/fixtures.testutil.js';


const noStack = (stderr: string) => assert.doesNotMatch(stderr, /EPIPE|Error:|\n\s+at /, `no error or stack trace: ${stderr}`);

test('--version and -V print the package version and the checkpoint format, exit 0', async () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const long = await lrlab(['--version']);
  const short = await inProcess(['-V']);
  for (const r of [{ code: long.code, out: long.stdout }, short]) {
    assert.equal(r.code, 0);
    assert.match(r.out, new RegExp(`^lrlab ${version.replaceAll('.', '\\.')}\n`));
    assert.ok(r.out.includes(`checkpoint format: ${CODE_VERSION}`), r.out);
  }
});

test("info --help, info -h and `help info` print info's usage without running it; info refuses arguments (exit 2)", async () => {
  const [help, bogus] = await Promise.all([lrlab(['info', '--help']), lrlab(['info', '--bogus'])]);
  const rs = [{ code: help.code, out: help.stdout, err: help.stderr }, await inProcess(['info', '-h']), await inProcess(['help', 'info'])];
  for (const r of rs) {
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^usage: lrlab info \[--build\]\n/);
    assert.doesNotMatch(r.out, /threads: \d/, 'info did not run');
  }
  assert.equal(bogus.code, 2, bogus.stdout);
  assert.match(bogus.stderr, /^lrlab info: unknown option '--bogus'; lrlab info --help lists its options/);
  const extra = await inProcess(['info', 'extra']);
  assert.equal(extra.code, 2, extra.out);
  assert.match(extra.err, /^lrlab info: takes no arguments, got 'extra'/);
  // the BLAS that runs, and libtorch's build settings only when asked
  const [plain, build] = [await inProcess(['info']), await inProcess(['info', '--build'])];
  assert.equal(plain.code, 0, plain.err);
  assert.match(plain.out, /^BLAS: .*\(libtorch was built against /m);
  assert.doesNotMatch(plain.out, /BUILD_TYPE=/);
  assert.match(plain.out, /^libtorch build settings: lrlab info --build$/m);
  assert.equal(build.code, 0, build.err);
  assert.match(build.out, /BUILD_TYPE=/);
});

test('every command: --help, -h and `lrlab help <command>` print its usage (exit 0); `help nope` exits 2', async () => {
  for (const c of commands()) {
    for (const argv of [[c.name, '--help'], [c.name, '-h'], ['help', c.name], [c.name, '--set', 'x=1', '--help']]) {
      const r = await inProcess(argv);
      assert.equal(r.code, 0, `${argv.join(' ')}: ${r.err}`);
      assert.ok(r.out.startsWith(`usage: lrlab ${c.name}`), `${argv.join(' ')}: ${r.out.slice(0, 80)}`);
    }
  }
  const nope = await inProcess(['help', 'nope']);
  assert.equal(nope.code, 2);
  assert.match(nope.err, /unknown command 'nope'/);
  const top = await inProcess(['help']);
  assert.equal(top.code, 0);
  assert.match(top.out, /^exit codes:\n {2}0 +success\n {2}1 .*\n {2}2 .*usage or config error[\s\S]*\n {2}130 +interrupted by SIGINT\/SIGTERM/m);
});

test('a closed stdout ends quietly with exit 0: before the first write, and after the first line of a long listing', async (t) => {
  const runs = join(tempDir(t), 'runs');
  for (let i = 0; i < 120; i++) writeSyntheticRun(join(runs, `syn-${String(i).padStart(3, '0')}`), { seeds: 1, steps: 100, every: 100 });
  const closedAtOnce = (args: string[]) => lrlab(args, (child) => child.stdout!.destroy());
  const afterFirstLine = (args: string[]) => lrlab(args, (child) => {
    let seen = '';
    child.stdout!.on('data', (d: Buffer) => { seen += d.toString(); if (seen.includes('\n')) child.stdout!.destroy(); });
  });
  const [listing, ...atOnce] = await Promise.all([
    afterFirstLine(['index', '--json', '--runs', runs]),
    closedAtOnce(['index', '--json', '--runs', runs]),
    closedAtOnce(['synthetic', '--dry-run', '--out', join(runs, 'never')]),
  ]);
  assert.ok(listing.stdout.split('\n').length - 1 < 120, `the reader stopped before the end (${listing.stdout.length} bytes read)`);
  for (const r of [listing, ...atOnce]) {
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.signal, null);
    noStack(r.stderr);
  }
});

test('index --status: an unknown state is a usage error listing the valid ones; a valid one filters', async (t) => {
  const runs = join(tempDir(t), 'runs');
  writeSyntheticRun(join(runs, 'finished'), { seeds: 1, steps: 100, every: 100 });
  writeSyntheticRun(join(runs, 'training'), { seeds: 1, steps: 100, every: 100, done: false });
  const bogus = await lrlab(['index', '--status', 'bogus', '--runs', runs]);
  assert.equal(bogus.code, 2, bogus.stdout);
  assert.match(bogus.stderr, new RegExp(`--status must be one of ${RUN_STATES.join(', ')}.*, got 'bogus'`));
  const done = await inProcess(['index', '--status', 'done', '--json', '--runs', runs]);
  assert.equal(done.code, 0, done.err);
  assert.deepEqual(done.out.trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id), ['finished']);
  // no match: said on stderr, nothing on stdout
  const none = await inProcess(['index', '--kind', 'images', '--runs', runs]);
  assert.equal(none.code, 0, none.err);
  assert.equal(none.out, '');
  assert.match(none.err, /\nno run matches --kind images\n?$/);
});

test('exit code 2 for a bad option, an existing folder without --force and a run or sweep folder busy in a live process (--force too)', async (t) => {
  const dir = tempDir(t);
  const cfg = tinyConfig(dir);
  const taken = join(dir, 'taken');
  mkdirSync(taken);
  writeFileSync(join(taken, 'x'), '');
  // a run folder and a sweep folder (their complete config from --dry-run) that this live test process "runs"
  const dryRun = await inProcess(['synthetic', '--config', cfg, '--dry-run', '--out', join(dir, 'never')]);
  assert.equal(dryRun.code, 0, dryRun.err);
  const dry = { stdout: dryRun.out };
  const busy = { state: 'running', pid: process.pid, updated: 'then' };
  const run = join(dir, 'run'), sweep = join(dir, 'sweep');
  mkdirSync(run);
  writeFileSync(join(run, 'config.json'), dry.stdout);
  writeFileSync(join(run, 'status.json'), JSON.stringify(busy));
  mkdirSync(sweep);
  writeFileSync(join(sweep, 'sweep.json'), JSON.stringify({ kind: 'sweep', spec: { base: JSON.parse(dry.stdout), over: [['train.eta2', [0.5]]], seeds: 1, workers: 1 }, points: [] }));
  writeFileSync(join(sweep, 'status.json'), JSON.stringify(busy));

  const [badOpt, exists, busyRun, busySweep, forceRun, forceSweep] = await Promise.all([
    lrlab(['synthetic', '--bogus']),
    lrlab(['synthetic', '--config', cfg, '--out', taken, '--quiet']),
    lrlab(['resume', run, '--quiet']), // (a child: this process itself is the folder's live owner)
    lrlab(['resume', sweep, '--quiet']),
    lrlab(['synthetic', '--config', cfg, '--out', run, '--force', '--quiet']),
    lrlab(['sweep', '--config', cfg, '--over', 'train.eta2=0.5', '--out', sweep, '--force', '--quiet']),
  ]);
  assert.equal(badOpt.code, 2, badOpt.stderr);
  for (const argv of [['resume', run, '--bogus'], ['schema', '--bogus'], ['report', '--bogus'], ['sweep', '--bogus']]) {
    const r = await inProcess(argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, /unknown option '--bogus'/);
  }
  assert.match(badOpt.stderr, /unknown option '--bogus'/);
  noStack(badOpt.stderr);
  assert.equal(exists.code, 2, exists.stderr);
  assert.match(exists.stderr, /run folder .*taken already exists; pass --force/);
  for (const [r, d] of [[busyRun, run], [busySweep, sweep], [forceRun, run], [forceSweep, sweep]] as const) {
    assert.equal(r.code, 2, `${d}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`${d} is being run by process ${process.pid} \\(status.json: running`));
  }
  assert.deepEqual([existsSync(join(run, 'parts')), readFileSync(join(taken, 'x'), 'utf8')], [false, ''], 'nothing was touched');
  assert.deepEqual([existsSync(join(run, 'config.json')), existsSync(join(sweep, 'sweep.json'))], [true, true], '--force deleted neither busy folder');
});

test('SIGTERM checkpoints and exits 130; resuming from a checkpoint of another code version or config exits 2', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'run');
  const cfg = tinyConfig(dir, { maxSteps: 20000, evalEvery: 100, checkpointEvery: 50, noiseAnnealAtStep: 10000 });
  const k = await lrlabKilledAtRow(['synthetic', '--config', cfg, '--out', out, '--quiet'], out, 3, { signal: 'SIGTERM' });
  assert.ok(k.reached, k.stderr);
  assert.equal(k.code, 130, k.stderr);
  assert.match(k.stderr, /interrupted: checkpoint saved\. Continue with: lrlab resume /);
  const ckpt = join(out, 'checkpoints', 'L-S-seed3.json');
  const original = readFileSync(ckpt, 'utf8');

  writeFileSync(ckpt, JSON.stringify({ ...JSON.parse(original), codeVersion: '0.0.0+ckpt0' }));
  const oldVersion = await lrlab(['resume', out, '--quiet']);
  assert.equal(oldVersion.code, 2, oldVersion.stderr);
  assert.match(oldVersion.stderr, /checkpoint .*L-S-seed3\.json was written by lrlab 0\.0\.0\+ckpt0, this is /);

  writeFileSync(ckpt, original);
  const cfgPath = join(out, 'config.json');
  const saved = JSON.parse(readFileSync(cfgPath, 'utf8')) as { train: { eta2: number } };
  saved.train.eta2 = 0.5;
  writeFileSync(cfgPath, JSON.stringify(saved));
  const otherConfig = await lrlab(['resume', out, '--quiet']);
  assert.equal(otherConfig.code, 2, otherConfig.stderr);
  assert.match(otherConfig.stderr, /checkpoint .* belongs to a different config than /);
});

test('exitCodeOf: usage, config, parse and refused-folder errors give 2 (by class), anything else 1', () => {
  let parseError: unknown;
  try { parseArgs({ args: ['--nope'], strict: true, options: {} }); } catch (e) { parseError = e; }
  const usage = [
    new UsageError('x'), new ConfigError("'train.eta1' must be positive"), new RunFolderError('runs/x is not a folder'), parseError,
    new RefusedError('checkpoint /r/x/checkpoints/S-seed0.json was written by lrlab 0.0.1+ckpt1, this is 0.1.0+ckpt2; resume with that version or start a new run'),
  ];
  for (const e of usage) assert.equal(exitCodeOf(e), 2, (e as Error).message);
  const failed = [new Error('ENOSPC: no space left on device'), new TypeError('x is undefined'), new Error('run folder /r/x already exists; pass --force') /* (the class counts, not the message) */, 'a string', null];
  for (const e of failed) assert.equal(exitCodeOf(e), 1, String(e));
});

test('errorLine: an option whose value starts with a dash gets one line that says how to write it; other errors keep their message', () => {
  let ambiguous: Error | null = null;
  try { parseArgs({ args: ['--workers', '-1'], strict: true, options: { workers: { type: 'string' } } }); } catch (e) { ambiguous = e as Error; }
  assert.ok(ambiguous, 'parseArgs refuses --workers -1');
  assert.equal(errorLine(ambiguous), "--workers needs a value, but the argument after it starts with '-' (write such a value as --workers=VALUE)");
  assert.equal(errorLine(new UsageError("--workers must be a positive integer, got '-1'")), "--workers must be a positive integer, got '-1'");
});

test('errorLine: an unknown option names the nearest options of the command\'s help, and where the rest are', async () => {
  const synth = (await import('./commands.js')).commands().find((c) => c.name === 'synthetic')!;
  let unknown: Error | null = null;
  try { parseArgs({ args: ['--seed', '3'], strict: true, options: { seeds: { type: 'string' } } }); } catch (e) { unknown = e as Error; }
  assert.ok(unknown, 'parseArgs refuses --seed');
  assert.match(errorLine(unknown, synth), /^unknown option '--seed' \(did you mean --seeds( or [-\w]+)*\?\); lrlab synthetic --help lists its options$/);
  assert.equal(errorLine(unknown), "unknown option '--seed'");
  let far: Error | null = null;
  try { parseArgs({ args: ['--zzzzzzzz'], strict: true, options: {} }); } catch (e) { far = e as Error; }
  assert.equal(errorLine(far!, synth), "unknown option '--zzzzzzzz'; lrlab synthetic --help lists its options");
});
