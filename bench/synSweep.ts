// SYN-sweep: a learning-order preset over 8 seeds (24 parts: L-S, S and S+noise per seed) through the
// part runner, trained as one batched program (the default) and one by one with the single-part code
// path (--no-batch), in the same process, one after the other. Two lines:
//   {"workload":"SYN-sweep","preset":"order","parts":24,"steps":...,"batched_s":...,"one_by_one_s":...,"speedup":...,
//    "one_by_one_autograd_s":...,"speedup_vs_autograd":...,"batched_f32_s":...,"speedup_f32":...}
// the reference minibatch-SGD setting (preset `order`, which already trains the exact Q-block
// reduction), and
//   {"workload":"SYN-sweep-gd","preset":"order-gd",...,"batched_reduced_s":...,"speedup_reduced":...,
//    "batched_reduced_f32_s":...,"speedup_reduced_f32":...}
// the noisy-GD setting (preset `order-gd`, which was `order` when the workload was defined).
// speedup: the batched program, each part bit-identical to the one-by-one run. speedup_reduced: the
// batched program with the exact Q-block reduction (model.reduceQBlock: the same model in law, not the
// same draws). *_f32: that in float32 (data.dtype; docs/RESULTS.md says where float32 changes results).
// Every ratio of a line is against that line's one-by-one run (the preset as it is, float64), whose
// single-part step is the closed form (the batched program with one part). Each line also times the
// same parts one by one by autograd (one_by_one_autograd_s, speedup_vs_autograd: the single-part step
// as it was when the workload was defined): each part trained alone and evaluated at the same steps,
// as the runner does, without the run folder's files (which makes that baseline a little faster).
// A whole preset is 20k-30k steps per part, so by default every run trains the same first `steps`
// (1000) of it, with the schedule events set at a step moved to the same fraction of the run (events
// set at a loss stay); evaluations as in the preset. `--syn-steps N` trains N steps per part.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getNumThreads } from '../src/engine/index.js';
import { syntheticPreset } from '../src/experiments/synthetic/presets.js';
import { runSynthetic, synthetic } from '../src/experiments/synthetic/index.js';
import { SyntheticPart } from '../src/experiments/synthetic/part.js';
import { partsOf } from '../src/experiments/partRunner.js';
import type { SyntheticExperimentConfig, SyntheticMethod } from '../src/experiments/synthetic/config.js';

export const SYN_SWEEP = 'SYN-sweep';
export const SYN_SWEEP_GD = 'SYN-sweep-gd';
export const SYN_SWEEP_SEEDS = 8;
export const SYN_SWEEP_STEPS = 1000;

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

/** Seconds to train and evaluate every part of `cfg` one by one, each by autograd, as the runner would (without files). */
function timeAutogradOneByOne(cfg: SyntheticExperimentConfig): number {
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

/** The config with the exact Q-block reduction and/or float32. */
function variant(cfg: SyntheticExperimentConfig, o: { reduce?: boolean; float32?: boolean }): SyntheticExperimentConfig {
  const c = structuredClone(cfg);
  if (c.model.arch !== 'block') throw new Error('SYN-sweep: the preset is no longer a block net');
  if (o.reduce) c.model.reduceQBlock = true;
  if (o.float32) c.data.dtype = 'float32';
  return c;
}

const r2 = (v: number) => Math.round(v * 100) / 100;

/** Time the one-by-one run and each batched variant (name -> config); seconds and speedups rounded to 0.01. */
async function timeLine(workload: string, preset: 'order' | 'order-gd', steps: number, variants: [string, { reduce?: boolean; float32?: boolean }][]): Promise<SynSweepResult> {
  const cfg = synSweepConfig(preset, steps);
  const batched = await timeRun(cfg, true);
  const alone = await timeRun(cfg, false);
  const autograd = timeAutogradOneByOne(cfg);
  const out: SynSweepResult = {
    workload, preset, parts: cfg.seeds * cfg.methods.length, steps, batched_s: r2(batched), one_by_one_s: r2(alone), speedup: r2(alone / batched),
    one_by_one_autograd_s: r2(autograd), speedup_vs_autograd: r2(autograd / batched),
  };
  for (const [name, o] of variants) {
    const s = await timeRun(variant(cfg, o), true);
    out[`batched_${name}_s`] = r2(s);
    out[`speedup_${name}`] = r2(alone / s);
  }
  return out;
}

/** SYN-sweep (preset order: batched, batched float32) and SYN-sweep-gd (order-gd: batched, + reduceQBlock, + float32). */
export async function runSynSweep(steps = SYN_SWEEP_STEPS, which: string[] = [SYN_SWEEP, SYN_SWEEP_GD]): Promise<SynSweepResult[]> {
  const lines: SynSweepResult[] = [];
  if (which.includes(SYN_SWEEP)) lines.push(await timeLine(SYN_SWEEP, 'order', steps, [['f32', { float32: true }]]));
  if (which.includes(SYN_SWEEP_GD)) lines.push(await timeLine(SYN_SWEEP_GD, 'order-gd', steps, [['reduced', { reduce: true }], ['reduced_f32', { reduce: true, float32: true }]]));
  return lines;
}

/** `npm run bench` with SYN-sweep / SYN-sweep-gd: a JSON line each on stdout (what it ran on stderr unless --json). */
export async function benchSynSweep(args: string[], json: boolean, which: string[]): Promise<void> {
  const si = args.indexOf('--syn-steps');
  const steps = si >= 0 ? Number(args[si + 1]) : SYN_SWEEP_STEPS;
  if (!json) {
    process.stderr.write(`SYN-sweep: ${SYN_SWEEP_SEEDS} seeds x 3 methods, the first ${steps} steps per part, ${getNumThreads()} thread(s); each batched run against --no-batch in the same process\n`
      + `  ${SYN_SWEEP}: preset order (minibatch SGD, reduced Q block): batched, batched in float32\n`
      + `  ${SYN_SWEEP_GD}: preset order-gd (noisy GD (3.1)): batched, with reduceQBlock, and that in float32\n`);
  }
  for (const line of await runSynSweep(steps, which)) console.log(JSON.stringify(line));
}
