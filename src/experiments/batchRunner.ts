// The batch runner: the parts of a PartBatch (Experiment.createBatch) trained in lockstep to their
// ends, or until stopped, each with its own rows, checkpoint and part file as the part runner writes
// them for a part trained alone. The parts may belong to several run folders (a run group:
// runGroup.ts, the points of a sweep); each part writes into its own folder's metrics.jsonl and
// checkpoints/ and parts/, and each checkpoint holds how many rows of its part its own folder's
// metrics file held (and that file's size).
//   The parts' rows interleave in a folder's metrics.jsonl (step by step), so every checkpoint of the
// batch is taken for all its unfinished parts at once (one set of files per folder, written so that a
// kill leaves all of them old or all new), and again just before a part's part file is written: a resume (openRun) cuts each metrics.jsonl back to its checkpoints without losing a finished
// part's rows, and (batched again) writes the same bytes as an uninterrupted run.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { JsonlWriter, writeFilesAtomic } from '../runs/runFolder.js';
import type { AnyExperiment, BaseConfig, PartBatch, PartKey } from './experiment.js';
import { partId } from './partId.js';
import { partCheckpointText, partName, rowCounts, partRows, restoreFromCheckpoint, writeFinishedPart } from './partFiles.js';
import type { RunHooks } from './partRunner.js';

/** One part of a batch: its run (config and folder), its key, and where it stands in its run (progress). */
export interface BatchMember {
  cfg: BaseConfig; dir: string; key: PartKey;
  /** Index of the part in its run (seeds outer, methods inner) and the number of its run's parts. */
  index: number; count: number;
  /** Mark its run running (status.json, runtime.json); called once the batch has restored its checkpoints, may be called more than once. */
  markRunning: () => void;
}

/** The part runner's hooks, and how far the whole batch is. */
export interface BatchHooks extends RunHooks {
  /**
   * How far the batch is (instead of onProgress, where given): the fraction of the work of the runs
   * its parts belong to (each part counts its clock units done of its planned total; a part finished
   * before, e.g. reused, or during the batch counts 1; the mean over all the runs' parts) and the
   * status line of the first unfinished part, with how many more train beside it.
   */
  onBatchProgress?: (fraction: number, info: string) => void;
}

/** Let the event loop run (signal handlers set shouldStop there). */
export const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve));
/**
 * How often (ms of work) the runners let the event loop run by default: a signal is seen within
 * about this much work plus one unit (a step, or a slice of an epoch). A yield costs some
 * microseconds, so 20 ms costs ~0.1%; at 100 ms a run whose remaining work took less ended before a
 * Ctrl-C was seen.
 */
export const YIELD_EVERY_MS = 20;

/**
 * Train the parts of `batch` (`members`: one per part, in the batch's order) in lockstep to their
 * ends (or until hooks.shouldStop), writing each part's rows, checkpoints and part file into its run
 * folder. `onFinished(i)` is told after member i's part file was written. Disposes the batch and its parts.
 */
export async function runBatch(exp: AnyExperiment, batch: PartBatch, members: BatchMember[], hooks: BatchHooks, onFinished?: (i: number) => void): Promise<'done' | 'interrupted'> {
  const works = batch.parts;
  const metricsOf = (i: number) => join(members[i]!.dir, 'metrics.jsonl');
  const dirs = [...new Set(members.map((m) => m.dir))];
  // every part of the members' runs (those finished before count as done in onBatchProgress)
  const allParts = dirs.reduce((s, d) => s + members.find((m) => m.dir === d)!.count, 0);
  const ckpts = members.map((m) => join(m.dir, 'checkpoints', `${partName(m.key)}.json`));
  const ids = members.map((m) => partId(exp.kind, exp.partConfig(m.cfg, m.key.method), m.key.seed));
  const before = members.map(() => 0);
  const finished = members.map(() => false);
  const writers = new Map<string, JsonlWriter>();
  try {
    const resumed = members.map((m, i) => {
      if (!existsSync(ckpts[i]!)) return false;
      before[i] = restoreFromCheckpoint(works[i]!, ckpts[i]!, m.cfg).seconds;
      return true;
    });
    for (const m of members) m.markRunning();
    // each part's rows so far (cut back to its checkpoint when its run was opened; its checkpoints count them)
    const rows = members.map(() => 0);
    for (const d of dirs) {
      const at = members.flatMap((m, i) => (m.dir === d ? [i] : []));
      rowCounts(join(d, 'metrics.jsonl'), at.map((i) => members[i]!.key)).forEach((n, j) => { rows[at[j]!] = n; });
    }
    for (const d of dirs) writers.set(d, new JsonlWriter(join(d, 'metrics.jsonl')));
    const writer = (i: number) => writers.get(members[i]!.dir)!;
    const syncAll = () => { for (const w of writers.values()) w.sync(); };
    const t0 = Date.now();
    const seconds = (i: number) => before[i]! + (Date.now() - t0) / 1000;
    let lastReport = 0;
    const report = (force: boolean) => {
      if ((!hooks.onProgress && !hooks.onBatchProgress) || (!force && Date.now() - lastReport < 50)) return;
      lastReport = Date.now();
      const i = Math.max(0, finished.indexOf(false));
      const p = works[i]!.progress();
      if (hooks.onBatchProgress) {
        const done = works.reduce((s, wk, j) => {
          if (finished[j]) return s + 1;
          const q = j === i ? p : wk.progress();
          return s + (q.of > 0 ? Math.min(1, q.at / q.of) : 0);
        }, 0);
        const others = finished.filter((f) => !f).length - 1;
        hooks.onBatchProgress((allParts - works.length + done) / allParts, `${p.info}${others > 0 ? ` (+${others} more part(s) batched)` : ''}`);
      } else hooks.onProgress?.({ part: members[i]!.index, parts: members[i]!.count, method: members[i]!.key.method, seed: members[i]!.key.seed, ...p });
    };
    const evaluate = (i: number) => { writer(i).write(works[i]!.evaluate(seconds(i))); rows[i]!++; report(true); };
    // one set of checkpoint files per folder (writeFilesAtomic): a kill between two parts' files would
    // leave them at different steps, and the resumed batch would interleave their rows in another order
    const checkpointAll = () => {
      syncAll();
      for (const d of dirs) {
        const at = members.flatMap((m, i) => (m.dir === d && !finished[i] ? [i] : []));
        const bytes = statSync(join(d, 'metrics.jsonl')).size;
        writeFilesAtomic(join(d, 'checkpoints'), at.map((i) => ({
          name: `${partName(members[i]!.key)}.json`, data: partCheckpointText(members[i]!.cfg, ids[i]!, bytes, rows[i]!, seconds(i), works[i]!),
        })));
        for (const i of at) hooks.onCheckpoint?.(members[i]!.key, ckpts[i]!);
      }
    };
    const finish = (i: number) => {
      const m = members[i]!;
      writeFinishedPart(works[i]!, m.dir, m.key, ids[i]!, partRows(metricsOf(i), m.key), seconds(i));
      finished[i] = true;
      onFinished?.(i);
    };
    members.forEach((_, i) => { if (!resumed[i]) evaluate(i); });
    const finishDone = () => {
      const ending = works.flatMap((wk, i) => (wk.done && !finished[i] ? [i] : []));
      if (ending.length === 0) return;
      if (ending.length < works.filter((_, i) => !finished[i]).length) checkpointAll(); // the others' offsets move past the ending parts' rows
      syncAll();
      for (const i of ending) finish(i);
    };
    finishDone(); // parts restored from a checkpoint taken as they ended
    const pauseAfterMs = hooks.yieldEveryMs ?? YIELD_EVERY_MS;
    let lastYield = 0; // (the first step yields: a short batch still lets a signal in)
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
    for (const w of writers.values()) w.close();
    batch.dispose();
    for (const wk of works) wk.dispose();
  }
}
