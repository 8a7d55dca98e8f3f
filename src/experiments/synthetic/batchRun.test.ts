// Batched runs (the parts of a run trained as one program, the default) against the same parts run
// one by one, and their resume: every part's metrics rows and part file are those of running it
// alone, bit for bit; an interrupted or crashed batched run resumes to the uninterrupted results.
// Both updates batch: the paper's noisy GD (3.1) and minibatch SGD (each part's own minibatches).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, tiny } from './tiny.testutil.js';
import { runSynthetic } from './index.js';
import type { RunHooks } from '../partRunner.js';
import { readJson, readJsonl } from '../../runs/runFolder.js';
import { deepMerge } from '../configTools.js';
import type { SyntheticExperimentConfig } from './config.js';

/** The tiny run with minibatch SGD: batch 8 of N = 50 (6 minibatches an epoch, 2 examples left over), loss checks every 5 steps. */
const SGD = { train: { update: 'sgd', batchSize: 8, eta1: 2, eta2: 0.5 } };

type Row = { method: string; seed: number; step: number; seconds?: number };

/** Each part's rows (file order within the part, wall-clock time dropped) and part file (without seconds). */
function results(dir: string): { rows: Record<string, unknown[]>; parts: Record<string, unknown> } {
  const rows: Record<string, unknown[]> = {};
  for (const { seconds: _s, ...r } of readJsonl<Row>(join(dir, 'metrics.jsonl')).rows) (rows[`${r.method}/${r.seed}`] ??= []).push(r);
  const parts = Object.fromEntries(readdirSync(join(dir, 'parts')).sort().map((f) => {
    const { seconds: _s, ...p } = readJson<{ seconds: number }>(join(dir, 'parts', f));
    return [f, p];
  }));
  return { rows, parts };
}

/** Hooks that stop (or, with crash, throw as a killed process would leave things) at the k-th poll (one poll per batched step). */
function stopAt(k: number, crash = false): RunHooks {
  let calls = 0;
  return { shouldStop: () => { if (++calls !== k) return false; if (crash) throw new Error('simulated crash'); return true; } };
}

test('a batched run gives every part the rows and part file of running it alone', async (t) => {
  const root = tempDir(t, 'lrlab-batch-');
  for (const [name, cfg] of [
    ['anneal by step', tiny()], ['stop at loss (parts end at different steps)', tiny({ train: { stopAtLoss: true, eps2: 0.3, eps2S: 0.2, maxSteps: 400 } })],
    ['SGD', tiny(SGD)], ['SGD on the reduced Q block', tiny(deepMerge(SGD, { model: { m: 12, mW: 4, mV: 8, secondLayerScale: 'block', reduceQBlock: true } }))],
  ] as const) {
    const [a, b] = [join(root, `${name}-batched`), join(root, `${name}-alone`)];
    assert.equal(await runSynthetic(cfg, a), 'done');
    assert.equal(await runSynthetic(cfg, b, { batch: false }), 'done');
    const [ra, rb] = [results(a), results(b)];
    assert.equal(Object.keys(ra.parts).length, 6);
    assert.deepEqual(ra, rb, name);
    assert.equal(readFileSync(join(a, 'summary.json'), 'utf8'), readFileSync(join(b, 'summary.json'), 'utf8'), `${name}: summary.json`);
    if (name.startsWith('stop')) assert.ok(new Set(Object.values(ra.parts).map((p) => (p as { steps: number }).steps)).size > 1, 'parts ended at different steps');
  }
});

test('an interrupted batched run resumes (batched or one by one) to the uninterrupted results', async (t) => {
  const root = tempDir(t, 'lrlab-batch-');
  for (const [update, cfg] of [['noisy-gd', tiny()], ['sgd', tiny(SGD)]] as const) await resumes(root, update, cfg);
});

/** Interrupt the run at several polls and repeatedly; each resumed run ends with the uninterrupted run's results. */
async function resumes(root: string, update: string, cfg: SyntheticExperimentConfig): Promise<void> {
  const ref = join(root, `ref-${update}`);
  assert.equal(await runSynthetic(cfg, ref), 'done');
  for (const [k, batch] of [[77, true], [1, true], [120, false]] as const) {
    const dir = join(root, `stop-${update}-${k}-${batch}`);
    assert.equal(await runSynthetic(cfg, dir, stopAt(k)), 'interrupted');
    assert.equal(readdirSync(join(dir, 'checkpoints')).length, 6, 'every part checkpointed');
    assert.equal(await runSynthetic(cfg, dir, { batch }), 'done');
    assert.deepEqual(results(dir), results(ref), `stopped at poll ${k}, resumed ${batch ? 'batched' : 'one by one'}`);
    if (batch) assert.ok(readFileSync(join(dir, 'metrics.jsonl')).equals(readFileSync(join(ref, 'metrics.jsonl'))), 'metrics.jsonl byte for byte');
  }
  // repeated interruptions
  const dir = join(root, `repeated-${update}`);
  let calls = 0, stops = 0;
  while (await runSynthetic(cfg, dir, { shouldStop: () => ++calls % 37 === 0 }) === 'interrupted') stops++;
  assert.ok(stops >= 5, `${stops} interruptions`);
  assert.ok(readFileSync(join(dir, 'metrics.jsonl')).equals(readFileSync(join(ref, 'metrics.jsonl'))));
  assert.deepEqual(results(dir), results(ref));
}

test('a crashed batched run resumes from its last checkpoint (rows after it and a torn line dropped), also after a part has ended', async (t) => {
  const root = tempDir(t, 'lrlab-batch-');
  for (const [name, cfg, k] of [
    ['between checkpoints', tiny(), 110],
    ['before the first checkpoint', tiny(), 20],
    ['after a part ended', tiny({ train: { stopAtLoss: true, eps2: 0.3, eps2S: 0.2, maxSteps: 400, checkpointEvery: 0 } }), 0],
    ['SGD, between checkpoints', tiny(SGD), 110],
  ] as const) {
    const ref = join(root, `${name}-ref`);
    assert.equal(await runSynthetic(cfg, ref, { batch: false }), 'done');
    // crash one poll after the first part ended, where asked (k = 0)
    const first = Math.min(...Object.values(results(ref).parts).map((p) => (p as { steps: number }).steps));
    const dir = join(root, name);
    await assert.rejects(runSynthetic(cfg, dir, stopAt(k || first + 3, true)), /simulated crash/);
    if (k === 0) assert.ok(readdirSync(join(dir, 'parts')).length >= 1, 'a part had ended');
    appendFileSync(join(dir, 'metrics.jsonl'), '{"method":"S","seed":3,"step":1');
    assert.equal(await runSynthetic(cfg, dir), 'done');
    assert.deepEqual(results(dir), results(ref), name);
  }
});

test('a batched run reports its progress as the fraction of all its parts\' steps (not part after part)', async (t) => {
  const root = tempDir(t, 'lrlab-batch-');
  const seen: { fraction: number; info: string }[] = [];
  assert.equal(await runSynthetic(tiny(), join(root, 'run'), { onBatchProgress: (fraction, info) => seen.push({ fraction, info }) }), 'done');
  const f = seen.map((s) => s.fraction);
  assert.ok(f.every((v, i) => i === 0 || v >= f[i - 1]!), 'never goes back');
  assert.equal(f.at(-1), 1);
  // the 6 parts advance in lockstep: half way through their steps the run is half done
  assert.ok(f.some((v) => v > 0.4 && v < 0.6), `a fraction near 0.5 (${f.map((v) => v.toFixed(2)).join(' ')})`);
  assert.match(seen[1]!.info, /\(\+5 more part\(s\) batched\)$/);
});
