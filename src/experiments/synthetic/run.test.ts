import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { SyntheticExperimentConfig } from './config.js';
import { tempDir, tiny } from './tiny.testutil.js';
import { runSynthetic as runSyntheticBatched } from './index.js';
import type { RunHooks } from '../partRunner.js';
import type { SyntheticPartResult, SyntheticSummary } from './summary.js';
import { readJson, readJsonl } from '../../runs/runFolder.js';
import { SUBSETS, type SyntheticMetrics } from '../../metrics/syntheticMetrics.js';

// These tests count polls of a part run one by one (the kill points name a part and step); batched
// runs (the default) have their own resume and crash tests in batchRun.test.ts.
const runSynthetic = (c: SyntheticExperimentConfig, dir: string, hooks: RunHooks = {}) => runSyntheticBatched(c, dir, { batch: false, ...hooks });

/** A row of metrics.jsonl. */
type Row = { method: string; seed: number; step: number; lr: number; noise: number; annealed: boolean } & SyntheticMetrics;



/** Every file under dir (relative path -> bytes). */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p); else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/** A part's result without its wall-clock time. */
function partWithoutTime(dir: string, f: string): Omit<SyntheticPartResult, 'seconds'> {
  const { seconds, ...rest } = readJson<SyntheticPartResult>(join(dir, 'parts', f));
  assert.equal(typeof seconds, 'number');
  return rest;
}

/** The run's results are those of an uninterrupted run: metrics.jsonl and summary.json byte for byte, parts but for 'seconds'. */
function assertSameResults(dir: string, ref: string, what = ''): void {
  const brief = (path: string) => readFileSync(path, 'utf8').split('\n').map((l) => l.slice(0, 60));
  assert.deepEqual(brief(join(dir, 'metrics.jsonl')), brief(join(ref, 'metrics.jsonl')), `${what}: metrics.jsonl rows`);
  assert.ok(readFileSync(join(dir, 'metrics.jsonl')).equals(readFileSync(join(ref, 'metrics.jsonl'))), `${what}: metrics.jsonl bytes`);
  const parts = readdirSync(join(ref, 'parts')).sort();
  assert.deepEqual(readdirSync(join(dir, 'parts')).sort(), parts);
  for (const f of parts) assert.deepEqual(partWithoutTime(dir, f), partWithoutTime(ref, f), f);
  assert.equal(readFileSync(join(dir, 'summary.json'), 'utf8'), readFileSync(join(ref, 'summary.json'), 'utf8'), 'summary.json');
  assert.equal(readJson<{ state: string }>(join(dir, 'status.json')).state, 'done');
}

/** Hooks that stop (or, with crash, throw as a killed process would leave things) at the k-th poll. */
function stopAt(k: number, crash = false): RunHooks {
  let calls = 0;
  return { shouldStop: () => { if (++calls !== k) return false; if (crash) throw new Error('simulated crash'); return true; } };
}

const PART_FILES = ['L-S-seed3.json', 'L-S-seed4.json', 'S-seed3.json', 'S-seed4.json', 'Splusnoise-seed3.json', 'Splusnoise-seed4.json'];

test('a short run writes a complete, valid run folder', async (t) => {
  const dir = tempDir(t);
  const cfg = tiny();
  assert.equal(await runSynthetic(cfg, dir), 'done');
  assert.deepEqual(readJson(join(dir, 'config.json')), cfg);
  assert.equal(readJson<{ state: string }>(join(dir, 'status.json')).state, 'done');
  assert.deepEqual(readdirSync(join(dir, 'parts')).sort(), PART_FILES);

  const { rows, bad } = readJsonl<Row>(join(dir, 'metrics.jsonl'));
  assert.deepEqual(bad, []);
  assert.equal(rows.length, 6 * 5);
  const KEYS = ['method', 'seed', 'step', 'lr', 'noise', 'annealed', 'train_loss', 'train_acc', 'test_loss', 'test_acc', 'q_contrast', 'margin', 'norm_W', 'norm_V', 'norm_U'];
  for (const r of rows) {
    assert.deepEqual(Object.keys(r).sort(), [...KEYS].sort());
    for (const k of ['train_loss', 'train_acc', 'test_loss', 'test_acc'] as const) {
      assert.deepEqual(Object.keys(r[k]).sort(), [...SUBSETS].sort(), k);
      for (const s of SUBSETS) assert.ok(Number.isFinite(r[k][s]), `${k}.${s} = ${r[k][s]}`);
    }
    for (const s of SUBSETS) assert.ok(r.test_acc[s]! >= 0 && r.test_acc[s]! <= 1);
    for (const k of ['q_contrast', 'norm_W', 'norm_V', 'norm_U', 'lr', 'noise'] as const) assert.ok(Number.isFinite(r[k]), k);
  }
  for (const method of cfg.methods) {
    for (const seed of [3, 4]) {
      const mine = rows.filter((r) => r.method === method && r.seed === seed);
      assert.deepEqual(mine.map((r) => r.step), [0, 50, 100, 150, 200], `${method} seed ${seed}`);
      if (method === 'S+noise') assert.deepEqual(mine.map((r) => r.noise), [0.3, 0.3, 0, 0, 0]);
      else assert.ok(mine.every((r) => r.noise === 0));
      if (method === 'S') assert.ok(mine.every((r) => r.lr === 1 && !r.annealed));
      const part = readJson<SyntheticPartResult>(join(dir, 'parts', `${method.replace('+', 'plus')}-seed${seed}.json`));
      assert.equal(part.status, 'step-cap');
      assert.equal(part.steps, 200);
      if (method === 'S+noise') assert.equal(part.noiseOffAtStep, 100);
      if (method === 'L-S') {
        assert.ok(part.annealedAtStep !== null, 'L-S annealed');
        for (const r of mine) assert.equal(r.lr, r.step <= part.annealedAtStep! ? 4 : 1, `lr at ${r.step}`);
      }
      const { method: _m, seed: _s, step: _t, lr: _l, noise: _n, annealed: _a, ...finalRow } = mine.at(-1)!;
      assert.deepEqual(part.final, finalRow, 'the part final metrics are the last metrics row');
    }
  }
  // the seeds' data differ, and the methods start from the same initialization on a seed
  const at0 = (m: string, seed: number) => rows.find((r) => r.method === m && r.seed === seed && r.step === 0)!;
  assert.deepEqual(at0('L-S', 3).test_acc, at0('S', 3).test_acc);
  assert.notDeepEqual(at0('L-S', 3).test_acc, at0('L-S', 4).test_acc);

  const sum = readJson<SyntheticSummary>(join(dir, 'summary.json'));
  assert.equal(sum.kind, 'synthetic');
  assert.equal(sum.preset, 'test');
  assert.deepEqual(sum.seeds, [3, 4]);
  assert.deepEqual(Object.keys(sum.methods), cfg.methods);
  for (const m of cfg.methods) {
    const parts = [3, 4].map((seed) => readJson<SyntheticPartResult>(join(dir, 'parts', `${m.replace('+', 'plus')}-seed${seed}.json`)));
    for (const s of SUBSETS) {
      const [a, b] = parts.map((p) => p.final.test_acc[s]!);
      const ms = sum.methods[m]!.test_acc[s]!;
      assert.equal(ms.n, 2);
      assert.ok(Math.abs(ms.mean! - (a! + b!) / 2) < 1e-15, `${m} ${s} mean`);
      assert.ok(Math.abs(ms.std! - Math.abs(a! - b!) / Math.SQRT2) < 1e-12, `${m} ${s} std`);
    }
    assert.deepEqual(sum.methods[m]!.statuses, { 'step-cap': 2 });
    assert.equal(sum.methods[m]!.steps.mean, 200);
  }
  assert.equal(sum.methods['S']!.annealed_at_step, null);
  assert.equal(sum.methods['L-S']!.annealed_at_step!.n, 2);
});

test('a diverging run keeps its metrics and the summary records status diverged', async (t) => {
  const dir = tempDir(t);
  const cfg = tiny({ seeds: 1, methods: ['L-S', 'S'], train: { eta1: 1e6, tau0: 0.1, maxSteps: 300 } });
  assert.equal(await runSynthetic(cfg, dir), 'done');
  const part = readJson<SyntheticPartResult>(join(dir, 'parts', 'L-S-seed3.json'));
  assert.equal(part.status, 'diverged');
  assert.match(part.message!, /diverged.*lr 1000000/);
  assert.ok(part.steps < 300);
  const { rows, bad } = readJsonl<Row>(join(dir, 'metrics.jsonl'));
  assert.deepEqual(bad, []);
  const ls = rows.filter((r) => r.method === 'L-S');
  assert.equal(ls[0]!.step, 0);
  assert.ok(Number.isFinite(ls[0]!.train_loss.all));
  assert.equal(ls.at(-1)!.step, part.steps);
  const sum = readJson<SyntheticSummary>(join(dir, 'summary.json'));
  assert.deepEqual(sum.methods['L-S']!.statuses, { diverged: 1 });
  assert.deepEqual(sum.methods['S']!.statuses, { 'step-cap': 1 });
  assert.equal(readJson<{ state: string }>(join(dir, 'status.json')).state, 'done');
});

test('resume after interruptions gives the results of an uninterrupted run', async (t) => {
  const root = tempDir(t);
  const ref = join(root, 'ref');
  for (const [name, patch] of [['noisy-gd', { seeds: 1 }], ['sgd', { seeds: 1, train: { update: 'sgd', batchSize: 7, eta1: 1, eta2: 0.3 } }]] as const) {
    const cfg = tiny(patch);
    rmSync(ref, { recursive: true, force: true });
    assert.equal(await runSynthetic(cfg, ref), 'done');
    // K = 250: mid-part (S seed 3 at step 49); 201: at the very start of a part; repeated: every 61 polls
    for (const [k, what] of [[250, 'mid-part'], [201, 'start of a part']] as const) {
      const dir = join(root, `${name}-${k}`);
      assert.equal(await runSynthetic(cfg, dir, stopAt(k)), 'interrupted');
      assert.equal(readJson<{ state: string }>(join(dir, 'status.json')).state, 'interrupted');
      assert.equal(await runSynthetic(cfg, dir), 'done');
      assertSameResults(dir, ref, `${name}, interrupted ${what}`);
    }
    const dir = join(root, `${name}-repeated`);
    let calls = 0, stops = 0;
    while (await runSynthetic(cfg, dir, { shouldStop: () => ++calls % 61 === 0 }) === 'interrupted') stops++;
    assert.ok(stops >= 8, `${stops} interruptions`);
    assertSameResults(dir, ref, `${name}, repeated interruptions`);
  }
});

test('resume after a crash drops metric rows written after the last checkpoint, and a torn line', async (t) => {
  const root = tempDir(t);
  const cfg = tiny({ seeds: 1 });
  const ref = join(root, 'ref');
  await runSynthetic(cfg, ref);
  // 310: S seed 3 crashes at step 109, its last checkpoint at 80 and a metrics row at 100 after it;
  // 230: S seed 3 crashes at step 29, before its first checkpoint (its step-0 row is already written)
  for (const k of [310, 230]) {
    const dir = join(root, `crash-${k}`);
    await assert.rejects(runSynthetic(cfg, dir, stopAt(k, true)), /simulated crash/);
    appendFileSync(join(dir, 'metrics.jsonl'), '{"method":"S","seed":3,"step":1');
    assert.equal(await runSynthetic(cfg, dir), 'done');
    assertSameResults(dir, ref, `crash at poll ${k}`);
  }
});

test('a checkpoint of a different config, or a corrupt one, is refused and the run folder is left intact', async (t) => {
  const root = tempDir(t);
  const cfg = tiny();
  const other = tiny({ train: { eta2: 0.5 } });

  const dir = join(root, 'a');
  assert.equal(await runSynthetic(cfg, dir, stopAt(250)), 'interrupted');
  let before = snapshot(dir);
  await assert.rejects(runSynthetic(other, dir), (e: Error) => /different config/.test(e.message) && !e.message.includes('\n'));
  assert.deepEqual(snapshot(dir), before);

  // a config that differs only from config.json (the crash came before any checkpoint) is refused too
  const dir2 = join(root, 'b');
  await assert.rejects(runSynthetic(cfg, dir2, stopAt(10, true)), /simulated crash/);
  before = snapshot(dir2);
  await assert.rejects(runSynthetic(other, dir2), /different config/);
  assert.deepEqual(snapshot(dir2), before);

  const ck = join(dir, 'checkpoints', 'S-seed3.json');
  truncateSync(ck, Math.floor(statSync(ck).size / 2));
  before = snapshot(dir);
  await assert.rejects(runSynthetic(cfg, dir), (e: Error) => /checkpoint .*S-seed3\.json is corrupt or truncated/.test(e.message) && /remove it/.test(e.message));
  assert.deepEqual(snapshot(dir), before);

  // valid JSON that is not a checkpoint
  writeFileSync(ck, JSON.stringify(readJson<object>(join(dir, 'config.json'))));
  await assert.rejects(runSynthetic(cfg, dir), /checkpoint .* is incomplete/);
});

test('a checkpoint from another code version is refused', async (t) => {
  const dir = tempDir(t);
  const cfg = tiny({ seeds: 1, methods: ['S'] });
  assert.equal(await runSynthetic(cfg, dir, stopAt(60)), 'interrupted');
  const ck = join(dir, 'checkpoints', 'S-seed3.json');
  writeFileSync(ck, JSON.stringify({ ...readJson<object>(ck), codeVersion: '0.0.1+ckpt0' }));
  await assert.rejects(runSynthetic(cfg, dir), /written by lrlab 0\.0\.1\+ckpt0/);
});
