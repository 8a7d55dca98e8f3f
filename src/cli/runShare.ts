// `lrlab run-share FILE`: an internal command (not in `lrlab --help`), what each process of a run
// trained side by side runs (sideBySide.ts): some of the parts of one run folder, as one batched
// program (where the kind batches them; else one by one), next to the processes that train its other parts. The run's own process has cut the rows
// after the parts' checkpoints, marked the run running and writes its summary; this one only trains.
// SIGINT/SIGTERM checkpoint its parts and stop it (exit 130); so does the end of the run's process.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { type Command, UsageError } from './command.js';
import { commandOf, runShareHead } from './help.js';
import { stopFlag } from './progress.js';
import { progressLines } from './childRun.js';
import type { BaseConfig } from '../experiments/experiment.js';
import { findExperiment } from '../experiments/registry.js';
import { trainShare } from '../experiments/partRunner.js';
import { loadEngine } from '../engine/index.js';

const shareFile = z.object({
  config: z.looseObject({ kind: z.string() }),
  out: z.string().min(1),
  parts: z.array(z.object({ method: z.string(), seed: z.int() })).min(1),
  /** Whether this share writes the session's runtime.json entry (one share of a run does). */
  recordRuntime: z.boolean().optional(),
});

export const runShareCommand: Command = commandOf(runShareHead, {
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: { progress: { type: 'boolean' } } });
    if (positionals.length !== 1) throw new UsageError('give exactly one share file');
    let raw: unknown;
    try { raw = JSON.parse(readFileSync(positionals[0]!, 'utf8')); } catch (e) { throw new UsageError(`cannot read ${positionals[0]}: ${(e as Error).message}`); }
    const share = shareFile.safeParse(raw);
    if (!share.success) throw new UsageError(`${positionals[0]}: not a share file (${share.error.issues[0]?.path.join('.')}: ${share.error.issues[0]?.message})`);
    const exp = findExperiment(share.data.config.kind);
    if (!exp) throw new UsageError(`${positionals[0]}: unknown experiment kind '${share.data.config.kind}'`);
    loadEngine(); // (libtorch, as at start-up before: a failed load or kernel check refuses it before the run folder is touched)
    const lines = progressLines(values.progress ?? false);
    const stop = stopFlag();
    try {
      const r = await trainShare(exp, share.data.config as unknown as BaseConfig, resolve(share.data.out), share.data.parts, { shouldStop: stop.shouldStop, onBatchProgress: lines }, { recordRuntime: share.data.recordRuntime ?? false });
      return r === 'interrupted' ? 130 : 0;
    } finally { stop.release(); }
  },
});
