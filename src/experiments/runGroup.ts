// A run group: several run folders (each one config: its methods x seeds) run in one process, their
// parts still to do trained together as ONE batched program (Experiment.createBatch over the parts
// of all the runs; batchRunner.ts) where the kind can batch them: the points of a sweep whose
// configs have one batchKey share each op of a step instead of one op per part. Each
// part keeps its own run folder, rows, checkpoint (with the byte offset of ITS folder's
// metrics.jsonl) and part file, and each run gets config.json, status.json, runtime.json and
// summary.json exactly as runParts writes them (a run's summary as soon as its last part has ended),
// so every run folder equals the one runParts would have written, and a run of a group resumes (in a
// group or alone, batched or not) to the same results.
//   Refusals as runParts, for every run before any folder is touched: a folder that another live
// process runs, another config in the folder, a bad checkpoint. Where the parts do not batch (the
// kind has no batch, their batchKeys differ, --no-batch), the runs run one after another (runParts).
import { resolve } from 'node:path';
import { writeRunStatus } from '../runs/runFolder.js';
import type { AnyExperiment, BaseConfig } from './experiment.js';
import { checkRunFolder, finishRun, openRun, partsDone, pendingParts, runParts, type OpenRun } from './partRunner.js';
import { runBatch, type BatchHooks, type BatchMember } from './batchRunner.js';

/** One run of a group: its config and its run folder. */
export interface GroupRun { config: BaseConfig; dir: string }

/**
 * Run (or continue) the runs `runs` (all of kind `exp`) as one group. Resolves to 'done' when every
 * run is done, 'interrupted' when hooks.shouldStop stopped it (every unfinished part checkpointed;
 * runs whose parts had all ended are done, the others 'interrupted').
 */
export async function runGroup(exp: AnyExperiment, runs: GroupRun[], hooks: BatchHooks = {}): Promise<'done' | 'interrupted'> {
  const dirs = runs.map((r) => resolve(r.dir));
  const twice = dirs.find((d, i) => dirs.indexOf(d) !== i);
  if (twice) throw new Error(`run group: run folder ${twice} is given twice`);
  // every refusal before any folder is touched: live elsewhere, another config, a bad checkpoint
  const cfgs = runs.map((r) => checkRunFolder(exp, r.config, r.dir));
  const pending = runs.map((r, i) => pendingParts(exp, cfgs[i]!, r.dir, hooks.reuse));
  const batching = hooks.batch !== false && !!exp.createBatch && runs.length > 1;
  if (!batching) return runOneByOne(exp, runs.map((r, i) => ({ config: cfgs[i]!, dir: r.dir })), hooks);
  const open: OpenRun[] = runs.map((r, i) => openRun(exp, cfgs[i]!, r.dir, pending[i]!));
  const items = open.flatMap((o) => o.todo.map((key) => ({ cfg: o.cfg, ctx: o.ctx, key })));
  const batch = items.length > 1 ? exp.createBatch!(items) : null;
  if (!batch) return runOneByOne(exp, runs.map((r, i) => ({ config: cfgs[i]!, dir: r.dir })), hooks);
  const members: (BatchMember & { run: number })[] = open.flatMap((o, run) => o.todo.map((key) => ({
    cfg: o.cfg, dir: o.dir, key, run, count: o.parts.length, markRunning: o.markRunning,
    index: o.parts.findIndex((p) => p.method === key.method && p.seed === key.seed),
  })));
  // a run whose parts are all finished (before, or as its last part ends) gets its summary and is done
  const left = open.map((o) => o.todo.length);
  open.forEach((o, run) => { if (left[run] === 0) finishRun(exp, o.cfg, o.dir); });
  const r = await runBatch(exp, batch, members, hooks, (i) => {
    const run = members[i]!.run;
    if (--left[run]! === 0) finishRun(exp, open[run]!.cfg, open[run]!.dir);
  });
  if (r === 'interrupted') open.forEach((o, run) => { if (left[run]! > 0) writeRunStatus(o.dir, 'interrupted'); });
  return r;
}

/** The runs one after another (each by runParts: its own parts batched where the kind can; reuse done already); group progress by runs. */
async function runOneByOne(exp: AnyExperiment, runs: GroupRun[], hooks: BatchHooks): Promise<'done' | 'interrupted'> {
  for (const [i, run] of runs.entries()) {
    const r = await runParts(exp, run.config, run.dir, {
      ...hooks, reuse: undefined,
      onProgress: (p) => {
        hooks.onProgress?.(p);
        hooks.onBatchProgress?.((i + partsDone(p) / p.parts) / runs.length, p.info);
      },
      // (a run whose own parts batch reports through this instead)
      onBatchProgress: (fraction, info) => hooks.onBatchProgress?.((i + fraction) / runs.length, info),
    });
    if (r === 'interrupted') return 'interrupted';
  }
  return 'done';
}
