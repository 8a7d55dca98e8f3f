// `lrlab run-group FILE`: an internal command (not in `lrlab --help`), what each worker process of a
// local `lrlab sweep` runs: the run folders listed in FILE as one run group (experiments/runGroup.ts),
// their parts trained together as one batched program where the kind can batch them. SIGINT/SIGTERM
// checkpoint every unfinished part and stop (exit 130); `lrlab resume` of the sweep, or of each run
// folder, continues them. With --progress it tells the sweep how far it is: JSON lines on stdout.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Command, UsageError } from './command.js';
import { commandOf, runGroupHead } from './help.js';
import { Progress, stopFlag } from './progress.js';
import { progressLines } from './childRun.js';
import type { BaseConfig } from '../experiments/experiment.js';
import { findExperiment } from '../experiments/registry.js';
import { runGroup, type GroupRun } from '../experiments/runGroup.js';
import { loadEngine } from '../engine/index.js';

/** The runs of a group file: a JSON list of {config, out}, all of one known kind. */
export function readGroupFile(path: string): GroupRun[] {
  let v: unknown;
  try { v = JSON.parse(readFileSync(path, 'utf8')); } catch (e) { throw new UsageError(`cannot read ${path}: ${(e as Error).message}`); }
  if (!Array.isArray(v) || v.length === 0) throw new UsageError(`${path}: expected a non-empty JSON list of {"config": {...}, "out": "DIR"}`);
  return v.map((r: unknown, i) => {
    const x = r as { config?: unknown; out?: unknown } | null;
    if (!x || typeof x !== 'object' || !x.config || typeof x.config !== 'object' || typeof x.out !== 'string') {
      throw new UsageError(`${path}: entry ${i} is not {"config": {...}, "out": "DIR"}`);
    }
    return { config: x.config as BaseConfig, dir: resolve(x.out) };
  });
}

export const runGroupCommand: Command = commandOf(runGroupHead, {
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv, strict: true, allowPositionals: true,
      options: { quiet: { type: 'boolean' }, 'no-batch': { type: 'boolean' }, progress: { type: 'boolean' } },
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one group file');
    const runs = readGroupFile(positionals[0]!);
    const kinds = [...new Set(runs.map((r) => (r.config as { kind?: unknown }).kind))];
    const exp = findExperiment(kinds[0]);
    if (!exp || kinds.length > 1) throw new UsageError(`${positionals[0]}: the runs of a group must be of one known kind, got ${kinds.map((k) => JSON.stringify(k)).join(', ')}`);
    const problems = [...new Set(runs.flatMap((r) => exp.environmentProblems(exp.validate(r.config))))];
    if (problems.length) throw new UsageError(problems.join('\n'));
    loadEngine(); // (libtorch, as at start-up before: a failed load or kernel check refuses the group before its folders are touched)
    const bar = new Progress(1, 'group', process.stderr, values.quiet ?? false);
    const lines = progressLines(values.progress ?? false);
    const stop = stopFlag();
    const { shouldStop } = stop;
    try {
      const r = await runGroup(exp, runs, {
        shouldStop, batch: !(values['no-batch'] ?? false), // (no reuse: the sweep copies parts in before a group starts, and a search here could train a part two runs of the group need twice)
        onBatchProgress: (fraction, info) => {
          bar.update(fraction, info);
          lines(fraction, info);
        },
      });
      if (r === 'interrupted') {
        console.error(`${values.quiet ? '' : '\n'}interrupted: checkpoints saved. Continue with lrlab resume (the sweep, or each run folder)`);
        return 130;
      }
      bar.done();
      return 0;
    } finally { stop.release(); }
  },
});
