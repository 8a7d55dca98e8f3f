// Runs a synthetic experiment (every method on every seed) into a run folder:
//   config.json, metrics.jsonl (one row per method/seed/eval step), parts/<method>-seed<i>.json
//   (the final result of each finished part), checkpoints/, status.json and summary.json.
// Finished parts are skipped and interrupted ones continue from their checkpoint on resume.
import { firstLearnedStep } from './learned.js';
import { existsSync, readFileSync, readdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { JsonlWriter, loadCheckpointFile, readJson, readJsonl, prepareRunFolder, refuseIfRunningElsewhere, writeFileAtomic, writeJsonAtomic, writeRunStatus } from '../runs/runFolder.js';
import { type SyntheticExperimentConfig, type SyntheticMethod, validateSyntheticConfig } from './syntheticConfig.js';
import { SyntheticTrainer, disposeSetup, setupSynthetic, type RunStatus, type SyntheticTrainerState } from '../train/syntheticTrainer.js';
import { syntheticMetrics, SUBSETS, type SyntheticMetrics } from '../metrics/syntheticMetrics.js';
import { meanStd, type MeanStd } from '../util/stats.js';
import { CODE_VERSION } from '../util/version.js';

export interface SyntheticPartResult {
  method: SyntheticMethod;
  seed: number;
  status: RunStatus;
  message: string | null;
  steps: number;
  annealedAtStep: number | null;
  noiseOffAtStep: number | null;
  /** First evaluated step at which the test accuracy on P-only / Q-only inputs reached LEARNED_ACC (null: never). */
  learnedAtStep: { p_only: number | null; q_only: number | null };
  final: SyntheticMetrics;
  /** SHA-256 (hex) of the final weights (the serialized state dict): equal only for equal weights. */
  weightsSha256: string;
  seconds: number;
}

export interface SyntheticSummary {
  kind: 'synthetic';
  preset: string;
  seeds: number[];
  methods: Record<string, {
    test_acc: Record<string, MeanStd>;
    test_loss: Record<string, MeanStd>;
    train_acc: Record<string, MeanStd>;
    steps: MeanStd;
    annealed_at_step: MeanStd | null;
    /** The learning order: when P-only / Q-only test accuracy first reached LEARNED_ACC, over the seeds that reached it. */
    learned_at_step: { p_only: MeanStd; q_only: MeanStd };
    statuses: Record<string, number>;
  }>;
}

export interface RunHooks {
  /** Called as training advances: part index, number of parts, step, the trainer. */
  onProgress?: (p: { part: number; parts: number; method: SyntheticMethod; seed: number; step: number; maxSteps: number; trainLoss: number }) => void;
  /** Polled between steps: return true to checkpoint and stop (SIGINT/SIGTERM). */
  shouldStop?: () => boolean;
  /** Give the event loop a turn at least this often (ms; default 100), so signal handlers run. */
  yieldEveryMs?: number;
}

export interface Checkpoint { codeVersion: string; config: SyntheticExperimentConfig; metricsBytes: number; trainer: SyntheticTrainerState }

const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve));

const partName = (m: SyntheticMethod, seed: number) => `${m.replace('+', 'plus')}-seed${seed}`;

export function seedList(cfg: SyntheticExperimentConfig): number[] {
  return Array.from({ length: cfg.seeds }, (_, i) => cfg.seed + i);
}

/** Run (or continue) the experiment in `dir`. Returns 'done' or 'interrupted'. */
export async function runSynthetic(cfg: SyntheticExperimentConfig, dir: string, hooks: RunHooks = {}): Promise<'done' | 'interrupted'> {
  validateSyntheticConfig(cfg);
  refuseIfRunningElsewhere(dir);
  const seeds = seedList(cfg);
  const parts = seeds.flatMap((seed) => cfg.methods.map((method) => ({ seed, method })));
  // refuse to continue a run folder with another config, or from a bad checkpoint, before touching any file
  const cfgPath = join(dir, 'config.json');
  if (existsSync(cfgPath) && !sameConfig(readJson(cfgPath), cfg)) {
    throw new Error(`run folder ${dir} holds a different config (${cfgPath}); refusing to continue it with this one`);
  }
  for (const { seed, method } of parts) {
    const name = partName(method, seed);
    const ck = join(dir, 'checkpoints', `${name}.json`);
    if (!existsSync(join(dir, 'parts', `${name}.json`)) && existsSync(ck)) loadCheckpoint(ck, cfg);
  }
  prepareRunFolder(dir, cfg);
  const metricsPath = join(dir, 'metrics.jsonl');
  writeRunStatus(dir, 'running');

  for (let pi = 0; pi < parts.length; pi++) {
    const { seed, method } = parts[pi]!;
    const name = partName(method, seed);
    if (existsSync(join(dir, 'parts', `${name}.json`))) continue;
    const ckptPath = join(dir, 'checkpoints', `${name}.json`);
    const setup = setupSynthetic(cfg, seed);
    const trainer = new SyntheticTrainer(cfg, method, seed, setup);
    let seconds = 0;
    const resumed = existsSync(ckptPath);
    if (resumed) {
      const ck = loadCheckpoint(ckptPath, cfg);
      trainer.restore(ck.trainer);
      // drop metric rows written after the checkpoint (and any torn line)
      if (existsSync(metricsPath) && statSync(metricsPath).size > ck.metricsBytes) truncateSync(metricsPath, ck.metricsBytes);
    } else dropPartRows(metricsPath, method, seed); // rows of a crash before the part's first checkpoint
    const metrics = new JsonlWriter(metricsPath);
    const t0 = Date.now();
    const { zv, zeta } = setup.problem;
    const record = () => {
      const m = syntheticMetrics(setup.model, setup.splits.train, setup.splits.test, cfg.data.p0, cfg.data.q0, zv, zeta);
      metrics.write({
        method, seed, step: trainer.step, lr: trainer.lr, noise: trainer.noise,
        annealed: trainer.annealedAtStep !== null, ...m,
      });
      return m;
    };
    const checkpoint = () => {
      metrics.sync();
      const ck: Checkpoint = { codeVersion: CODE_VERSION, config: cfg, metricsBytes: statSync(metricsPath).size, trainer: trainer.state() };
      writeJsonAtomic(ckptPath, ck);
    };
    if (!resumed) record();
    const t = cfg.train;
    let interrupted = false;
    try {
      let lastYield = Date.now();
      while (!trainer.done) {
        // let the event loop run now and then, so that SIGINT/SIGTERM handlers get to set shouldStop
        if (Date.now() - lastYield > (hooks.yieldEveryMs ?? 100)) { await yieldToEvents(); lastYield = Date.now(); }
        if (hooks.shouldStop?.()) { interrupted = true; break; }
        trainer.advance();
        if (trainer.step % t.evalEvery === 0 && !trainer.done) record();
        if (t.checkpointEvery > 0 && trainer.step % t.checkpointEvery === 0 && !trainer.done) checkpoint();
        if (trainer.step % 50 === 0 || trainer.done) {
          hooks.onProgress?.({ part: pi, parts: parts.length, method, seed, step: trainer.step, maxSteps: t.maxSteps, trainLoss: trainer.trainLoss });
        }
      }
      if (interrupted) {
        checkpoint();
      } else {
        const final = record();
        seconds += (Date.now() - t0) / 1000;
        const result: SyntheticPartResult = {
          method, seed, status: trainer.status, message: trainer.message, steps: trainer.step,
          annealedAtStep: trainer.annealedAtStep, noiseOffAtStep: trainer.noiseOffAtStep,
          learnedAtStep: learnedAt(metricsPath, method, seed), final,
          weightsSha256: setup.model.params.fingerprint(), seconds,
        };
        metrics.sync();
        writeJsonAtomic(join(dir, 'parts', `${name}.json`), result);
      }
    } finally {
      metrics.close();
      trainer.dispose();
      disposeSetup(setup);
    }
    if (interrupted) {
      writeRunStatus(dir, 'interrupted');
      return 'interrupted';
    }
  }
  const summary = summarizeSynthetic(dir, cfg);
  writeJsonAtomic(join(dir, 'summary.json'), summary);
  writeRunStatus(dir, 'done');
  return 'done';
}

/**
 * Remove the rows of one part (method, seed) and any line that does not parse (a torn last line)
 * from a metrics JSONL file: a part that starts from step 0 writes its rows again.
 */
export function dropPartRows(path: string, method: SyntheticMethod, seed: number): void {
  if (!existsSync(path)) return;
  const lines = readFileSync(path, 'utf8').split('\n');
  const tail = lines.pop(); // '' after the last newline, else a torn line
  const keep = lines.filter((l) => {
    try {
      const r = JSON.parse(l) as { method?: unknown; seed?: unknown };
      return !(r.method === method && r.seed === seed);
    } catch { return false; }
  });
  if (keep.length === lines.length && !tail) return;
  writeFileAtomic(path, keep.map((l) => l + '\n').join(''));
}

/** Equal as JSON (key order aside): a config read back from disk equals the one written. */
function sameConfig(a: unknown, cfg: SyntheticExperimentConfig): boolean {
  return isDeepStrictEqual(a, JSON.parse(JSON.stringify(cfg)));
}

export function loadCheckpoint(path: string, cfg: SyntheticExperimentConfig): Checkpoint {
  return loadCheckpointFile<Checkpoint>(path, JSON.parse(JSON.stringify(cfg)), CODE_VERSION, (ck) => !!ck.trainer && typeof ck.trainer === 'object');
}


/** First step of a part's metric rows at which P-only / Q-only test accuracy reached LEARNED_ACC. */
export function learnedAt(metricsPath: string, method: SyntheticMethod, seed: number): { p_only: number | null; q_only: number | null } {
  const rows = readJsonl<{ method: string; seed: number; step: number; test_acc: Record<string, number | null> }>(metricsPath).rows
    .filter((r) => r.method === method && r.seed === seed);
  return { p_only: firstLearnedStep(rows, 'p_only'), q_only: firstLearnedStep(rows, 'q_only') };
}

/** Mean and std over seeds of every part's final numbers. */
export function summarizeSynthetic(dir: string, cfg: SyntheticExperimentConfig): SyntheticSummary {
  const results = readdirSync(join(dir, 'parts')).filter((f) => f.endsWith('.json'))
    .map((f) => readJson<SyntheticPartResult>(join(dir, 'parts', f)));
  const methods: SyntheticSummary['methods'] = {};
  for (const m of cfg.methods) {
    const rs = results.filter((r) => r.method === m).sort((a, b) => a.seed - b.seed);
    const per = (key: 'test_acc' | 'test_loss' | 'train_acc') =>
      Object.fromEntries(SUBSETS.map((s) => [s, meanStd(rs.map((r) => r.final[key][s]))]));
    const statuses: Record<string, number> = {};
    for (const r of rs) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const ann = rs.map((r) => r.annealedAtStep).filter((v): v is number => v !== null);
    methods[m] = {
      test_acc: per('test_acc'), test_loss: per('test_loss'), train_acc: per('train_acc'),
      steps: meanStd(rs.map((r) => r.steps)), annealed_at_step: ann.length ? meanStd(ann) : null,
      learned_at_step: { p_only: meanStd(rs.map((r) => r.learnedAtStep?.p_only)), q_only: meanStd(rs.map((r) => r.learnedAtStep?.q_only)) },
      statuses,
    };
  }
  return { kind: 'synthetic', preset: cfg.preset, seeds: seedList(cfg), methods };
}
