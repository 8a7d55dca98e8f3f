// Fault injection: SIGINT (to the process group, as Ctrl-C at a terminal sends it), SIGTERM (to
// the process) and SIGKILL (to the process group: a lost machine) × a synthetic run, an image run and
// a sweep, each at a random point (a random metrics row plus a random fraction of a row's time).
// After each: no status reads "running", no temporary file is left, `lrlab resume` completes, and
// the metrics rows and final weights are bit-identical to an uninterrupted run's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyFashionMnist } from '../experiments/images/testData.testutil.js';
import { findRunDirs } from '../runs/runScan.js';
import { readRunStatus } from '../report/runData.js';
import { BIN, ROOT, lrlab, randomInt, tornWritesUnder, type Result } from './runCli.testutil.js';

const root = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'lrlab-faults-'));
const data = writeTinyFashionMnist(join(root, 'data'), 240, 80);
const cfgFile = (name: string, v: unknown) => { const p = join(root, `${name}.json`); writeFileSync(p, JSON.stringify(v)); return p; };

const SYN = cfgFile('syn', { data: { testSizes: { pOnly: 300, qOnly: 300, both: 300 } }, train: { maxSteps: 600, annealAtStep: 300, noiseAnnealAtStep: 300, evalEvery: 50, checkpointEvery: 100 } });
const IMG = cfgFile('img', {
  dataset: { trainSize: 240, testSize: 80 }, model: { hidden: [16] }, patch: { patchOnlyValSize: 40 },
  train: { epochs: 8, batchSize: 32, checkpointEvery: 1 },
  methods: [
    { name: 'large-lr', lr: { kind: 'step', lr: 0.1, factor: 0.04, at: [4], unit: 'epoch' }, noise: { kind: 'off' }, subset: 'patch' },
    { name: 'small-lr', lr: { kind: 'constant', lr: 0.004 }, noise: { kind: 'off' }, subset: 'patch' },
  ],
});

interface Kind { name: string; args: (out: string) => string[]; rowsTotal: number }
const KINDS: Kind[] = [
  // (--no-reuse: every run here trains; by default a run would copy the reference run's finished parts)
  { name: 'synthetic run', args: (o) => ['synthetic', '--config', SYN, '--out', o, '--quiet', '--no-reuse'], rowsTotal: 3 * 13 },
  { name: 'image run', args: (o) => ['images', '--preset', 'smoke', '--config', IMG, '--data', data, '--out', o, '--quiet', '--no-reuse'], rowsTotal: 2 * 9 },
  {
    name: 'sweep', rowsTotal: 2 * 3 * 9,
    args: (o) => ['sweep', '--config', SYN, '--set', 'train.maxSteps=400', '--set', 'train.annealAtStep=200', '--set', 'train.noiseAnnealAtStep=200',
      '--over', 'train.eta2=0.003,0.006', '--seeds', '1', '--workers', '2', '--out', o, '--quiet', '--no-reuse'],
  },
];
const SIGNALS: { sig: NodeJS.Signals; group: boolean }[] = [{ sig: 'SIGINT', group: true }, { sig: 'SIGTERM', group: false }, { sig: 'SIGKILL', group: true }];

/** The run folders of a run or a sweep. */
const runsOf = (dir: string) => (existsSync(join(dir, 'config.json')) ? [''] : findRunDirs(dir));
const rowsIn = (dir: string) => runsOf(dir).reduce((n, r) => {
  const p = join(dir, r, 'metrics.jsonl');
  return n + (existsSync(p) ? readFileSync(p, 'utf8').split('\n').length - 1 : 0);
}, 0);

/** What must be equal to the uninterrupted run: every run folder's rows (no wall-clock times) and part files' weights and statuses. */
function results(dir: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of runsOf(dir)) {
    out[`${r}/rows`] = readFileSync(join(dir, r, 'metrics.jsonl'), 'utf8').trim().split('\n')
      .map((l) => { const { seconds: _s, ...x } = JSON.parse(l) as Record<string, unknown>; return x; });
    for (const f of readdirSync(join(dir, r, 'parts')).filter((x) => x.endsWith('.json')).sort()) {
      const p = JSON.parse(readFileSync(join(dir, r, 'parts', f), 'utf8')) as { weightsSha256: string; status: string; partId: string };
      out[`${r}/${f}`] = [p.weightsSha256, p.status, p.partId];
    }
  }
  return out;
}

/** Start `lrlab args` in its own process group; send `sig` once `atRow` rows exist plus a random part of a row's time. */
function interrupted(args: string[], dir: string, atRow: number, sig: NodeJS.Signals, group: boolean): Promise<Result & { reached: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, detached: true, env: { ...process.env, LRLAB_NUM_THREADS: '1' } });
    let stdout = '', stderr = '', reached = false, first: { n: number; at: number } | null = null;
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const poll = setInterval(() => {
      const n = rowsIn(dir);
      if (n > 0 && !first) first = { n, at: Date.now() };
      if (n < atRow) return;
      clearInterval(poll);
      reached = true;
      const perRow = first && n > first.n ? (Date.now() - first.at) / (n - first.n) : 0;
      setTimeout(() => { try { process.kill(group ? -child.pid! : child.pid!, sig); } catch { /* already gone */ } }, Math.floor(Math.random() * perRow));
    }, 2);
    child.on('error', reject);
    child.on('close', (code, signal) => { clearInterval(poll); resolve({ code, signal, stdout, stderr, reached }); });
  });
}

test('fault matrix: SIGINT, SIGTERM, SIGKILL x synthetic run, image run, sweep: resume gives the uninterrupted results', { timeout: 900_000 }, async (t) => {
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const kind of KINDS) {
    const ref = join(root, `${kind.name.replace(' ', '-')}-ref`);
    const full = await lrlab(kind.args(ref));
    assert.equal(full.code, 0, `${kind.name} reference: ${full.stderr}`);
    const want = results(ref);
    assert.equal(rowsIn(ref), kind.rowsTotal, `${kind.name}: rows of the uninterrupted run`);
    for (const { sig, group } of SIGNALS) {
      const what = `${kind.name} / ${sig}`;
      const dir = join(root, `${kind.name.replace(' ', '-')}-${sig}`);
      const atRow = randomInt(2, kind.rowsTotal - 8);
      const k = await interrupted(kind.args(dir), dir, atRow, sig, group);
      assert.ok(k.reached, `${what}: the run ended before row ${atRow}`);
      if (sig === 'SIGKILL') {
        assert.equal(k.signal, 'SIGKILL', `${what}: killed`);
        // a sweep's workers notice their sweep is gone, checkpoint and stop: give them a moment
        await new Promise((r) => setTimeout(r, 1500));
      }
      else {
        assert.equal(k.code, 130, `${what} at row ${atRow}: exit code (stderr: ${k.stderr.slice(-600)})`);
        assert.match(k.stderr, /lrlab resume /, `${what}: says how to resume`);
      }
      // nothing reads as live: statuses of the run (or the sweep and its points) are not 'running'
      for (const r of [...runsOf(dir), ...(existsSync(join(dir, 'sweep.json')) ? ['.'] : [])]) {
        assert.notEqual(readRunStatus(join(dir, r)).state, 'running', `${what}: ${r || 'run'} status`);
      }
      const res = await lrlab(['resume', dir, '--quiet', '--no-reuse']);
      assert.equal(res.code, 0, `${what}: resume (${res.stderr.slice(-600)})`);
      assert.deepEqual(tornWritesUnder(dir), [], `${what}: no temporary file left`);
      assert.deepEqual(results(dir), want, `${what} at row ${atRow}: rows and final weights equal the uninterrupted run's`);
      assert.equal(readRunStatus(dir).state, 'done', `${what}: done after resume`);
    }
  }
});
