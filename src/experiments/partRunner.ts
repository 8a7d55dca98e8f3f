// The part runner: runs (or continues) every part of a config — each method on each seed — into a
// run folder, for every experiment kind:
//   config.json, metrics.jsonl (the parts' evaluation rows), parts/<method>-seed<i>.json (each
//   finished part: its identity, status, final numbers and weights fingerprint), checkpoints/ (an
//   unfinished part's state), status.json and summary.json.
// Finished parts are skipped; an interrupted part continues from its checkpoint with its rows after
// the checkpoint's byte offset of metrics.jsonl dropped (and a torn last line), so a resumed run
// writes the same rows and ends with the same weights as an uninterrupted one. SIGINT/SIGTERM reach
// it as `shouldStop`, polled between units and inside long ones (an epoch pauses every
// `yieldEveryMs` to let the signal handlers run).
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import {
  JsonlWriter, RefusedError, loadCheckpointFile, prepareRunFolder, readJson, readJsonl, recordRuntime, refuseIfRunningElsewhere, writeFileAtomic, writeJsonAtomic, writeRunStatus,
} from '../runs/runFolder.js';
import { partFileSchema, type MetricsRow, type PartFile } from '../runs/format.js';
import { CODE_VERSION } from '../util/version.js';
import type { AnyExperiment, BaseConfig, PartBatch, PartKey, PartWork } from './experiment.js';
import { partId } from './partId.js';
import { reuseParts, type ReuseOptions } from './partReuse.js';
import { useRuntimeFor } from './runtime.js';

export interface PartProgress {
  /** Index of the part in the run (seeds outer, methods inner) and the number of parts. */
  part: number; parts: number; method: string; seed: number;
  /** How far this part is, in the kind's clock unit, of its planned total; the kind's status line. */
  at: number; of: number; info: string;
}

export interface RunHooks {
  /** Called as a part advances (at most every ~50 ms) and after each evaluation. */
  onProgress?: (p: PartProgress) => void;
  /** Polled between units and within them: return true to checkpoint and stop (SIGINT/SIGTERM). */
  shouldStop?: () => boolean;
  /** Give the event loop a turn at least this often (ms; default 100), so signal handlers run. */
  yieldEveryMs?: number;
  /** false: run the parts one by one even where the kind can train them as one batched program (Experiment.createBatch; default true). */
  batch?: boolean;
  /** Called after a part's checkpoint file was written (a queue worker sends it on: src/queue/). */
  onCheckpoint?: (key: PartKey, path: string) => void;
  /** Copy finished parts of other run folders with the same part identity instead of training them (partReuse.ts); off when absent. */
  reuse?: ReuseOptions;
}

/** What a checkpoint file holds: which code and config wrote it, where metrics.jsonl ended, the part's state. */
export interface PartCheckpoint { codeVersion: string; config: unknown; partId: string; metricsBytes: number; seconds: number; state: unknown }

/** A method's name in file names ('+' as 'plus'). */
export const methodFileName = (method: string) => method.replace(/\+/g, 'plus');
export const partName = (k: PartKey) => `${methodFileName(k.method)}-seed${k.seed}`;

/** The seeds of a config: seed, seed + 1, ... (seeds of them). */
export const seedList = (cfg: { seed: number; seeds: number }) => Array.from({ length: cfg.seeds }, (_, i) => cfg.seed + i);

/** The parts of a config in run order: seeds outer, methods inner (a seed's shared setup is built once). */
export function partsOf(exp: AnyExperiment, cfg: BaseConfig): PartKey[] {
  const methods = exp.methods(cfg);
  return seedList(cfg).flatMap((seed) => methods.map((method) => ({ method, seed })));
}

/** Equal as JSON (key order aside): a config read back from disk equals the one written. */
const sameJson = (a: unknown, b: unknown) => isDeepStrictEqual(a, JSON.parse(JSON.stringify(b)));

const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Read and check a part's checkpoint: intact, same code version, same config. */
export function loadPartCheckpoint(path: string, cfg: unknown): PartCheckpoint {
  return loadCheckpointFile<PartCheckpoint>(path, JSON.parse(JSON.stringify(cfg)), CODE_VERSION,
    (ck) => ck.state !== null && typeof ck.state === 'object' && typeof ck.seconds === 'number');
}

/** Run (or continue) the experiment `cfg` in `dir`. Resolves to 'done' or 'interrupted'. */
export async function runParts(exp: AnyExperiment, config: BaseConfig, dir: string, hooks: RunHooks = {}): Promise<'done' | 'interrupted'> {
  const cfg = exp.validate(config) as BaseConfig;
  refuseIfRunningElsewhere(dir);
  const parts = partsOf(exp, cfg);
  // refuse another config or a bad checkpoint before touching any file
  const cfgPath = join(dir, 'config.json');
  if (existsSync(cfgPath) && !sameJson(readJson(cfgPath), cfg)) {
    throw new RefusedError(`run folder ${dir} holds a different config (${cfgPath}); refusing to continue it with this one`);
  }
  if (hooks.reuse) reuseParts(exp, cfg, dir, parts, hooks.reuse); // (before anything else is written: parts already run elsewhere are copied)
  const todo = parts.filter((k) => !existsSync(join(dir, 'parts', `${partName(k)}.json`)));
  for (const k of todo) {
    const ck = join(dir, 'checkpoints', `${partName(k)}.json`);
    if (existsSync(ck)) loadPartCheckpoint(ck, cfg);
  }
  const ctx: unknown = todo.length > 0 ? exp.prepare(cfg) : null;
  const runtime = useRuntimeFor(exp, cfg); // threads by the kind's ops
  prepareRunFolder(dir, cfg);
  // 'running' (and this session's runtime.json entry) once a part has started: a checkpoint that does
  // not fit leaves the folder as it was
  let marked = false;
  const markRunning = () => {
    if (!marked) { recordRuntime(dir, runtime); writeRunStatus(dir, 'running'); }
    marked = true;
  };

  let setup = null as { seed: number; value: unknown } | null;
  try {
    // the kind's batched program for all parts still to run, where it has one (runBatch)
    const batch = hooks.batch !== false && exp.createBatch && todo.length > 1 ? exp.createBatch(cfg, ctx, todo) : null;
    if (batch) {
      const indices = todo.map((k) => parts.findIndex((p) => p.method === k.method && p.seed === k.seed));
      if (await runBatch(batch, { exp, cfg, dir, keys: todo, indices, count: parts.length, hooks, markRunning }) === 'interrupted') {
        writeRunStatus(dir, 'interrupted');
        return 'interrupted';
      }
    }
    for (let pi = 0; pi < parts.length && !batch; pi++) {
      const key = parts[pi]!;
      if (existsSync(join(dir, 'parts', `${partName(key)}.json`))) continue;
      if (setup?.seed !== key.seed) {
        if (setup) exp.disposeSeed(setup.value);
        setup = null; // (if the next setup throws, nothing is disposed twice)
        setup = { seed: key.seed, value: exp.setupSeed(cfg, ctx, key.seed) };
      }
      const work = exp.createPart(cfg, ctx, setup.value, key);
      const r = await runPart(work, { exp, cfg, dir, key, index: pi, count: parts.length, hooks, markRunning });
      if (r === 'interrupted') {
        writeRunStatus(dir, 'interrupted');
        return 'interrupted';
      }
    }
  } finally { if (setup) exp.disposeSeed(setup.value); }
  writeJsonAtomic(join(dir, 'summary.json'), exp.summarize(cfg, readPartFiles(dir)));
  writeRunStatus(dir, 'done');
  return 'done';
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
    if (resumed) {
      const ck = restoreFromCheckpoint(work, ckptPath, cfg);
      before = ck.seconds;
      c.markRunning();
      // drop this part's rows written after the checkpoint (and any torn line)
      dropPartRowsAfter(metricsPath, key, ck.metricsBytes);
    } else {
      c.markRunning();
      dropPartRows(metricsPath, key); // rows of a crash before the part's first checkpoint
    }
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
      const ck: PartCheckpoint = { codeVersion: CODE_VERSION, config: cfg, partId: id, metricsBytes: statSync(metricsPath).size, seconds: seconds(), state: work.state() };
      writeFileAtomic(ckptPath, JSON.stringify(ck));
      hooks.onCheckpoint?.(key, ckptPath);
    };
    const evaluate = () => { w.write(work.evaluate(seconds())); report(true); };
    if (!resumed) evaluate();
    const pauseAfterMs = hooks.yieldEveryMs ?? 100;
    const shouldStop = () => hooks.shouldStop?.() ?? false;
    let lastYield = Date.now();
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
    const rows = partRows(metricsPath, key);
    writeFinishedPart(work, dir, key, id, rows, seconds());
    return 'done';
  } finally {
    metrics?.close();
    work.dispose();
  }
}

/** Restore `work` from its checkpoint file; a checkpoint that does not fit the part is refused. */
function restoreFromCheckpoint(work: PartWork, ckptPath: string, cfg: BaseConfig): PartCheckpoint {
  const ck = loadPartCheckpoint(ckptPath, cfg);
  try { work.restore(ck.state); } catch (e) {
    throw new RefusedError(`checkpoint ${ckptPath} does not fit this run (${(e as Error).message}); remove it to restart that part from scratch`);
  }
  return ck;
}

/** Write a finished part's side files and part file, then drop its checkpoint. */
function writeFinishedPart(work: PartWork, dir: string, key: PartKey, id: string, rows: MetricsRow[], seconds: number): void {
  const name = partName(key);
  const file: PartFile = { method: key.method, seed: key.seed, partId: id, ...work.result(rows), weightsSha256: work.fingerprint(), seconds };
  // side files first: a part file's presence means the part is complete
  for (const [suffix, bytes] of Object.entries(work.sideFiles?.() ?? {})) writeFileAtomic(join(dir, 'parts', `${name}.${suffix}`), bytes);
  writeJsonAtomic(join(dir, 'parts', `${name}.json`), file);
  rmSync(join(dir, 'checkpoints', `${name}.json`), { force: true }); // a finished part is never resumed (WRN checkpoints are ~200 MB)
}

/** One part's rows of a metrics file, in file order. */
export function partRows(path: string, key: PartKey): MetricsRow[] {
  return readJsonl<MetricsRow>(path).rows.filter((r) => r.method === key.method && r.seed === key.seed);
}

/**
 * Remove the rows of one part and any line that does not parse (a torn last line) from a metrics
 * file: a part that starts from step 0 writes its rows again.
 */
export function dropPartRows(path: string, key: PartKey): void {
  if (!existsSync(path)) return;
  const lines = readFileSync(path, 'utf8').split('\n');
  const tail = lines.pop(); // '' after the last newline, else a torn line
  const keep = lines.filter((l) => {
    try { const r = JSON.parse(l) as { method?: unknown; seed?: unknown }; return !(r.method === key.method && r.seed === key.seed); } catch { return false; }
  });
  if (keep.length === lines.length && !tail) return;
  writeFileAtomic(path, keep.map((l) => l + '\n').join(''));
}

/**
 * Remove the rows of one part written after byte `offset` of a metrics file (where its checkpoint
 * was taken), and a torn last line; other parts' rows stay where they are (a batched run's parts
 * interleave their rows, and a part resumed alone must not cut away rows of parts resumed before it).
 */
export function dropPartRowsAfter(path: string, key: PartKey, offset: number): void {
  if (!existsSync(path) || statSync(path).size <= offset) return;
  const all = readFileSync(path);
  const lines = all.subarray(offset).toString('utf8').split('\n');
  const tail = lines.pop(); // '' after the last newline, else a torn line
  const keep = lines.filter((l) => {
    try { const r = JSON.parse(l) as { method?: unknown; seed?: unknown }; return !(r.method === key.method && r.seed === key.seed); } catch { return false; }
  });
  if (keep.length === lines.length && !tail) return;
  writeFileAtomic(path, Buffer.concat([all.subarray(0, offset), Buffer.from(keep.map((l) => l + '\n').join(''))]));
}

/** The part files of a run folder that fit the common part schema. */
export function readPartFiles(dir: string): PartFile[] {
  const d = join(dir, 'parts');
  if (!existsSync(d)) return [];
  return readdirSync(d).filter((f) => f.endsWith('.json')).sort().map((f) => {
    const p = partFileSchema.safeParse(readJson(join(d, f)));
    if (!p.success) throw new Error(`${join(d, f)} is not a part file (${p.error.issues[0]?.message ?? 'invalid'})`);
    return p.data as PartFile;
  });
}

interface BatchContext {
  exp: AnyExperiment; cfg: BaseConfig; dir: string; keys: PartKey[]; indices: number[]; count: number; hooks: RunHooks; markRunning: () => void;
}

/**
 * Train the parts of a batch (all parts of a run still to do) in lockstep to their ends (or until
 * stopped), each with its own rows, checkpoint and part file as runPart writes them. The parts'
 * rows interleave in metrics.jsonl (step by step), so every checkpoint of the batch is taken for all
 * its unfinished parts at once (one metrics offset), and again just before a part's part file is
 * written: a resume cuts metrics.jsonl back to that offset without losing a finished part's rows.
 * Disposes the batch and its parts.
 */
async function runBatch(batch: PartBatch, c: BatchContext): Promise<'done' | 'interrupted'> {
  const { exp, cfg, dir, keys, hooks } = c;
  const works = batch.parts;
  const metricsPath = join(dir, 'metrics.jsonl');
  const names = keys.map(partName);
  const ckpts = names.map((n) => join(dir, 'checkpoints', `${n}.json`));
  const ids = keys.map((k) => partId(exp.kind, exp.partConfig(cfg, k.method), k.seed));
  const before = keys.map(() => 0);
  const finished = keys.map(() => false);
  let metrics: JsonlWriter | null = null;
  try {
    const offsets: (number | null)[] = keys.map(() => null);
    const resumed = keys.map((_, i) => {
      if (!existsSync(ckpts[i]!)) return false;
      const ck = restoreFromCheckpoint(works[i]!, ckpts[i]!, cfg);
      before[i] = ck.seconds;
      offsets[i] = ck.metricsBytes;
      return true;
    });
    c.markRunning();
    // drop each part's rows written after its checkpoint and any torn line; fresh parts start their rows again
    keys.forEach((k, i) => { if (resumed[i]) dropPartRowsAfter(metricsPath, k, offsets[i]!); else dropPartRows(metricsPath, k); });
    metrics = new JsonlWriter(metricsPath);
    const w = metrics;
    const t0 = Date.now();
    const seconds = (i: number) => before[i]! + (Date.now() - t0) / 1000;
    let lastReport = 0;
    const report = (force: boolean) => {
      if (!hooks.onProgress || (!force && Date.now() - lastReport < 50)) return;
      lastReport = Date.now();
      const i = Math.max(0, finished.indexOf(false));
      hooks.onProgress({ part: c.indices[i]!, parts: c.count, method: keys[i]!.method, seed: keys[i]!.seed, ...works[i]!.progress() });
    };
    const evaluate = (i: number) => { w.write(works[i]!.evaluate(seconds(i))); report(true); };
    const checkpointAll = () => {
      w.sync();
      const metricsBytes = statSync(metricsPath).size;
      keys.forEach((k, i) => {
        if (finished[i]) return;
        const ck: PartCheckpoint = { codeVersion: CODE_VERSION, config: cfg, partId: ids[i]!, metricsBytes, seconds: seconds(i), state: works[i]!.state() };
        writeFileAtomic(ckpts[i]!, JSON.stringify(ck));
        hooks.onCheckpoint?.(k, ckpts[i]!);
      });
    };
    const finish = (i: number) => {
      const work = works[i]!;
      const rows = partRows(metricsPath, keys[i]!);
      writeFinishedPart(work, dir, keys[i]!, ids[i]!, rows, seconds(i));
      finished[i] = true;
    };
    keys.forEach((_, i) => { if (!resumed[i]) evaluate(i); });
    const finishDone = () => {
      const ending = works.flatMap((wk, i) => (wk.done && !finished[i] ? [i] : []));
      if (ending.length === 0) return;
      if (ending.length < works.filter((_, i) => !finished[i]).length) checkpointAll(); // the others' offset moves past the ending parts' rows
      w.sync();
      for (const i of ending) finish(i);
    };
    finishDone(); // parts restored from a checkpoint taken as they ended
    const pauseAfterMs = hooks.yieldEveryMs ?? 100;
    let lastYield = Date.now();
    while (finished.includes(false)) {
      if (Date.now() - lastYield >= pauseAfterMs) { await yieldToEvents(); lastYield = Date.now(); }
      if (hooks.shouldStop?.()) { checkpointAll(); return 'interrupted'; }
      const r = batch.advance();
      r.forEach((a, i) => { if (a?.evaluate) evaluate(i); });
      if (r.some((a, i) => a?.checkpoint && !works[i]!.done)) checkpointAll();
      finishDone();
      report(false);
    }
    return 'done';
  } finally {
    metrics?.close();
    batch.dispose();
    for (const wk of works) wk.dispose();
  }
}
