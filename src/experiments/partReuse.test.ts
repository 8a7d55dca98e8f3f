// Reuse of finished parts: a part with the identity of a finished part elsewhere under the runs
// folder is copied, not trained, and the copy equals a rerun (rows and part file but for wall-clock
// seconds); an image method under another name is renamed; a run with a checkpoint reuses nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deepMerge } from './configTools.js';
import { getExperiment } from './registry.js';
import { runParts } from './partRunner.js';
import { findFinishedParts, reuseParts, reuseRoot, type ReusedPart } from './partReuse.js';
import type { BaseConfig } from './experiment.js';
import { writeTinyFashionMnist } from './images/testData.testutil.js';

const root = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'lrlab-reuse-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const synthetic = getExperiment('synthetic');
const images = getExperiment('images');

function tinySynthetic(train: Record<string, unknown> = {}): BaseConfig {
  return synthetic.validate(deepMerge(synthetic.presets.default!.config(), {
    preset: 'test', seed: 3, seeds: 2,
    data: { d: 12, n: 50, qSupport: 12, gamma: 1, qScale: 10, aMin: 0.5, testSizes: { pOnly: 30, qOnly: 20, both: 25 } },
    model: { m: 12 },
    train: {
      update: 'noisy-gd', lambda: 1e-3, tauXi: 0.02, tau0: 0.5, eta1: 4, eta2: 1, eps1: 0.1, eps2: 0.01, eps2S: 0.01,
      stopAtLoss: false, maxSteps: 150, annealAtStep: null, noiseStd: 0.3, noiseAnnealAtStep: 100, noiseAnnealAtLoss: null,
      lossCheckEvery: 5, evalEvery: 50, checkpointEvery: 0, ...train,
    },
  })) as BaseConfig;
}

/** Rows (without wall-clock seconds), grouped by part and in file order within a part. */
function rowsByPart(dir: string): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const l of readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean)) {
    const { seconds: _s, ...r } = JSON.parse(l) as Record<string, unknown>;
    (out[`${String(r.method)}-${String(r.seed)}`] ??= []).push(r);
  }
  return out;
}

/** Part files without seconds and the reuse note. */
function partFiles(dir: string): Record<string, unknown> {
  return Object.fromEntries(readdirSync(join(dir, 'parts')).filter((f) => f.endsWith('.json')).sort().map((f) => {
    const { seconds: _s, reusedFrom: _r, ...p } = JSON.parse(readFileSync(join(dir, 'parts', f), 'utf8')) as Record<string, unknown>;
    return [f, p];
  }));
}

test('synthetic: a run over another eta1 reuses S and S+noise, a second identical run reuses all; reused equals rerun', async () => {
  const runs = join(root, 'syn');
  const a = join(runs, 'a'), b = join(runs, 'b'), again = join(runs, 'again'), fresh = join(root, 'syn-fresh', 'b');
  assert.equal(await runParts(synthetic, tinySynthetic(), a), 'done');
  const seen: ReusedPart[][] = [];
  const cfgB = tinySynthetic({ eta1: 2 });
  assert.equal(await runParts(synthetic, cfgB, b, { reuse: { onReuse: (r) => seen.push(r) } }), 'done');
  assert.equal(seen.length, 1);
  assert.deepEqual(seen[0]!.map((r) => `${r.key.method}/${r.key.seed}`).sort(), ['S+noise/3', 'S+noise/4', 'S/3', 'S/4']);
  assert.ok(seen[0]!.every((r) => r.from === a));
  const reusedFrom = JSON.parse(readFileSync(join(b, 'parts', 'S-seed3.json'), 'utf8')).reusedFrom as { run: string };
  assert.equal(reusedFrom.run, a);
  assert.equal(JSON.parse(readFileSync(join(b, 'parts', 'L-S-seed3.json'), 'utf8')).reusedFrom, undefined, 'L-S (eta1 changed) was trained');
  // a rerun of b without reuse, in another runs folder: the same rows, part files and summary numbers
  assert.equal(await runParts(synthetic, cfgB, fresh), 'done');
  assert.deepEqual(rowsByPart(b), rowsByPart(fresh));
  assert.deepEqual(partFiles(b), partFiles(fresh));
  assert.deepEqual(JSON.parse(readFileSync(join(b, 'summary.json'), 'utf8')).methods, JSON.parse(readFileSync(join(fresh, 'summary.json'), 'utf8')).methods);
  // the same config again: nothing is trained
  const again2: ReusedPart[][] = [];
  assert.equal(await runParts(synthetic, cfgB, again, { reuse: { onReuse: (r) => again2.push(r) } }), 'done');
  assert.equal(again2[0]!.length, 6);
  assert.deepEqual(rowsByPart(again), rowsByPart(fresh));
  // the lookup: every finished part of the runs folder, by identity (a's 6, b's L-S 2: the rest are the same identities)
  assert.equal(findFinishedParts(runs, 'synthetic').size, 8);
  assert.equal(findFinishedParts(runs, 'images').size, 0);
});

test('a run with a pending checkpoint reuses nothing (its checkpoint offset in metrics.jsonl stays valid)', async () => {
  const runs = join(root, 'ck');
  const cfg = tinySynthetic();
  assert.equal(await runParts(synthetic, cfg, join(runs, 'a')), 'done');
  const b = join(runs, 'b');
  mkdirSync(join(b, 'checkpoints'), { recursive: true });
  writeFileSync(join(b, 'checkpoints', 'L-S-seed3.json'), '{}');
  assert.deepEqual(reuseParts(synthetic, cfg, b, [{ method: 'S', seed: 3 }]), []);
  assert.equal(existsSync(join(b, 'parts')), false);
});

test('reuseRoot: the folder that holds the run or its sweep, or the nearest one above with the runs index', () => {
  const r = join(root, 'rr');
  mkdirSync(join(r, 'group', 'sw', 'points', 'p000', 'seed0'), { recursive: true });
  writeFileSync(join(r, 'group', 'sw', 'sweep.json'), '{}');
  assert.equal(reuseRoot(join(r, 'group', 'run1')), join(r, 'group'));
  assert.equal(reuseRoot(join(r, 'group', 'sw', 'points', 'p000', 'seed0')), join(r, 'group'));
  writeFileSync(join(r, '.lrlab-index.sqlite'), '');
  assert.equal(reuseRoot(join(r, 'group', 'run1')), r);
});

test('images: a method under another name with the same schedules is reused and renamed in its rows and part file', async () => {
  const data = writeTinyFashionMnist(join(root, 'img-data'), 120, 60);
  const cfg = (names: [string, string]) => images.validate(deepMerge(images.presets.smoke!.config(), {
    preset: 'test', seed: 1, seeds: 1, dataset: { dir: data, trainSize: 100, testSize: 60 }, model: { hidden: [8] },
    train: { epochs: 2, checkpointEvery: 0 }, patch: { patchOnlyValSize: 30 },
    methods: [
      { name: names[0], lr: { kind: 'constant', lr: 0.1 }, noise: { kind: 'off' }, subset: 'patch' },
      { name: names[1], lr: { kind: 'constant', lr: 0.01 }, noise: { kind: 'off' }, subset: 'patch' },
    ],
  })) as BaseConfig;
  const runs = join(root, 'img');
  assert.equal(await runParts(images, cfg(['large', 'small']), join(runs, 'a')), 'done');
  const b = join(runs, 'b'), fresh = join(root, 'img-fresh', 'b');
  const seen: ReusedPart[] = [];
  assert.equal(await runParts(images, cfg(['big', 'small']), b, { reuse: { onReuse: (r) => seen.push(...r) } }), 'done');
  assert.deepEqual(seen.map((r) => r.key.method), ['big', 'small']);
  assert.equal(await runParts(images, cfg(['big', 'small']), fresh), 'done');
  assert.deepEqual(rowsByPart(b), rowsByPart(fresh));
  const strip = (p: Record<string, unknown>) => { const { final, ...rest } = p as { final: Record<string, unknown> }; const { seconds: _s, ...f } = final; return { ...rest, final: f }; };
  const pb = partFiles(b), pf = partFiles(fresh);
  assert.deepEqual(Object.keys(pb), ['big-seed1.json', 'small-seed1.json']);
  for (const f of Object.keys(pf)) assert.deepEqual(strip(pb[f] as Record<string, unknown>), strip(pf[f] as Record<string, unknown>), f);
  // the part's other files (an image part's event log) come along, under the new name
  const others = (d: string) => readdirSync(join(d, 'parts')).filter((f) => !f.endsWith('.json')).sort();
  assert.deepEqual(others(b), others(fresh));
  for (const f of others(fresh)) assert.ok(readFileSync(join(b, 'parts', f)).equals(readFileSync(join(fresh, 'parts', f))), f);
});
