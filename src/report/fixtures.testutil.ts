// Small, deterministic run folders in the formats of runSynthetic / runImages, for the report,
// index, server and dashboard tests (and for trying the dashboard without training anything).
import { firstLearnedStep } from '../experiments/synthetic/learned.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { meanStd } from '../util/stats.js';

export const IMAGE_METHODS = [
  { name: 'large LR + anneal', lr: { kind: 'step', lr: 0.1, factor: 0.04, at: [6], unit: 'epoch' }, noise: { kind: 'off' }, subset: 'patch' },
  { name: 'small LR', lr: { kind: 'constant', lr: 0.004 }, noise: { kind: 'off' }, subset: 'patch' },
  { name: 'small LR + noise', lr: { kind: 'constant', lr: 0.004 }, noise: { kind: 'step', std: 0.4, factor: 1e-5, at: [6], unit: 'epoch' }, subset: 'patch' },
];

/** A deterministic wiggle in [-1, 1] (no random generator needed for fixtures). */
const wiggle = (a: number, b: number) => Math.sin(a * 12.9898 + b * 78.233) * 0.5 + Math.sin(a * 3.1 + b * 1.7) * 0.5;

/** One image metrics row of method index `mi` at `epoch` (accuracies are fractions). */
export function imageRow(method: string, mi: number, seed: number, epoch: number, anneal = 6): Record<string, unknown> {
  const t = epoch / (anneal * 2);
  const after = epoch >= anneal ? 1 : 0;
  const clean = Math.min(0.95, 0.1 + 0.7 * (1 - Math.exp(-3 * t)) + 0.08 * after * (mi === 1 ? 0 : 1) - 0.1 * mi * t + 0.01 * wiggle(epoch, seed + mi));
  const patch = mi === 1 ? Math.min(1, 0.1 + 0.9 * (1 - Math.exp(-2 * epoch))) : after ? 0.95 : 0.1 + 0.02 * wiggle(seed, epoch);
  const mixed = Math.min(1, (clean + patch) / 2 + 0.05);
  const tr = Math.min(1, clean + 0.05 + 0.1 * after);
  return {
    method, seed, epoch, step: epoch * 40, lr: after && mi === 0 ? 0.004 : mi === 0 ? 0.1 : 0.004, noise: mi === 2 && !after ? 0.4 : 0,
    train_loss: { clean: 1 - tr, mixed: 1 - tr, patch_only: 1 - patch, all: 1 - tr },
    train_acc: { clean: tr, mixed: tr, patch_only: patch, all: tr },
    val_loss: { clean: 1 - clean, mixed: 1 - mixed, patch_only: 1 - patch },
    val_acc: { clean, mixed, patch_only: patch }, seconds: epoch * 2.5,
  };
}

/** One synthetic metrics row of method index `mi` at `step`; L-S (mi 0) anneals at `annealAt`. */
export function syntheticRow(method: string, mi: number, seed: number, step: number, annealAt = 400): Record<string, unknown> {
  const t = step / 1000;
  const annealed = mi === 0 && step >= annealAt;
  const p = Math.min(0.99, 0.5 + (mi === 1 ? 0.35 : 0.48) * (1 - Math.exp(-3 * t)) + 0.005 * wiggle(step, seed));
  const q = mi === 1 ? Math.min(1, 0.5 + 0.5 * (1 - Math.exp(-8 * t))) : annealed ? Math.min(1, 0.5 + (step - annealAt) / 800) : 0.5;
  const sub = (x: number) => ({ p_only: x, q_only: x, both: x, all: x });
  return {
    method, seed, step, lr: mi === 0 && !annealed ? 0.0125 : 0.004, noise: mi === 2 ? 3 : 0, annealed,
    train_loss: sub(0.5 - 0.4 * t), train_acc: sub(p), test_loss: sub(0.6 - 0.3 * t),
    test_acc: { p_only: p, q_only: q, both: Math.max(p, q), all: (p + q) / 2 },
    q_contrast: mi === 1 ? t : annealed ? (step - annealAt) / 1000 : 0.01 * wiggle(seed, step), norm_W: 1 + t, norm_V: 1 + t * (mi === 1 ? 2 : 0.5), norm_U: 1.5 + t,
  };
}

const jsonl = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(r) + '\n').join('');
const writeJson = (path: string, v: unknown) => writeFileSync(path, JSON.stringify(v, null, 2) + '\n');

export interface ImageFixture { preset?: string; dataset?: string; seeds?: number; epochs?: number; done?: boolean; patch?: boolean }

/** Write an image run folder: config, metrics (epochs 0..epochs), and when done a summary; returns dir. */
export function writeImageRun(dir: string, o: ImageFixture = {}): string {
  const { preset = 'patch', dataset = 'cifar10', seeds = 2, epochs = 12, done = true, patch = true } = o;
  mkdirSync(join(dir, 'parts'), { recursive: true });
  mkdirSync(join(dir, 'checkpoints'), { recursive: true });
  const methods = IMAGE_METHODS.map((m) => ({ ...m, subset: patch ? m.subset : 'noPatch' }));
  writeJson(join(dir, 'config.json'), {
    kind: 'images', preset, seed: 0, seeds, dataset: { name: dataset, dir: null, trainSize: 500, testSize: 200 },
    model: { arch: 'mlp', hidden: [64] },
    patch: { enabled: patch, mode: 'replace' }, train: { epochs, batchSize: 64, recalibrateBn: true }, methods,
  });
  const rows: Record<string, unknown>[] = [];
  for (let s = 0; s < seeds; s++) methods.forEach((m, mi) => { for (let e = 0; e <= epochs; e++) rows.push(imageRow(m.name, mi, s, e)); });
  writeFileSync(join(dir, 'metrics.jsonl'), jsonl(rows));
  writeJson(join(dir, 'status.json'), { state: done ? 'done' : 'running', pid: done ? undefined : 1, updated: '2026-11-20T10:00:00.000Z' });
  if (done) {
    const last = (m: string, s: number) => rows.filter((r) => r.method === m && r.seed === s).at(-1)!;
    const per = (m: string, k: string) => meanStd(Array.from({ length: seeds }, (_, s) => (last(m, s).val_acc as Record<string, number>)[k]));
    writeJson(join(dir, 'summary.json'), {
      kind: 'images', preset, seeds: Array.from({ length: seeds }, (_, s) => s), recalibratedBn: true, patchMode: 'replace',
      methods: Object.fromEntries(methods.map((m) => [m.name, {
        val_acc: { clean: per(m.name, 'clean'), mixed: per(m.name, 'mixed'), patch_only: per(m.name, 'patch_only') },
        val_acc_last5_mean: { clean: per(m.name, 'clean'), mixed: per(m.name, 'mixed'), patch_only: per(m.name, 'patch_only') },
        patch_only_above_50_epoch: m.name === 'small LR' ? { mean: 1, std: 0, n: seeds } : { mean: 6, std: 0, n: seeds },
        patch_only_above_50_seeds: seeds, statuses: { done: seeds },
      }])),
    });
  }
  return dir;
}

export interface SyntheticFixture { preset?: string; seeds?: number; steps?: number; every?: number; done?: boolean }

/** Write a synthetic run folder: config, metrics (every `every` steps) and when done a summary; returns dir. */
export function writeSyntheticRun(dir: string, o: SyntheticFixture = {}): string {
  const { preset = 'default', seeds = 2, steps = 1000, every = 100, done = true } = o;
  const methods = ['L-S', 'S', 'S+noise'];
  mkdirSync(join(dir, 'parts'), { recursive: true });
  mkdirSync(join(dir, 'checkpoints'), { recursive: true });
  writeJson(join(dir, 'config.json'), { kind: 'synthetic', preset, seed: 0, seeds, methods, data: { d: 20 }, model: { arch: 'block' }, train: { maxSteps: steps, evalEvery: every } });
  const rows: Record<string, unknown>[] = [];
  for (let s = 0; s < seeds; s++) methods.forEach((m, mi) => { for (let k = 0; k <= steps; k += every) rows.push(syntheticRow(m, mi, s, k)); });
  writeFileSync(join(dir, 'metrics.jsonl'), jsonl(rows));
  writeJson(join(dir, 'status.json'), { state: done ? 'done' : 'running', updated: '2026-11-20T11:00:00.000Z' });
  if (done) {
    const lastAcc = (m: string, k: string) => meanStd(Array.from({ length: seeds }, (_, s) =>
      (rows.filter((r) => r.method === m && r.seed === s).at(-1)!.test_acc as Record<string, number>)[k]));
    writeJson(join(dir, 'summary.json'), {
      kind: 'synthetic', preset, seeds: Array.from({ length: seeds }, (_, s) => s),
      methods: Object.fromEntries(methods.map((m) => [m, {
        test_acc: Object.fromEntries(['p_only', 'q_only', 'both', 'all'].map((k) => [k, lastAcc(m, k)])),
        test_loss: {}, train_acc: {}, steps: { mean: steps, std: 0, n: seeds },
        annealed_at_step: m === 'L-S' ? { mean: 400, std: 0, n: seeds } : null, statuses: { done: seeds },
        learned_at_step: Object.fromEntries(['p_only', 'q_only'].map((k) => [k, meanStd(Array.from({ length: seeds }, (_, s) =>
          firstLearnedStep(rows.filter((r) => r.method === m && r.seed === s) as { step: number; test_acc: Record<string, number> }[], k)))])),
      }])),
    });
  }
  return dir;
}

export interface SweepFixture { over: [string, unknown[]][]; seeds?: number; axes?: unknown[]; sample?: { n: number; seed: number }; done?: boolean }

/**
 * Write a synthetic sweep folder: sweep.json (the grid of `over`) and a finished run per point and
 * seed whose summary gives method `m` on point i, seed s the P-only test accuracy accOf(m, i, s)
 * (L-S 0.80 + 0.02 i + 0.02 s, S 0.70 + 0.01 s, S+noise 0.75). Returns dir.
 */
export function writeSyntheticSweep(dir: string, o: SweepFixture): string {
  const { over, seeds = 2, done = true } = o;
  let pts: Record<string, unknown>[] = [{}];
  for (const [k, vs] of over) pts = pts.flatMap((p) => vs.map((v) => ({ ...p, [k]: v })));
  const points = pts.map((values, i) => ({ label: `p${String(i).padStart(3, '0')}`, values }));
  mkdirSync(dir, { recursive: true });
  const base = { kind: 'synthetic', preset: 'default', seed: 0, seeds: 1, methods: ['L-S', 'S', 'S+noise'] };
  writeJson(join(dir, 'sweep.json'), { kind: 'sweep', spec: { base, over, seeds, workers: 2, ...(o.axes ? { axes: o.axes } : {}), ...(o.sample ? { sample: o.sample } : {}) }, points });
  writeJson(join(dir, 'status.json'), { state: done ? 'done' : 'running', updated: '2026-11-20T12:00:00.000Z' });
  points.forEach((p, i) => {
    for (let s = 0; s < seeds; s++) {
      const run = writeSyntheticRun(join(dir, 'points', p.label, `seed${s}`), { seeds: 1, steps: 200, every: 100 });
      const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')) as { methods: Record<string, { test_acc: Record<string, unknown> }> };
      for (const m of Object.keys(summary.methods)) summary.methods[m]!.test_acc.p_only = { mean: accOf(m, i, s), std: 0, n: 1 };
      writeJson(join(run, 'summary.json'), summary);
      for (const m of Object.keys(summary.methods)) {
        writeJson(join(run, 'parts', `${m.replace(/\+/g, 'plus')}-seed${s}.json`), {
          method: m, seed: s, partId: `sha256:${m}${s}`, status: 'done', message: null, weightsSha256: 'x', seconds: 1,
          ...(m !== 'L-S' && i > 0 ? { reusedFrom: { run: join(dir, 'points', 'p000', `seed${s}`), partId: `sha256:${m}${s}` } } : {}),
        });
      }
    }
  });
  return dir;
}

/** The P-only test accuracy of the sweep fixture's method `m` at point i, seed s. */
export function accOf(m: string, i: number, s: number): number {
  return m === 'L-S' ? 0.8 + 0.02 * i + 0.02 * s : m === 'S' ? 0.7 + 0.01 * s : 0.75;
}
