// The part runner: runs (or continues) every part of a config — each method on each seed — into a
// run folder, for every experiment kind:
//   config.json, metrics.jsonl (the parts' evaluation rows), parts/<method>-seed<i>.json (each
//   finished part: its identity, status, final numbers and weights fingerprint), checkpoints/ (an
//   unfinished part's state), status.json and summary.json.
// Finished parts are skipped; an interrupted part continues from its checkpoint with its rows in
// metrics.jsonl after those the checkpoint counted dropped (and torn lines), so a resumed run
// writes the same rows and ends with the same weights as an uninterrupted one. SIGINT/SIGTERM reach
// it as `shouldStop`, polled between units and inside long ones (an epoch pauses every
// `yieldEveryMs` to let the signal handlers run). Where the kind batches (Experiment.createBatch),
// the run's parts train as one batched program (batchRunner.ts); the parts of several run folders
// train together in a run group (runGroup.ts), which opens each folder as runParts does (below).
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { JsonlWriter, RefusedError, prepareRunFolder, readJson, recordRuntime, refuseIfRunningElsewhere, writeJsonAtomic, writeRunStatus } from '../runs/runFolder.js';
import type { AnyExperiment, BaseConfig, PartKey, PartWork } from './experiment.js';
import { partId } from './partId.js';
import { reuseParts, type ReuseOptions } from './partReuse.js';
import { useRuntimeFor } from './runtime.js';
import { YIELD_EVERY_MS, runBatch, yieldToEvents, type BatchHooks } from './batchRunner.js';
import {
  cutRowsToCheckpoints, loadPartCheckpoint, partName, partRows, readPartFiles, restoreFromCheckpoint, resumePoints, rowCounts, writeFinishedPart, writePartCheckpoint, type ResumePoint,
} from './partFiles.js';

export {
  dropPartRows, loadPartCheckpoint, methodFileName, partName, partRows, readPartFiles, type PartCheckpoint,
} from './partFiles.js';

export interface PartProgress {
  /** Index of the part in the run (seeds outer, methods inner) and the number of parts. */
  part: number; parts: number; method: string; seed: number;
  /** How far this part is, in the kind's clock unit, of its planned total; the kind's status line. */
  at: number; of: number; info: string;
}

/** How many parts a progress report counts as done: those before it, and its own fraction (at / of). */
export function partsDone(p: PartProgress): number {
  return p.part + (p.of > 0 ? Math.min(1, p.at / p.of) : 0);
}

export interface RunHooks {
  /** Called as a part advances (at most every ~50 ms) and after each evaluation. */
  onProgress?: (p: PartProgress) => void;
  /** Polled between units and within them: return true to checkpoint and stop (SIGINT/SIGTERM). */
  shouldStop?: () => boolean;
  /** Give the event loop a turn at least this often (ms of work; default YIELD_EVERY_MS, 20), so signal handlers run. */
  yieldEveryMs?: number;
  /** false: run the parts one by one even where the kind can train them as one batched program (Experiment.createBatch; default true). */
  batch?: boolean;
  /** Called after a part's checkpoint file was written (a queue worker sends it on: src/queue/). */
  onCheckpoint?: (key: PartKey, path: string) => void;
  /** Copy finished parts of other run folders with the same part identity instead of training them (partReuse.ts); off when absent. */
  reuse?: ReuseOptions;
  /**
   * Train the parts still to do in several processes side by side (src/cli/sideBySide.ts), at least
   * two parts per process where the kind batches them (one otherwise): `train` is given the shares
   * (runs of consecutive parts, seeds outer), each trained by one process as one batched program or
   * one by one (trainShare), and resolves once all have ended or stopped. The rows after the parts'
   * checkpoints are cut before, when the run is opened (openRun).
   */
  sideBySide?: { workers: number; train: (shares: PartKey[][]) => Promise<'done' | 'interrupted'> };
  /**
   * Called once the run folder is open, before any part trains: how many parts were finished before
   * (or copied), and where each part still to do goes on from (resumePoints: the kind's description of its checkpoint, else its step,
   * or null: from the start).
   */
  onOpen?: (finished: number, todo: ResumePoint[]) => void;
}

/** Whether the parts of `cfg` train as one batched program (the kind has one, and the config a batchKey). */
export function batchesParts(exp: AnyExperiment, cfg: BaseConfig): boolean {
  return !!exp.createBatch && exp.batchKey?.(cfg) != null;
}

/**
 * `todo` in `workers` runs of consecutive parts (sizes differing by at most one), each of at least
 * `least` parts (2 where they batch: a share is one batched program); null when that makes fewer than 2.
 */
export function sharesOf(todo: PartKey[], workers: number, least = 2): PartKey[][] | null {
  const n = Math.min(workers, Math.floor(todo.length / least));
  if (n < 2) return null;
  let at = 0;
  return Array.from({ length: n }, (_, i) => {
    const size = Math.floor(todo.length / n) + (i < todo.length % n ? 1 : 0);
    return todo.slice(at, (at += size));
  });
}

/** The shares of `todo` side by side in `workers` processes for `cfg` (sharesOf: two parts a share at least where they batch, else one). */
export function sharesFor(exp: AnyExperiment, cfg: BaseConfig, todo: PartKey[], workers: number): PartKey[][] | null {
  return sharesOf(todo, workers, batchesParts(exp, cfg) ? 2 : 1);
}

/** The seeds of a config: seed, seed + 1, ... (seeds of them). */
export const seedList = (cfg: { seed: number; seeds: number }) => Array.from({ length: cfg.seeds }, (_, i) => cfg.seed + i);

/** The parts of a config in run order: seeds outer, methods inner (a seed's shared setup is built once). */
export function partsOf(exp: AnyExperiment, cfg: BaseConfig): PartKey[] {
  const methods = exp.methods(cfg);
  return seedList(cfg).flatMap((seed) => methods.map((method) => ({ method, seed })));
}

/** Equal as JSON (key order aside): a config read back from disk equals the one written. */
const sameJson = (a: unknown, b: unknown) => isDeepStrictEqual(a, JSON.parse(JSON.stringify(b)));

/** A run folder opened for training (openRun): its config, its parts, those still to do, what they share (Experiment.prepare). */
export interface OpenRun {
  cfg: BaseConfig; dir: string; parts: PartKey[]; todo: PartKey[]; ctx: unknown;
  /** Mark the run 'running' (status.json, and this session's runtime.json entry); once, when a part has started. */
  markRunning: () => void;
  /** Where each part of `todo` goes on from (resumePoints: the kind's description of its checkpoint, else its step, or null: from the start). */
  resumeFrom: ResumePoint[];
}

/**
 * The refusals of a run, before any of its files is touched: another live process runs the folder,
 * it holds another config, or a checkpoint of an unfinished part is corrupt or of another config or
 * code version. Returns the validated config.
 */
export function checkRunFolder(exp: AnyExperiment, config: BaseConfig, dir: string): BaseConfig {
  const cfg = exp.validate(config) as BaseConfig;
  refuseIfRunningElsewhere(dir);
  const cfgPath = join(dir, 'config.json');
  if (existsSync(cfgPath) && !sameJson(readJson(cfgPath), cfg)) {
    throw new RefusedError(`run folder ${dir} holds a different config (${cfgPath}); refusing to continue it with this one`);
  }
  for (const k of partsOf(exp, cfg)) {
    const ck = join(dir, 'checkpoints', `${partName(k)}.json`);
    if (!existsSync(join(dir, 'parts', `${partName(k)}.json`)) && existsSync(ck)) loadPartCheckpoint(ck, cfg);
  }
  return cfg;
}

/**
 * After checkRunFolder: copy parts already run elsewhere (with `reuse`; not into a folder with a
 * checkpoint, partReuse.ts), then the parts still to do.
 */
export function pendingParts(exp: AnyExperiment, cfg: BaseConfig, dir: string, reuse?: ReuseOptions): { parts: PartKey[]; todo: PartKey[] } {
  const parts = partsOf(exp, cfg);
  if (reuse) reuseParts(exp, cfg, dir, parts, reuse);
  return { parts, todo: parts.filter((k) => !existsSync(join(dir, 'parts', `${partName(k)}.json`))) };
}

/**
 * After pendingParts: load what the parts share (when some must train), set the threads, prepare the
 * folder (config.json, parts/, checkpoints/). With `here` false (the parts train in other processes,
 * side by side) neither the shared data nor libtorch is loaded here, and the runtime.json entry is
 * the workers' (trainShare's recordRuntime).
 */
export function openRun(exp: AnyExperiment, cfg: BaseConfig, dir: string, p: { parts: PartKey[]; todo: PartKey[] }, here = true): OpenRun {
  const ctx: unknown = here && p.todo.length > 0 ? exp.prepare(cfg) : null;
  const runtime = here ? useRuntimeFor(exp, cfg) : null; // threads by the kind's ops
  prepareRunFolder(dir, cfg);
  // the rows after each part's checkpoint go now, in one pass, while no process appends to
  // metrics.jsonl (parts trained side by side checkpoint at different times)
  const resumeFrom = resumePoints(p.todo, cutRowsToCheckpoints(dir, cfg, p.todo), exp.resumeAt ? (st) => exp.resumeAt!(cfg, st) : undefined);
  // 'running' (and this session's runtime.json entry) once a part has started: a checkpoint that does
  // not fit leaves the status as it was
  let marked = false;
  const markRunning = () => {
    if (!marked) { if (runtime) recordRuntime(dir, runtime); writeRunStatus(dir, 'running'); }
    marked = true;
  };
  return { cfg, dir, ...p, ctx, markRunning, resumeFrom };
}

/** The end of a run whose parts are all finished: summary.json (from its part files) and status 'done'. */
export function finishRun(exp: AnyExperiment, cfg: BaseConfig, dir: string): void {
  writeJsonAtomic(join(dir, 'summary.json'), exp.summarize(cfg, readPartFiles(dir)));
  writeRunStatus(dir, 'done');
}

/** Run (or continue) the experiment `cfg` in `dir`. Resolves to 'done' or 'interrupted'. */
export async function runParts(exp: AnyExperiment, config: BaseConfig, dir: string, hooks: BatchHooks = {}): Promise<'done' | 'interrupted'> {
  const cfg = checkRunFolder(exp, config, dir); // refuse another config or a bad checkpoint before touching any file
  // (parts already run elsewhere are copied before anything else is written)
  const pending = pendingParts(exp, cfg, dir, hooks.reuse);
  const shares = hooks.sideBySide && (hooks.batch !== false || !batchesParts(exp, cfg)) ? sharesFor(exp, cfg, pending.todo, hooks.sideBySide.workers) : null;
  // (side by side, only the workers train: this process loads neither the parts' data nor libtorch, so they start sooner)
  const run = openRun(exp, cfg, dir, pending, !shares);
  const { parts, todo, ctx } = run;
  hooks.onOpen?.(parts.length - todo.length, run.resumeFrom);
  if (shares) {
    run.markRunning();
    if (await hooks.sideBySide!.train(shares) === 'interrupted') {
      writeRunStatus(dir, 'interrupted');
      return 'interrupted';
    }
    const missing = todo.filter((k) => !existsSync(join(dir, 'parts', `${partName(k)}.json`)));
    if (missing.length) throw new Error(`${dir}: the processes side by side ended without part(s) ${missing.map(partName).join(', ')}`);
    finishRun(exp, cfg, dir);
    return 'done';
  }
  const indexOf = (key: PartKey) => parts.findIndex((p) => p.method === key.method && p.seed === key.seed);
  if (await trainParts(exp, cfg, ctx, dir, todo, indexOf, parts.length, hooks, run.markRunning) === 'interrupted') {
    writeRunStatus(dir, 'interrupted');
    return 'interrupted';
  }
  finishRun(exp, cfg, dir);
  return 'done';
}

/**
 * Train `keys` as the kind's one batched program where it has one for them (batchRunner.ts; unless
 * hooks.batch is false), else one by one (trainOneByOne). `index` gives a part's position among the
 * `count` of the progress reports.
 */
async function trainParts(exp: AnyExperiment, cfg: BaseConfig, ctx: unknown, dir: string, keys: PartKey[], index: (key: PartKey) => number, count: number,
  hooks: BatchHooks, markRunning: () => void): Promise<'done' | 'interrupted'> {
  const batch = hooks.batch !== false && keys.length > 1 ? exp.createBatch?.(keys.map((key) => ({ cfg, ctx, key }))) ?? null : null;
  if (batch) return runBatch(exp, batch, keys.map((key) => ({ cfg, dir, key, index: index(key), count, markRunning })), hooks);
  return trainOneByOne(exp, cfg, ctx, dir, keys, index, count, hooks, markRunning);
}

/**
 * Train `keys` (in run order: a seed's setup is built once for its consecutive parts) one after the
 * other, each from its checkpoint where it has one; `index` gives a part's position among the `count`
 * of the progress reports. Resolves to 'interrupted' at the first part stopped.
 */
async function trainOneByOne(exp: AnyExperiment, cfg: BaseConfig, ctx: unknown, dir: string, keys: PartKey[], index: (key: PartKey) => number, count: number,
  hooks: RunHooks, markRunning: () => void): Promise<'done' | 'interrupted'> {
  let setup = null as { seed: number; value: unknown } | null;
  try {
    for (const key of keys) {
      if (setup?.seed !== key.seed) {
        if (setup) exp.disposeSeed(setup.value);
        setup = null; // (if the next setup throws, nothing is disposed twice)
        setup = { seed: key.seed, value: exp.setupSeed(cfg, ctx, key.seed) };
      }
      const work = exp.createPart(cfg, ctx, setup.value, key);
      if (await runPart(work, { exp, cfg, dir, key, index: index(key), count, hooks, markRunning }) === 'interrupted') return 'interrupted';
    }
  } finally { if (setup) exp.disposeSeed(setup.value); }
  return 'done';
}

/**
 * Train the parts `keys` of the run in `dir` (its config `config`) as one batched program where the
 * kind batches them (else one by one), in this process, beside other processes that train the run's
 * other parts (runParts' sideBySide, which has
 * cut the rows after the parts' checkpoints and marked the run running, and writes its summary; with
 * `recordRuntime`, this share writes the session's runtime.json entry, which that process does not):
 * each part continues from its checkpoint, appends its rows to the shared metrics.jsonl (a line per
 * write) and writes its part file. Progress is of these parts alone.
 */
export async function trainShare(exp: AnyExperiment, config: BaseConfig, dir: string, keys: PartKey[], hooks: BatchHooks = {}, o: { recordRuntime?: boolean } = {}): Promise<'done' | 'interrupted'> {
  const cfg = exp.validate(config) as BaseConfig;
  const parts = partsOf(exp, cfg);
  for (const k of keys) {
    if (!parts.some((p) => p.method === k.method && p.seed === k.seed)) throw new Error(`the config has no part ${partName(k)}`);
    if (existsSync(join(dir, 'parts', `${partName(k)}.json`))) throw new Error(`part ${partName(k)} of ${dir} has ended already`);
  }
  const ctx: unknown = exp.prepare(cfg);
  const runtime = useRuntimeFor(exp, cfg);
  if (o.recordRuntime) recordRuntime(dir, runtime); // (one share records the session: the run's process has not loaded libtorch)
  // (parts one by one report onProgress: as the fraction of this share done; a batch reports onBatchProgress itself)
  const { onBatchProgress } = hooks;
  const shareHooks: BatchHooks = onBatchProgress ? { ...hooks, onProgress: (p) => onBatchProgress(partsDone(p) / p.parts, p.info) } : hooks;
  return trainParts(exp, cfg, ctx, dir, keys, (key) => keys.indexOf(key), keys.length, shareHooks, () => {});
}

/**
 * Run (or continue from its checkpoint) the one part `key` of `config` in `dir`, as runParts runs
 * each part, but that part alone and without summary.json: a queue worker's folder for one part
 * (src/queue/worker.ts). Resolves to 'done' (its part file is written) or 'interrupted'.
 */
export async function runOnePart(exp: AnyExperiment, config: BaseConfig, dir: string, key: PartKey, hooks: RunHooks = {}): Promise<'done' | 'interrupted'> {
  const cfg = exp.validate(config) as BaseConfig;
  const parts = partsOf(exp, cfg);
  const index = parts.findIndex((k) => k.method === key.method && k.seed === key.seed);
  if (index < 0) throw new Error(`the config has no part ${partName(key)}`);
  if (existsSync(join(dir, 'parts', `${partName(key)}.json`))) return 'done';
  const ck = join(dir, 'checkpoints', `${partName(key)}.json`);
  if (existsSync(ck)) loadPartCheckpoint(ck, cfg);
  const ctx: unknown = exp.prepare(cfg);
  prepareRunFolder(dir, cfg, useRuntimeFor(exp, cfg)); // threads by the kind's ops; runtime.json
  cutRowsToCheckpoints(dir, cfg, [key]);
  const setup: unknown = exp.setupSeed(cfg, ctx, key.seed);
  try {
    const work = exp.createPart(cfg, ctx, setup, key);
    return await runPart(work, { exp, cfg, dir, key, index, count: parts.length, hooks, markRunning: () => {} });
  } finally { exp.disposeSeed(setup); }
}

interface PartContext {
  exp: AnyExperiment; cfg: BaseConfig; dir: string; key: PartKey; index: number; count: number; hooks: RunHooks; markRunning: () => void;
}

/** Train one part to its end (or until stopped), writing its rows, checkpoints and part file. Disposes `work`. */
async function runPart(work: PartWork, c: PartContext): Promise<'done' | 'interrupted'> {
  const { exp, cfg, dir, key, hooks } = c;
  const name = partName(key);
  const ckptPath = join(dir, 'checkpoints', `${name}.json`);
  const metricsPath = join(dir, 'metrics.jsonl');
  const id = partId(exp.kind, exp.partConfig(cfg, key.method), key.seed);
  let metrics: JsonlWriter | null = null;
  try {
    let before = 0;
    const resumed = existsSync(ckptPath);
    if (resumed) before = restoreFromCheckpoint(work, ckptPath, cfg).seconds;
    c.markRunning(); // (its rows were cut back to its checkpoint when the run was opened)
    let rows = rowCounts(metricsPath, [key])[0]!; // (its checkpoints count them)
    metrics = new JsonlWriter(metricsPath);
    const w = metrics;
    const t0 = Date.now();
    const seconds = () => before + (Date.now() - t0) / 1000;
    let lastReport = 0;
    const report = (force: boolean) => {
      if (!hooks.onProgress || (!force && Date.now() - lastReport < 50)) return;
      lastReport = Date.now();
      hooks.onProgress({ part: c.index, parts: c.count, method: key.method, seed: key.seed, ...work.progress() });
    };
    const checkpoint = () => {
      w.sync();
      writePartCheckpoint(ckptPath, cfg, id, statSync(metricsPath).size, rows, seconds(), work);
      hooks.onCheckpoint?.(key, ckptPath);
    };
    const evaluate = () => { w.write(work.evaluate(seconds())); rows++; report(true); };
    if (!resumed) evaluate();
    const pauseAfterMs = hooks.yieldEveryMs ?? YIELD_EVERY_MS;
    const shouldStop = () => hooks.shouldStop?.() ?? false;
    let lastYield = 0; // (the first unit yields: parts shorter than pauseAfterMs still let a signal in between them)
    while (!work.done) {
      // let the event loop run now and then, so that SIGINT/SIGTERM handlers get to set shouldStop
      if (Date.now() - lastYield >= pauseAfterMs) { await yieldToEvents(); lastYield = Date.now(); }
      if (shouldStop()) { checkpoint(); return 'interrupted'; }
      const r = work.advance({ shouldStop, pauseAfterMs });
      if (r === 'paused') { report(false); lastYield = 0; continue; }
      if (r === 'stopped') { checkpoint(); return 'interrupted'; }
      if (r.evaluate) evaluate();
      if (r.checkpoint && !work.done) checkpoint();
      report(work.done);
    }
    w.sync();
    writeFinishedPart(work, dir, key, id, partRows(metricsPath, key), seconds());
    return 'done';
  } finally {
    metrics?.close();
    work.dispose();
  }
}
