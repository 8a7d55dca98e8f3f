// SYN-sweep: the noisy-GD order setting (preset `order-gd`, which was `order` when the workload was
// defined) over 8 seeds (24 parts: L-S, S and S+noise per seed) through the
// part runner, trained as one batched program (the default) and one by one with the single-part
// code path (--no-batch), in the same process, one after the other; prints
//   {"workload":"SYN-sweep","parts":24,"batched_s":...,"one_by_one_s":...,"speedup":...,
//    "batched_reduced_s":...,"speedup_reduced":...,"batched_reduced_f32_s":...,"speedup_reduced_f32":...}
// speedup: the batched program, each part bit-identical to the one-by-one run. speedup_reduced: the
// batched program with the exact Q-block reduction (model.reduceQBlock: the same model in law, not
// the same draws). speedup_reduced_f32: that in float32 (data.dtype; docs/RESULTS.md says where float32
// changes results). Every ratio is against the same one-by-one run (today's path: full V, float64).
// The whole preset is 20k steps per part (about 10 minutes one by one on 2 cores), so by default both
// runs train the same fraction of it: the first `steps` (1000, 5%) with the schedule events (anneal,
// noise switch-off) moved to the same fraction of the run; evaluations every 500 steps as in the
// preset. `--syn-steps 20000` runs the whole preset.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getNumThreads } from '../src/engine/index.js';
import { syntheticPreset } from '../src/experiments/synthetic/presets.js';
import { runSynthetic } from '../src/experiments/synthetic/index.js';
import type { SyntheticExperimentConfig } from '../src/experiments/synthetic/config.js';

export const SYN_SWEEP = 'SYN-sweep';
export const SYN_SWEEP_SEEDS = 8;
export const SYN_SWEEP_STEPS = 1000;

export interface SynSweepResult {
  workload: string; parts: number; batched_s: number; one_by_one_s: number; speedup: number;
  batched_reduced_s: number; speedup_reduced: number; batched_reduced_f32_s: number; speedup_reduced_f32: number;
}

/** The `order-gd` preset over 8 seeds, cut to its first `steps` steps with its schedule events at the same fraction. */
export function synSweepConfig(steps: number): SyntheticExperimentConfig {
  const cfg = syntheticPreset('order-gd');
  const full = cfg.train.maxSteps;
  if (!(Number.isInteger(steps) && steps >= 1 && steps <= full)) throw new Error(`SYN-sweep: steps must be an integer in [1, ${full}], got ${steps}`);
  const at = (s: number | null) => (s === null ? null : Math.max(1, Math.round((s * steps) / full)));
  cfg.seeds = SYN_SWEEP_SEEDS;
  cfg.train.maxSteps = steps;
  cfg.train.annealAtStep = at(cfg.train.annealAtStep);
  cfg.train.noiseAnnealAtStep = at(cfg.train.noiseAnnealAtStep);
  return cfg;
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

/** The SYN-sweep config with the exact Q-block reduction (and float32 if asked). */
function reduced(cfg: SyntheticExperimentConfig, float32: boolean): SyntheticExperimentConfig {
  const c = structuredClone(cfg);
  if (c.model.arch !== 'block') throw new Error('SYN-sweep: the order-gd preset is no longer a block net');
  c.model.reduceQBlock = true;
  if (float32) c.data.dtype = 'float32';
  return c;
}

/** Time the four runs (batched first); seconds rounded to 0.01, each speedup (one by one / that run) to 0.01. */
export async function runSynSweep(steps = SYN_SWEEP_STEPS): Promise<SynSweepResult> {
  const cfg = synSweepConfig(steps);
  const batched = await timeRun(cfg, true);
  const alone = await timeRun(cfg, false);
  const red = await timeRun(reduced(cfg, false), true);
  const red32 = await timeRun(reduced(cfg, true), true);
  const r2 = (v: number) => Math.round(v * 100) / 100;
  return {
    workload: SYN_SWEEP, parts: cfg.seeds * cfg.methods.length, batched_s: r2(batched), one_by_one_s: r2(alone), speedup: r2(alone / batched),
    batched_reduced_s: r2(red), speedup_reduced: r2(alone / red), batched_reduced_f32_s: r2(red32), speedup_reduced_f32: r2(alone / red32),
  };
}

/** `npm run bench` with SYN-sweep: the JSON line on stdout (what it ran on stderr unless --json). */
export async function benchSynSweep(args: string[], json: boolean): Promise<void> {
  const si = args.indexOf('--syn-steps');
  const steps = si >= 0 ? Number(args[si + 1]) : SYN_SWEEP_STEPS;
  if (!json) process.stderr.write(`SYN-sweep: order-gd preset, ${SYN_SWEEP_SEEDS} seeds, ${steps} of 20000 steps per part, ${getNumThreads()} thread(s), batched, --no-batch, batched with reduceQBlock, and that in float32\n`);
  console.log(JSON.stringify(await runSynSweep(steps)));
}
