// Run groups: several run folders (configs that differ in eta1, weight decay, noise; one batchKey)
// trained as one batched program give every run folder the rows (in file order), part files and
// summary.json of running it alone; a group stopped at any poll resumes (as a group, or each run
// alone, batched or one by one) to the same results; a run whose parts have all ended is done at
// once; refusals (another config in a folder, a bad checkpoint) come before any folder is touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, tiny } from './synthetic/tiny.testutil.js';
import { getExperiment } from './registry.js';
import { runParts } from './partRunner.js';
import { runGroup, type GroupRun } from './runGroup.js';
import type { BaseConfig, BatchItem } from './experiment.js';
import type { BatchHooks } from './batchRunner.js';
import { readJson, readJsonl } from '../runs/runFolder.js';

const synthetic = getExperiment('synthetic');

/** Three runs of one batchKey (the points of a sweep): one seed each but the first (2 seeds). */
const configs = (patch: Record<string, unknown> = {}): BaseConfig[] => [
  tiny({ seeds: 2, ...patch }),
  tiny({ seeds: 1, seed: 5, train: { eta1: 2, lambda: 2e-3, ...(patch.train as object) } }),
  tiny({ seeds: 1, train: { noiseStd: 0.5, tauXi: 0, ...(patch.train as object) } }),
] as unknown as BaseConfig[];

const runsIn = (root: string, cfgs: BaseConfig[]): GroupRun[] => cfgs.map((config, i) => ({ config, dir: join(root, `run${i}`) }));

/** A run folder's rows in file order (wall-clock seconds dropped), part files (without seconds), summary.json and state. */
function folder(dir: string) {
  const rows = readJsonl<{ seconds?: number }>(join(dir, 'metrics.jsonl')).rows.map(({ seconds: _s, ...r }) => r);
  const parts = Object.fromEntries(readdirSync(join(dir, 'parts')).sort().map((f) => {
    const { seconds: _s, ...p } = readJson<{ seconds: number }>(join(dir, 'parts', f));
    return [f, p];
  }));
  return { rows, parts, summary: readFileSync(join(dir, 'summary.json'), 'utf8'), state: readJson<{ state: string }>(join(dir, 'status.json')).state };
}

/** Hooks that stop at the k-th poll (one poll per batched step). */
function stopAt(k: number): BatchHooks {
  let calls = 0;
  return { shouldStop: () => ++calls === k };
}

test('a group of runs gives each run folder the rows, part files and summary of running it alone', async (t) => {
  const root = tempDir(t, 'lrlab-group-');
  for (const [name, cfgs] of [['anneal by step', configs()], ['stop at loss', configs({ train: { stopAtLoss: true, eps2: 0.3, eps2S: 0.2, maxSteps: 400 } })]] as const) {
    const fractions: number[] = [], batches: number[] = [];
    const group = runsIn(join(root, `${name}-group`), cfgs);
    const spy = { ...synthetic, createBatch: (items: BatchItem[]) => { batches.push(items.length); return synthetic.createBatch!(items); } };
    assert.equal(await runGroup(spy, group, { onBatchProgress: (f) => fractions.push(f) }), 'done');
    assert.deepEqual(batches, [12], `${name}: the 12 parts of the 3 runs as one batch`);
    assert.ok(fractions.length > 0 && fractions.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= fractions[i - 1]!)), `${name}: progress fractions rise within [0, 1]`);
    for (const [i, r] of group.entries()) {
      const alone = join(root, `${name}-alone${i}`), oneByOne = join(root, `${name}-one-by-one${i}`);
      assert.equal(await runParts(synthetic, r.config, alone), 'done');
      assert.equal(await runParts(synthetic, r.config, oneByOne, { batch: false }), 'done');
      const f = folder(r.dir);
      assert.equal(f.state, 'done');
      assert.deepEqual(f, folder(alone), `${name}: run ${i} equals it run alone (batched), rows in file order`);
      const o = folder(oneByOne);
      assert.deepEqual([f.parts, f.summary], [o.parts, o.summary], `${name}: run ${i} equals it run one part by one`);
      assert.deepEqual(readJson<{ sessions: unknown[] }>(join(r.dir, 'runtime.json')).sessions.length, 1);
    }
  }
});

test('a group stopped at any poll resumes (as a group, each run alone, or one by one) to the uninterrupted results', async (t) => {
  const root = tempDir(t, 'lrlab-group-');
  const cfgs = configs({ train: { stopAtLoss: true, eps2: 0.3, eps2S: 0.2, maxSteps: 400 } });
  const ref = runsIn(join(root, 'ref'), cfgs);
  assert.equal(await runGroup(synthetic, ref), 'done');
  const want = ref.map((r) => folder(r.dir));
  const steps = Object.values(want[0]!.parts).map((p) => (p as { steps: number }).steps);
  assert.ok((want[1]!.parts['S-seed5.json'] as { steps: number }).steps < 190 && steps.some((n) => n > 210), 'the runs end at different steps');
  for (const [k, resume] of [[77, 'group'], [1, 'group'], [Math.min(...steps) + 2, 'group'], [200, 'alone'], [150, 'one by one']] as const) {
    const runs = runsIn(join(root, `stop-${k}-${resume}`), cfgs);
    assert.equal(await runGroup(synthetic, runs, stopAt(k)), 'interrupted');
    const states = runs.map((r) => readJson<{ state: string }>(join(r.dir, 'status.json')).state);
    assert.ok(states.includes('interrupted'), `stopped at ${k}: ${states.join(', ')}`);
    // (run 1's parts end by step 147, the others' go on to step 362 and 400)
    if (k === 200) assert.deepEqual(states, ['interrupted', 'done', 'interrupted'], 'a run whose parts have all ended is done');
    runs.forEach((r, i) => { if (states[i] === 'done') assert.ok(existsSync(join(r.dir, 'summary.json'))); });
    if (resume === 'group') assert.equal(await runGroup(synthetic, runs), 'done');
    else for (const r of runs) assert.equal(await runParts(synthetic, r.config, r.dir, { batch: resume === 'alone' }), 'done');
    runs.forEach((r, i) => {
      const got = folder(r.dir);
      if (resume === 'one by one') assert.deepEqual([got.parts, got.summary], [want[i]!.parts, want[i]!.summary], `stopped at ${k}, run ${i} resumed one by one`);
      else assert.deepEqual(got, want[i], `stopped at ${k}, run ${i} resumed ${resume}: rows in file order, parts, summary`);
    });
  }
  // repeated interruptions
  const runs = runsIn(join(root, 'repeated'), cfgs);
  let calls = 0, stops = 0;
  while (await runGroup(synthetic, runs, { shouldStop: () => ++calls % 37 === 0 }) === 'interrupted') stops++;
  assert.ok(stops >= 5, `${stops} interruptions`);
  runs.forEach((r, i) => assert.deepEqual(folder(r.dir), want[i], `run ${i} after ${stops} interruptions`));
});

test('a group refuses another config in a folder and a bad checkpoint before touching any folder', async (t) => {
  const root = tempDir(t, 'lrlab-group-');
  const cfgs = configs();
  const runs = runsIn(root, cfgs);
  assert.equal(await runGroup(synthetic, runs, stopAt(30)), 'interrupted');
  const snapshot = () => runs.map((r) => readdirSync(r.dir).sort().map((f) => [f, f === 'parts' || f === 'checkpoints' ? readdirSync(join(r.dir, f)).sort() : readFileSync(join(r.dir, f), 'utf8')]));
  const before = snapshot();
  const other = [runs[0]!, runs[1]!, { ...runs[2]!, config: tiny({ seeds: 1, train: { eta1: 3 } }) as unknown as BaseConfig }];
  await assert.rejects(runGroup(synthetic, other), /holds a different config/);
  assert.deepEqual(snapshot(), before, 'nothing touched');
  const ck = join(runs[2]!.dir, 'checkpoints', readdirSync(join(runs[2]!.dir, 'checkpoints'))[0]!);
  const good = readFileSync(ck, 'utf8');
  writeFileSync(ck, good.slice(0, 40));
  await assert.rejects(runGroup(synthetic, runs), /corrupt or truncated/);
  writeFileSync(ck, good);
  assert.deepEqual(snapshot(), before, 'nothing touched');
  await assert.rejects(runGroup(synthetic, [runs[0]!, runs[0]!]), /given twice/);
  assert.equal(await runGroup(synthetic, runs), 'done');
});
