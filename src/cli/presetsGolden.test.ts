// Every preset's short run gives the same metrics rows and final weights as when the fixture was
// recorded (golden/presets.json): refactors must keep behaviour. Runs go through the CLI (the
// interface that does not change), in child processes with pinned kernels (OpenBLAS's generic
// Prescott kernels, ATen's default CPU capability, oneDNN's AVX2 kernels for the convolutions (on an
// AVX-512 CPU it JIT-compiles others, which round differently), one thread), so that the numbers do
// not depend on the machine's CPU (one with AVX2 at least). Re-record (only when a change is meant to alter results, and say so in the
// commit): LRLAB_RECORD_GOLDEN=1 node scripts/test.mjs src/cli/presetsGolden.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT } from './runCli.testutil.js';
import { writeTinyFashionMnist } from '../experiments/images/testData.testutil.js';

const FIXTURE = join(ROOT, 'src', 'cli', 'golden', 'presets.json');
/** The kernels the fixture was recorded with (see the header). */
const PINNED = { DNNL_MAX_CPU_ISA: 'AVX2', LRLAB_NUM_THREADS: '1', OPENBLAS_CORETYPE: 'Prescott', OPENBLAS_NUM_THREADS: '1', ATEN_CPU_CAPABILITY: 'default' };

interface Case { name: string; args: string[] }

const SYN_SHORT = ['--set', 'train.maxSteps=600', '--set', 'train.evalEvery=100', '--set', 'train.checkpointEvery=0'];
const FM_SHORT = ['--set', 'dataset.trainSize=400', '--set', 'dataset.testSize=200', '--set', 'model.hidden=[32,32]',
  '--set', 'train.epochs=3', '--set', 'train.recalibrateBatches=2', '--set', 'patch.patchOnlyValSize=100'];
const CIFAR_SHORT = ['--set', 'dataset.trainSize=120', '--set', 'dataset.testSize=40', '--set', 'model.depth=10', '--set', 'model.widen=1',
  '--set', 'train.epochs=2', '--set', 'train.batchSize=32', '--set', 'train.evalBatchSize=40', '--set', 'train.checkpointEvery=0'];
const at1 = (...idx: number[]) => idx.flatMap((i) => ['--set', `methods.${i}.${i % 3 === 2 ? 'noise' : 'lr'}.at=[1]`]);

function cases(fm: string, cifar: string): Case[] {
  return [
    { name: 'synthetic default (2 seeds)', args: ['synthetic', '--preset', 'default', '--seeds', '2', ...SYN_SHORT, '--set', 'train.annealAtStep=300', '--set', 'train.noiseAnnealAtStep=300'] },
    { name: 'synthetic order', args: ['synthetic', '--preset', 'order', ...SYN_SHORT, '--set', 'train.annealAtStep=300', '--set', 'train.noiseAnnealAtStep=300'] },
    { name: 'synthetic order-gd', args: ['synthetic', '--preset', 'order-gd', ...SYN_SHORT, '--set', 'train.annealAtStep=300', '--set', 'train.noiseAnnealAtStep=300'] },
    { name: 'synthetic gap', args: ['synthetic', '--preset', 'gap', ...SYN_SHORT, '--set', 'train.annealAtStep=300', '--set', 'train.noiseAnnealAtStep=300'] },
    { name: 'synthetic sgd-lead', args: ['synthetic', '--preset', 'sgd-lead', ...SYN_SHORT, '--set', 'train.annealAtStep=300', '--set', 'train.noiseAnnealAtStep=300'] },
    { name: 'synthetic paper', args: ['synthetic', '--preset', 'paper', ...SYN_SHORT, '--set', 'train.noiseAnnealAtStep=300'] },
    { name: 'images smoke', args: ['images', '--preset', 'smoke', '--data', fm] },
    { name: 'images patch-fmnist', args: ['images', '--preset', 'patch-fmnist', '--data', fm, '--seeds', '1', ...FM_SHORT, ...at1(0, 2)] },
    { name: 'images clean-fmnist', args: ['images', '--preset', 'clean-fmnist', '--data', fm, '--seeds', '1', ...FM_SHORT,
      ...[0, 1, 2].flatMap((i) => ['--set', `methods.${i}.lr.milestones=[1,2]`])] },
    { name: 'images patch-fmnist-references', args: ['images', '--preset', 'patch-fmnist-references', '--data', fm, '--seeds', '1', ...FM_SHORT,
      '--set', 'train.epochs=2', ...at1(0, 2, 3, 5)] },
    { name: 'images patch (CIFAR-10 format)', args: ['images', '--preset', 'patch', '--data', cifar, ...CIFAR_SHORT, ...at1(0, 2)] },
    { name: 'images clean (CIFAR-10 format)', args: ['images', '--preset', 'clean', '--data', cifar, ...CIFAR_SHORT,
      ...[0, 1, 2].flatMap((i) => ['--set', `methods.${i}.lr.milestones=[1]`])] },
    { name: 'images patch-references (CIFAR-10 format)', args: ['images', '--preset', 'patch-references', '--data', cifar, ...CIFAR_SHORT,
      ...at1(0, 2, 3, 5)] },
  ];
}

/** A tiny CIFAR-10 binary data set (5 train batches of `per` records, one test batch), deterministic. */
function writeTinyCifar10(dir: string, per = 30, nTest = 40): string {
  mkdirSync(dir, { recursive: true });
  let a = 12345;
  const rnd = () => { a = (Math.imul(a, 1103515245) + 12345) >>> 0; return a / 4294967296; };
  const batch = (n: number) => {
    const b = Buffer.alloc(n * 3073);
    for (let i = 0; i < n; i++) {
      const y = Math.floor(rnd() * 10);
      b[i * 3073] = y;
      for (let j = 0; j < 3072; j++) b[i * 3073 + 1 + j] = Math.floor(rnd() * 100) + (j % 1024 < 100 * (y + 1) && j % 1024 >= 100 * y ? 150 : 0);
    }
    return b;
  };
  for (let k = 1; k <= 5; k++) writeFileSync(join(dir, `data_batch_${k}.bin`), batch(per));
  writeFileSync(join(dir, 'test_batch.bin'), batch(nTest));
  return dir;
}

interface Recorded { rows: unknown[]; parts: Record<string, { status: string; weightsSha256: string }> }

/** Drop what depends on the clock (wall-clock seconds), keep everything else as written. */
function stripTimes(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripTimes);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'seconds').map(([k, x]) => [k, stripTimes(x)]));
  }
  return v;
}

/** Rows grouped by part (method, seed) in order of each part's first row, each part's rows in file order. */
function byPart(rows: unknown[]): unknown[] {
  const groups = new Map<string, unknown[]>();
  for (const r of rows) {
    const { method, seed } = r as { method: string; seed: number };
    const k = `${method}\u0000${seed}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  return [...groups.values()].flat();
}

function runCase(c: Case, out: string): Recorded {
  // (--no-reuse: every case trains its parts, none is copied from another case's run with the same part identity)
  const r = spawnSync(process.execPath, [BIN, ...c.args, '--out', out, '--quiet', '--no-reuse'], { cwd: ROOT, env: { ...process.env, ...PINNED }, encoding: 'utf8' });
  assert.equal(r.status, 0, `${c.name}: lrlab exited ${r.status}\n${r.stderr}`);
  const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => stripTimes(JSON.parse(l)));
  const parts: Recorded['parts'] = {};
  for (const f of readdirSync(join(out, 'parts')).filter((x) => x.endsWith('.json')).sort()) {
    const p = JSON.parse(readFileSync(join(out, 'parts', f), 'utf8')) as { status: string; weightsSha256: string };
    parts[f.replace(/\.json$/, '')] = { status: p.status, weightsSha256: p.weightsSha256 };
  }
  return { rows, parts };
}

test('every preset\'s short run gives the recorded metrics rows and weights', { timeout: 600_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'lrlab-golden-'));
  try {
    const fm = writeTinyFashionMnist(join(root, 'fm'), 400, 200);
    const cifar = writeTinyCifar10(join(root, 'cifar'));
    const all = cases(fm, cifar);
    if (process.env.LRLAB_RECORD_GOLDEN) {
      const rec: Record<string, Recorded & { args: string[] }> = {};
      all.forEach((c, i) => { rec[c.name] = { args: c.args, ...runCase(c, join(root, `run${i}`)) }; });
      mkdirSync(join(ROOT, 'src', 'cli', 'golden'), { recursive: true });
      writeFileSync(FIXTURE, JSON.stringify(rec) + '\n');
      return;
    }
    assert.ok(existsSync(FIXTURE), `${FIXTURE} is missing (record it with LRLAB_RECORD_GOLDEN=1)`);
    const want = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, Recorded>;
    assert.deepEqual(all.map((c) => c.name).sort(), Object.keys(want).sort(), 'the fixture covers exactly these cases');
    all.forEach((c, i) => {
      const got = runCase(c, join(root, `run${i}`));
      const w = want[c.name]!;
      assert.equal(got.rows.length, w.rows.length, `${c.name}: number of metrics rows`);
      // each part's rows in order (a batched run interleaves its parts' rows step by step)
      const gotRows = byPart(got.rows), wantRows = byPart(w.rows);
      wantRows.forEach((r, k) => assert.deepEqual(gotRows[k], r, `${c.name}: metrics row ${k} (of its part, in part order) differs`));
      assert.deepEqual(got.parts, w.parts, `${c.name}: part statuses and final weights`);
    });
  } finally { rmSync(root, { recursive: true, force: true }); }
});
