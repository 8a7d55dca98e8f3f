import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setNumThreads } from '../../engine/index.js';
import { deepMerge } from '../configTools.js';
import { validateImageConfig, type ImageExperimentConfig } from './config.js';
import { imagePreset } from './presets.js';
import { checkImageData } from './data.js';
import { runImages } from './index.js';
import type { PartCheckpoint, RunHooks as ImageRunHooks } from '../partRunner.js';
import type { ImagePartResult, ImageSummary } from './summary.js';
import type { ImageTrainerState } from '../../train/imageTrainer.js';
import { readJson, readJsonl } from '../../runs/runFolder.js';
import { writeTinyFashionMnist } from './testData.testutil.js';
import { VAL_SETS, type ImageMetricsRow } from '../../metrics/imageMetrics.js';
import { EventLog } from '../../metrics/eventLog.js';
import { unpackBits } from '../../metrics/learningEvents.js';

setNumThreads(1);

const root = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'lrlab-runimg-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
const dataDir = writeTinyFashionMnist(join(root, 'data'), 240, 100);

/** 2 seeds x the 3 patch methods (anneal at epoch 2) x 3 epochs of 7 batches, MLP 784-16-10. */
function tiny(patch: unknown = {}): ImageExperimentConfig {
  return validateImageConfig(deepMerge(imagePreset('smoke'), deepMerge({
    preset: 'test', seed: 3, seeds: 2,
    dataset: { dir: dataDir, trainSize: 200, testSize: 100 },
    model: { hidden: [16] },
    patch: { patchOnlyValSize: 50 },
    train: { epochs: 3, batchSize: 32, recalibrateBatches: 2, evalBatchSize: 64, checkpointEvery: 1 },
    methods: imagePreset('smoke').methods.map((m) => deepMerge(m, m.lr.kind === 'step' ? { lr: { at: [2] } } : m.noise.kind === 'step' ? { noise: { at: [2] } } : {})),
  }, patch)));
}

let n = 0;
const fresh = () => join(root, `run-${n++}`);

/**
 * Hooks that stop (or, with crash, throw as a killed process would) at the k-th poll. The runner
 * yields to the event loop only after a minute, so a slow batch (a loaded machine, a GC pause) adds
 * no poll and the poll numbers below stay where the tests count them.
 */
function stopAt(k: number, crash = false): ImageRunHooks {
  let calls = 0;
  return { yieldEveryMs: 60_000, shouldStop: () => { if (++calls !== k) return false; if (crash) throw new Error('simulated crash'); return true; } };
}

const rowsOf = (dir: string) => readJsonl<ImageMetricsRow>(join(dir, 'metrics.jsonl'));
const noSeconds = ({ seconds: _s, ...r }: ImageMetricsRow) => r;
function partNoTime(dir: string, f: string) {
  const { seconds, final, ...rest } = readJson<ImagePartResult>(join(dir, 'parts', f));
  assert.equal(typeof seconds, 'number');
  return { ...rest, final: final && noSeconds(final) };
}

/** The results of an uninterrupted run: the same rows (but for seconds), parts and summary. */
function assertSameResults(dir: string, ref: string, what: string): void {
  const a = rowsOf(dir), b = rowsOf(ref);
  assert.deepEqual(a.bad, [], what);
  assert.deepEqual(a.rows.map(noSeconds), b.rows.map(noSeconds), `${what}: metrics rows`);
  const parts = readdirSync(join(ref, 'parts')).sort();
  assert.deepEqual(readdirSync(join(dir, 'parts')).sort(), parts);
  for (const f of parts.filter((x) => x.endsWith('.json'))) assert.deepEqual(partNoTime(dir, f), partNoTime(ref, f), `${what}: ${f}`);
  // the per-example learning events: bit-identical after any interruption
  const events = parts.filter((x) => x.endsWith('.events.bin'));
  assert.equal(events.length, parts.length / 2, `${what}: an event log beside every part file`);
  for (const f of events) assert.ok(readFileSync(join(dir, 'parts', f)).equals(readFileSync(join(ref, 'parts', f))), `${what}: ${f} differs`);
  assert.equal(readFileSync(join(dir, 'summary.json'), 'utf8'), readFileSync(join(ref, 'summary.json'), 'utf8'), `${what}: summary`);
  assert.equal(readJson<{ state: string }>(join(dir, 'status.json')).state, 'done');
}

function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => { for (const f of readdirSync(d).sort()) { const p = join(d, f); if (statSync(p).isDirectory()) walk(p); else out.set(relative(dir, p), readFileSync(p)); } };
  walk(dir);
  return out;
}

const PARTS = ['large-lr-seed3', 'large-lr-seed4', 'small-lr-seed3', 'small-lr-seed4', 'small-lrplusnoise-seed3', 'small-lrplusnoise-seed4']
  .flatMap((p) => [`${p}.events.bin`, `${p}.json`]);
const ROW_KEYS = ['method', 'seed', 'epoch', 'step', 'lr', 'noise', 'train_loss', 'train_acc', 'val_loss', 'val_acc', 'seconds', 'learned_as_trained', 'learned_clean', 'learned_patched'];

let refDir: string | null = null;
async function reference(): Promise<string> {
  if (!refDir) { refDir = fresh(); assert.equal(await runImages(tiny(), refDir), 'done'); }
  return refDir;
}

test('a short run writes a complete, valid run folder', async () => {
  const dir = await reference();
  const cfg = tiny();
  assert.deepEqual(readJson(join(dir, 'config.json')), cfg);
  const status = readJson<{ state: string; pid: number; updated: string }>(join(dir, 'status.json'));
  assert.equal(status.state, 'done');
  assert.equal(status.pid, process.pid);
  assert.deepEqual(readdirSync(join(dir, 'parts')).sort(), PARTS);
  assert.deepEqual(readdirSync(join(dir, 'checkpoints')), [], "finished parts' checkpoints are removed");

  const { rows, bad } = rowsOf(dir);
  assert.deepEqual(bad, []);
  assert.equal(rows.length, 6 * 4);
  for (const r of rows) {
    assert.deepEqual(Object.keys(r), r.epoch === 3 ? [...ROW_KEYS, 'order_sample'] : ROW_KEYS);
    assert.deepEqual(Object.keys(r.train_loss), ['clean', 'mixed', 'patch_only', 'all']);
    assert.deepEqual(Object.keys(r.val_acc), [...VAL_SETS]);
    for (const s of VAL_SETS) assert.ok(r.val_acc[s]! >= 0 && r.val_acc[s]! <= 1 && Number.isFinite(r.val_loss[s]));
    if (r.epoch === 0) assert.deepEqual(r.train_loss, { clean: null, mixed: null, patch_only: null, all: null });
    else for (const k of ['clean', 'mixed', 'patch_only', 'all'] as const) assert.ok(Number.isFinite(r.train_acc[k]), k);
  }
  for (const seed of [3, 4]) {
    const of = (m: string) => rows.filter((r) => r.method === m && r.seed === seed);
    assert.deepEqual(of('large-lr').map((r) => [r.epoch, r.step, r.lr, r.noise]), [[0, 0, 0.1, 0], [1, 7, 0.1, 0], [2, 14, 0.1, 0], [3, 21, 0.004, 0]]);
    assert.deepEqual(of('small-lr').map((r) => r.lr), [0.004, 0.004, 0.004, 0.004]);
    assert.deepEqual(of('small-lr+noise').map((r) => r.noise), [0.4, 0.4, 0.4, 0.4 * 1e-5]);
    // the methods of a seed start from the same model, data and patch
    const e0 = (m: string) => of(m)[0]!.val_loss;
    assert.deepEqual(e0('large-lr'), e0('small-lr'));
    assert.deepEqual(e0('large-lr'), e0('small-lr+noise'));
    // training fits the (easy) images
    assert.ok(of('large-lr')[3]!.val_acc.clean! > 0.5, `seed ${seed} learns: ${of('large-lr')[3]!.val_acc.clean}`);
    for (const m of ['large-lr', 'small-lr', 'small-lr+noise']) {
      const p = readJson<ImagePartResult>(join(dir, 'parts', `${m.replace('+', 'plus')}-seed${seed}.json`));
      assert.equal(p.status, 'done');
      assert.equal(p.epochs, 3);
      assert.equal(p.steps, 21);
      assert.equal(p.recalibratedBn, true);
      assert.deepEqual(p.final, of(m)[3]);
      for (const s of VAL_SETS) {
        const mean = of(m).slice(1).reduce((a, r) => a + r.val_acc[s]!, 0) / 3;
        assert.ok(Math.abs(p.val_acc_last5_mean[s]! - mean) < 1e-12, `${m} last-5 ${s}`);
      }
      // the event log's as-trained bits are the training pass's own results: per epoch they count train_acc.all's correct examples
      const log = EventLog.decode(readFileSync(join(dir, 'parts', `${m.replace('+', 'plus')}-seed${seed}.events.bin`)));
      assert.deepEqual(log.trainEpochs, [1, 2, 3]);
      assert.deepEqual(log.evalEpochs, [0, 1, 2, 3]);
      log.trainPlanes('correct').forEach((plane, t) => {
        const correct = unpackBits(plane, 200).reduce((a, b) => a + b, 0);
        assert.equal(correct, Math.round(of(m)[t + 1]!.train_acc.all! * 200), `${m} epoch ${t + 1}`);
      });
      const learned = (of(m)[3] as unknown as { learned_as_trained: Record<string, number | null> }).learned_as_trained;
      assert.equal(learned.all, p.events!.signals.as_trained!.groups.all!.learned);
      const above = of(m).find((r) => r.val_acc.patch_only! > 0.5);
      assert.equal(p.patch_only_above_50_epoch, above ? above.epoch : null);
    }
  }
  assert.notDeepEqual(rows.find((r) => r.seed === 3)!.val_loss, rows.find((r) => r.seed === 4)!.val_loss, 'seeds differ');

  const sum = readJson<ImageSummary>(join(dir, 'summary.json'));
  assert.deepEqual([sum.kind, sum.preset, sum.seeds, sum.recalibratedBn, sum.patchMode], ['images', 'test', [3, 4], true, 'replace']);
  assert.deepEqual(Object.keys(sum.methods), ['large-lr', 'small-lr', 'small-lr+noise']);
  for (const [m, s] of Object.entries(sum.methods)) {
    const ps = [3, 4].map((seed) => readJson<ImagePartResult>(join(dir, 'parts', `${m.replace('+', 'plus')}-seed${seed}.json`)));
    for (const v of VAL_SETS) {
      const [a, b] = ps.map((p) => p.final!.val_acc[v]!);
      assert.equal(s.val_acc[v].n, 2);
      assert.ok(Math.abs(s.val_acc[v].mean! - (a! + b!) / 2) < 1e-15);
      assert.ok(Math.abs(s.val_acc[v].std! - Math.abs(a! - b!) / Math.SQRT2) < 1e-12);
      const [c, d] = ps.map((p) => p.val_acc_last5_mean[v]!);
      assert.ok(Math.abs(s.val_acc_last5_mean[v].mean! - (c! + d!) / 2) < 1e-15);
    }
    const reached = ps.filter((p) => p.patch_only_above_50_epoch !== null);
    assert.equal(s.patch_only_above_50_seeds, reached.length);
    assert.equal(s.patch_only_above_50_epoch?.n ?? 0, reached.length);
    assert.deepEqual(s.statuses, { done: 2 });
  }
});

test('an interrupted run, resumed, gives the results of an uninterrupted run', async () => {
  const ref = await reference();
  const cfg = tiny();
  // 8 polls per epoch (one before the epoch, one before each of its 7 batches), 24 per part. 30: after
  // 4 batches of the 2nd part's first epoch; 22: after 4 batches of the first part's epoch 3; 8: before
  // the last batch of its epoch 1; 9: between its epochs 1 and 2
  // where the resume line says each goes on from: within an epoch, the epoch it is in and its batches
  // done (not "N epoch(s) done", which reads as an epoch boundary); at an epoch's end, the epochs done
  const where: Record<number, string> = {
    30: 'seed 3 small-lr: step 4: in epoch 1, after 4 of 7 batches',
    22: 'seed 3 large-lr: step 18: in epoch 3, after 4 of 7 batches',
    8: 'seed 3 large-lr: step 6: in epoch 1, after 6 of 7 batches',
    9: 'seed 3 large-lr: step 7, 1 epoch(s) done',
  };
  for (const k of [30, 22, 8, 9]) {
    const dir = fresh();
    assert.equal(await runImages(cfg, dir, stopAt(k)), 'interrupted');
    assert.equal(readJson<{ state: string }>(join(dir, 'status.json')).state, 'interrupted');
    assert.equal(existsSync(join(dir, 'summary.json')), false);
    assert.equal(readdirSync(join(dir, 'checkpoints')).length, 1);
    let from: string[] = [];
    assert.equal(await runImages(cfg, dir, { onOpen: (_n, todo) => { from = todo.filter((t) => t.at).map((t) => `seed ${t.key.seed} ${t.key.method}: ${t.at}`); } }), 'done');
    assert.deepEqual(from, [where[k]], `stopped at poll ${k}`);
    assertSameResults(dir, ref, `stopped at poll ${k}`);
  }
  const paused = fresh();
  assert.equal(await runImages(cfg, paused, { yieldEveryMs: 0 }), 'done');
  assertSameResults(paused, ref, 'yielding to the event loop after every batch');
  const dir = fresh();
  let calls = 0, stops = 0;
  while (await runImages(cfg, dir, { shouldStop: () => ++calls % 17 === 0 }) === 'interrupted') stops++;
  assert.ok(stops >= 7, `${stops} interruptions`);
  assertSameResults(dir, ref, 'repeated interruptions');
});

test('resume after a crash drops metric rows written after the last checkpoint, and a torn line', async () => {
  const ref = await reference();
  const cfg = tiny({ train: { checkpointEvery: 2 } });
  const refK = fresh();
  assert.equal(await runImages(cfg, refK), 'done');
  assertSameResults(refK, ref, 'checkpointEvery does not change the results');
  // 8 polls per epoch, 24 per part (the 2nd part's epoch e: polls 25 + 8(e - 1) to 32 + 8(e - 1)).
  // 43: the 2nd part crashes after 2 batches of its epoch 3, after its checkpoint at epoch 2 (no row
  // since); 33: before its epoch 2, after its epoch-1 row but before any checkpoint of the part (the
  // 1st part, finished, has none either)
  const checkpointsLeft: Record<number, number> = { 43: 1, 33: 0 };
  for (const k of [43, 33]) {
    const dir = fresh();
    await assert.rejects(runImages(cfg, dir, stopAt(k, true)), /simulated crash/);
    const cks = join(dir, 'checkpoints');
    assert.equal(existsSync(cks) ? readdirSync(cks).length : 0, checkpointsLeft[k], `checkpoints after a crash at poll ${k}`);
    appendFileSync(join(dir, 'metrics.jsonl'), '{"method":"small-lr","seed":3,"epo');
    assert.equal(await runImages(cfg, dir), 'done');
    assertSameResults(dir, ref, `crash at poll ${k}`);
  }
});

test('a corrupt, foreign or mismatched checkpoint is refused with a clear message, and nothing is touched', async () => {
  const cfg = tiny({ seeds: 1 });
  const dir = fresh();
  assert.equal(await runImages(cfg, dir, stopAt(10)), 'interrupted');
  const ck = join(dir, 'checkpoints', 'large-lr-seed3.json');
  const good = readFileSync(ck);
  const refuse = async (re: RegExp) => {
    const before = snapshot(dir);
    await assert.rejects(runImages(cfg, dir), (e: Error) => re.test(e.message) && !e.message.includes('\n'));
    assert.deepEqual(snapshot(dir), before);
  };
  writeFileSync(ck, good.subarray(0, good.length >> 1));
  await refuse(/checkpoint .*large-lr-seed3\.json is corrupt or truncated .*remove it to restart that part from scratch/);
  writeFileSync(ck, JSON.stringify({ codeVersion: 'x' }));
  await refuse(/checkpoint .* is incomplete/);
  const parsed = JSON.parse(good.toString()) as PartCheckpoint & { state: ImageTrainerState };
  writeFileSync(ck, JSON.stringify({ ...parsed, codeVersion: '0.0.1+ckpt0' }));
  await refuse(/written by lrlab 0\.0\.1\+ckpt0/);
  writeFileSync(ck, JSON.stringify({ ...parsed, config: tiny({ seeds: 1, train: { weightDecay: 1e-3 } }) }));
  await refuse(/belongs to a different config/);
  const bad = structuredClone(parsed);
  bad.state.model.params['fc1.weight']!.shape = [8, 784];
  writeFileSync(ck, JSON.stringify(bad));
  await refuse(/checkpoint .* does not fit this run \(loadStateDict: 'fc1\.weight' is \[16,784\] float32 in the model but \[8,784\]/);
  // a different config than the run folder's
  writeFileSync(ck, good);
  await assert.rejects(runImages(tiny({ seeds: 1, train: { epochs: 4 } }), dir), /holds a different config/);
  assert.equal(await runImages(cfg, dir), 'done');
});

test('a diverging method keeps its rows; evalEvery and the data checks', async () => {
  const cfg = tiny({ seeds: 1, train: { evalEvery: 2, checkpointEvery: 0 }, methods: [
    { name: 'huge', lr: { kind: 'constant', lr: 1e12 }, noise: { kind: 'off' }, subset: 'patch' },
    { name: 'fine', lr: { kind: 'constant', lr: 0.05 }, noise: { kind: 'off' }, subset: 'noPatch' },
  ] });
  const dir = fresh();
  assert.equal(await runImages(cfg, dir), 'done');
  const { rows } = rowsOf(dir);
  assert.deepEqual(rows.filter((r) => r.method === 'fine').map((r) => r.epoch), [0, 2, 3]);
  const huge = readJson<ImagePartResult>(join(dir, 'parts', 'huge-seed3.json'));
  assert.equal(huge.status, 'diverged');
  assert.match(huge.message!, /diverged.*lower the learning rate/);
  assert.deepEqual(huge.final, rows.filter((r) => r.method === 'huge').at(-1));
  const sum = readJson<ImageSummary>(join(dir, 'summary.json'));
  assert.deepEqual(sum.methods['huge']!.statuses, { diverged: 1 });
  assert.equal(sum.methods['huge']!.val_acc.clean.n, 0, 'diverged seeds are left out of the accuracies');
  assert.deepEqual(sum.methods['fine']!.statuses, { done: 1 });

  assert.throws(() => checkImageData(tiny({ dataset: { dir: join(root, 'nope') } })), /Fashion-MNIST folder not found: .*nope \(install Debian's dataset-fashion-mnist/);
  assert.throws(() => checkImageData(deepMerge(imagePreset('patch'), { dataset: { dir: null } })), /preset 'patch' uses CIFAR-10, which lrlab cannot download: download the binary version/);
  assert.throws(() => checkImageData(deepMerge(imagePreset('patch'), { dataset: { dir: dataDir } })), /CIFAR-10: missing file\(s\) in .*data_batch_1\.bin/);
  await assert.rejects(runImages(tiny({ dataset: { trainSize: 500 } }), fresh()), /'dataset\.trainSize' is 500 but .* has only 240 training images/);
});
