// SYN-sweep: a learning-order preset over 8 seeds (24 parts: L-S, S and S+noise per seed), trained
// as a user's run trains them and one by one, timed in the same bench run. Two lines:
//   {"workload":"SYN-sweep","preset":"order","parts":24,"steps":...,"side_by_side_s":...,"workers":2,
//    "batched_s":...,"one_by_one_s":...,"one_by_one_autograd_s":...,"speedup":...,...}
// the reference minibatch-SGD setting (preset `order`: the exact Q-block reduction, float32), and
//   {"workload":"SYN-sweep-gd","preset":"order-gd",...}
// the noisy-GD setting (preset `order-gd`, float64, which was `order` when the workload was defined),
// with the batched program also timed with the exact Q-block reduction (model.reduceQBlock: the same
// model in law, not the same draws) and that in float32 (data.dtype).
//   side_by_side_s: the mean of side_by_side_first_s and side_by_side_last_s, the same run timed first
// and last (before and after the other runs: A B A, so that a drift of the machine's speed during the
// minutes of the baselines moves both sides of the speedups alike): `lrlab synthetic` as a user runs it (a child process, LRLAB_NUM_THREADS unset:
// the parts side by side in one process per core, each its share as one batched program), its
// start-up included, from the CLI's bundle (rebuilt first where stale; `cli` says which ran).
// batched_s: the run in this process as one batched program (--workers 1).
// one_by_one_s: the run with --no-batch (each part alone; the single-part step is the closed form).
// one_by_one_autograd_s: each part alone by autograd, evaluated at the same steps, without the run
// folder's files (the single-part step as it was when the workload was defined). Every part of every
// variant that is not marked reduced or float32 ends bit-identical to training it alone.
//   `speedup` is side_by_side_s against one_by_one_autograd_s (the target's ratio: throughput in parts
// per minute against the parts one by one on the code path of the time the workload was defined);
// each `speedup_<x>` is one_by_one_autograd_s / <x>_s. For `order`, one_by_one_autograd_f64_s times
// the autograd path on the preset in float64 (its dtype until 2026-12-01; float32 does not change its
// learning order, docs/RESULTS.md), and speedup_vs_f64 is against that.
//   A whole preset is 20k-30k steps per part, so by default every run trains the same first `steps`
// (1000) of it, with the schedule events set at a step moved to the same fraction of the run (events
// set at a loss stay); evaluations as in the preset. `--syn-steps N` trains N steps per part.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setNumThreads, threadsFor } from '../src/engine/index.js';
// @ts-expect-error (plain JavaScript beside the entry point, without types)
import { freshBundle as freshBundleJs } from '../bin/bundle.js';
import { syntheticPreset } from '../src/experiments/synthetic/presets.js';
import { runSynthetic, synthetic } from '../src/experiments/synthetic/index.js';
import { SyntheticPart } from '../src/experiments/synthetic/part.js';
import { partsOf } from '../src/experiments/partRunner.js';
import type { SyntheticExperimentConfig, SyntheticMethod } from '../src/experiments/synthetic/config.js';

const freshBundle = freshBundleJs as (root: string) => string | null;

export const SYN_SWEEP = 'SYN-sweep';
export const SYN_SWEEP_GD = 'SYN-sweep-gd';
export const SYN_SWEEP_SEEDS = 8;
export const SYN_SWEEP_STEPS = 1000;
const BIN = fileURLToPath(new URL('../bin/lrlab.js', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The CLI's bundle, built first where the sources changed since (else each `lrlab` process would start
 * through tsx, ~0.4 s slower: not the CLI as `npm ci` leaves it); 'bundle', or 'tsx' where it cannot be built.
 */
function cliBundle(): 'bundle' | 'tsx' {
  if (freshBundle(ROOT)) return 'bundle';
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs'), '--optional'], { encoding: 'utf8' });
  process.stderr.write(`SYN-sweep: the sources changed since the CLI's bundle was built: rebuilt it (${r.status === 0 ? 'ok' : 'failed'})\n`);
  return freshBundle(ROOT) ? 'bundle' : 'tsx';
}

/** One line of the workload: seconds of each run and each run's speedup over the one-by-one run. */
export type SynSweepResult = { workload: string; preset: string; parts: number; steps: number; one_by_one_s: number } & Record<string, number | string>;

/** A preset over 8 seeds, cut to its first `steps` steps with its step-set schedule events at the same fraction. */
export function synSweepConfig(preset: 'order' | 'order-gd', steps: number): SyntheticExperimentConfig {
  const cfg = syntheticPreset(preset);
  const full = cfg.train.maxSteps;
  if (!(Number.isInteger(steps) && steps >= 1 && steps <= full)) throw new Error(`SYN-sweep: steps must be an integer in [1, ${full}], got ${steps}`);
  const at = (s: number | null) => (s === null ? null : Math.max(1, Math.round((s * steps) / full)));
  cfg.seeds = SYN_SWEEP_SEEDS;
  cfg.train.maxSteps = steps;
  cfg.train.annealAtStep = at(cfg.train.annealAtStep);
  cfg.train.noiseAnnealAtStep = at(cfg.train.noiseAnnealAtStep);
  return cfg;
}

/** The intra-op threads a run of `cfg` in one process takes (its kind's choice for its ops; LRLAB_NUM_THREADS wins). */
const runThreads = (cfg: SyntheticExperimentConfig) => threadsFor(synthetic.opSize?.(cfg)).threads;

/** Seconds to train and evaluate every part of `cfg` one by one, each by autograd, as the runner would (without files). */
function timeAutogradOneByOne(cfg: SyntheticExperimentConfig): number {
  setNumThreads(runThreads(cfg)); // as the runner sets them for the config
  const t0 = performance.now();
  for (const key of partsOf(synthetic, cfg)) {
    const part = new SyntheticPart(cfg, key.method as SyntheticMethod, key.seed, { autograd: true });
    try {
      part.evaluate();
      while (!part.done) if (part.advance().evaluate) part.evaluate();
    } finally { part.dispose(); }
  }
  return (performance.now() - t0) / 1000;
}

async function timeRun(cfg: SyntheticExperimentConfig, batch: boolean): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'lrlab-bench-syn-'));
  try {
    const t0 = performance.now();
    const r = await runSynthetic(cfg, join(dir, 'run'), { batch });
    if (r !== 'done') throw new Error(`SYN-sweep: the ${batch ? 'batched' : 'one-by-one'} run ended '${r}'`);
    return (performance.now() - t0) / 1000;
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

/** Seconds of `lrlab synthetic --config CFG` in a child process as a user starts it (LRLAB_NUM_THREADS unset: side by side where it fits). */
function timeCli(cfg: SyntheticExperimentConfig): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'lrlab-bench-syn-'));
  writeFileSync(join(dir, 'cfg.json'), JSON.stringify(cfg));
  const { LRLAB_NUM_THREADS: _t, ...env } = process.env;
  const t0 = performance.now();
  return new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'synthetic', '--config', join(dir, 'cfg.json'), '--out', join(dir, 'run'), '--quiet', '--no-reuse'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('close', (code) => {
      const s = (performance.now() - t0) / 1000;
      rmSync(dir, { recursive: true, force: true });
      if (code === 0) resolve(s); else reject(new Error(`SYN-sweep: lrlab synthetic exited ${code}: ${err.slice(-400)}`));
    });
  });
}

/** The config with the exact Q-block reduction and/or another dtype. */
function variant(cfg: SyntheticExperimentConfig, o: { reduce?: boolean; dtype?: 'float32' | 'float64' }): SyntheticExperimentConfig {
  const c = structuredClone(cfg);
  if (c.model.arch !== 'block') throw new Error('SYN-sweep: the preset is no longer a block net');
  if (o.reduce) c.model.reduceQBlock = true;
  if (o.dtype) c.data.dtype = o.dtype;
  return c;
}

const r2 = (v: number) => Math.round(v * 100) / 100;

type Variant = { reduce?: boolean; dtype?: 'float32' | 'float64' };

/** Time the preset's run as a user runs it, batched in this process, one by one, one by one by autograd, and `variants` (batched, or `autograd`); seconds and speedups rounded to 0.01. */
async function timeLine(workload: string, preset: 'order' | 'order-gd', steps: number, variants: [string, Variant & { autograd?: boolean; cli?: boolean }][]): Promise<SynSweepResult> {
  const cfg = synSweepConfig(preset, steps);
  const cli = cliBundle();
  // the target's run timed before and after the others (A B A), and their mean taken: a machine
  // whose speed drifts during the minutes of the baselines moves both sides of the ratio alike
  const first = await timeCli(cfg);
  const batched = await timeRun(cfg, true);
  const alone = await timeRun(cfg, false);
  const autograd = timeAutogradOneByOne(cfg);
  const last = await timeCli(cfg);
  const sideBySide = (first + last) / 2;
  const out: SynSweepResult = {
    workload, preset, parts: cfg.seeds * cfg.methods.length, steps, dtype: cfg.data.dtype, workers: availableParallelism(), cli,
    side_by_side_s: r2(sideBySide), side_by_side_first_s: r2(first), side_by_side_last_s: r2(last),
    batched_s: r2(batched), one_by_one_s: r2(alone), one_by_one_autograd_s: r2(autograd),
    speedup: r2(autograd / sideBySide), speedup_batched: r2(autograd / batched), speedup_one_by_one: r2(autograd / alone),
  };
  for (const [name, o] of variants) {
    const c = variant(cfg, o);
    const s = o.autograd ? timeAutogradOneByOne(c) : o.cli ? await timeCli(c) : await timeRun(c, true);
    out[`${name}_s`] = r2(s);
    out[`speedup_${o.autograd ? 'vs_' : ''}${name.replace(/^(batched_|one_by_one_autograd_)/, '')}`] = r2(o.autograd ? s / sideBySide : autograd / s);
  }
  return out;
}

/** SYN-sweep (preset order; and the autograd path on it in float64) and SYN-sweep-gd (order-gd: + reduceQBlock, + float32, side by side). */
export async function runSynSweep(steps = SYN_SWEEP_STEPS, which: string[] = [SYN_SWEEP, SYN_SWEEP_GD]): Promise<SynSweepResult[]> {
  const lines: SynSweepResult[] = [];
  if (which.includes(SYN_SWEEP)) lines.push(await timeLine(SYN_SWEEP, 'order', steps, [['one_by_one_autograd_f64', { dtype: 'float64', autograd: true }]]));
  if (which.includes(SYN_SWEEP_GD)) {
    lines.push(await timeLine(SYN_SWEEP_GD, 'order-gd', steps, [
      ['batched_reduced', { reduce: true }], ['batched_reduced_f32', { reduce: true, dtype: 'float32' }], ['side_by_side_reduced_f32', { reduce: true, dtype: 'float32', cli: true }],
    ]));
  }
  return lines;
}

/** `npm run bench` with SYN-sweep / SYN-sweep-gd: a JSON line each on stdout (what it ran on stderr unless --json). */
export async function benchSynSweep(args: string[], json: boolean, which: string[]): Promise<void> {
  const si = args.indexOf('--syn-steps');
  const steps = si >= 0 ? Number(args[si + 1]) : SYN_SWEEP_STEPS;
  if (!json) {
    process.stderr.write(`SYN-sweep: ${SYN_SWEEP_SEEDS} seeds x 3 methods, the first ${steps} steps per part; lrlab synthetic as a user runs it (side by side, `
      + `${availableParallelism()} core(s)), batched in this process (${runThreads(synSweepConfig('order', steps))} thread(s)), one by one, one by one by autograd\n`
      + `  ${SYN_SWEEP}: preset order (minibatch SGD, reduced Q block, float32); and autograd on it in float64\n`
      + `  ${SYN_SWEEP_GD}: preset order-gd (noisy GD (3.1), float64); and batched with reduceQBlock, that in float32, and that side by side\n`);
  }
  for (const line of await runSynSweep(steps, which)) console.log(JSON.stringify(line));
}
