// `lrlab resume DIR`: continue an interrupted run or sweep; finished parts are not rerun.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Command, UsageError } from './command.js';
import { readJson } from '../runs/runFolder.js';
import { executeRun } from './run.js';
import { sideBySideWorkers } from './sideBySide.js';
import { runSweep, type SweepSpec } from './sweep.js';
import { executeOnQueue, reachableQueue } from './worker.js';
import { readQueueRecord } from '../queue/queueRecord.js';
import { findExperiment, experimentKinds } from '../experiments/registry.js';
import type { BaseConfig } from '../experiments/experiment.js';
import { runtimeChanges, runtimeWarning, sweepRuntimeChanges } from '../experiments/runtime.js';

export const resumeCommand: Command = {
  name: 'resume',
  summary: 'continue an interrupted run or sweep from its checkpoints',
  usage: 'usage: lrlab resume RUN_DIR [--quiet] [--queue URL] [--no-reuse] [--no-batch] [--workers N]\n\nContinues the run (or sweep) in RUN_DIR from its last checkpoints; finished parts are not rerun.\n'
    + 'A run or sweep started with --queue re-attaches to its queue (recorded in RUN_DIR/queue.json without the password;\n'
    + 'give the password with --queue URL or LRLAB_QUEUE_PASSWORD) and queues no part twice.\n'
    + 'A run without a checkpoint copies parts already run under its runs folder (same part identity) unless --no-reuse.\n'
    + '--no-batch trains the parts one by one (by default parts that share shapes train as one batched program, with the same results);\n'
    + 'for a sweep, one worker process per point run (by default compatible point runs share a process and a batched program).\n'
    + '--workers N trains a run\'s parts in N processes side by side (default: one per core where its parts batch and their ops are small;\n'
    + '1 when LRLAB_NUM_THREADS is set); a sweep keeps the --workers it was started with.',
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: { quiet: { type: 'boolean' }, queue: { type: 'string' }, 'no-reuse': { type: 'boolean' }, 'no-batch': { type: 'boolean' }, workers: { type: 'string' } } });
    if (positionals.length !== 1) throw new UsageError('give exactly one run folder');
    const dir = resolve(positionals[0]!);
    if (!existsSync(dir)) throw new UsageError(`${dir} does not exist`);
    const quiet = values.quiet ?? false;
    if (!quiet && existsSync(join(dir, 'summary.json')) && existsSync(join(dir, 'status.json')) && readJson<{ state?: unknown }>(join(dir, 'status.json')).state === 'done') {
      console.error(`${dir} has already finished: nothing to train (its table follows)`);
    }
    if (existsSync(join(dir, 'sweep.json'))) {
      const { spec } = readJson<{ spec: SweepSpec }>(join(dir, 'sweep.json'));
      if (values.workers !== undefined) throw new UsageError(`${dir} is a sweep: it resumes with the workers it was started with (${spec.workers}); --workers is for a run`);
      const queue = values.queue ?? readQueueRecord(dir)?.queue;
      if (queue) await reachableQueue(queue);
      const w = runtimeWarning(dir, sweepRuntimeChanges(dir));
      if (w) console.error(w);
      return runSweep(dir, values['no-batch'] ? { ...spec, batch: false } : spec, quiet, queue);
    }
    if (!existsSync(join(dir, 'config.json'))) throw new UsageError(`${dir} is not an lrlab run folder (no config.json)`);
    const cfg = readJson<{ kind?: unknown }>(join(dir, 'config.json'));
    const exp = findExperiment(cfg.kind);
    if (!exp) throw new UsageError(`${dir}: cannot resume a run of kind ${JSON.stringify(cfg.kind)} (known kinds: ${experimentKinds().join(', ')})`);
    let valid: BaseConfig;
    try { valid = exp.validate(cfg) as BaseConfig; } catch (e) { throw new UsageError(`${join(dir, 'config.json')}: ${(e as Error).message}`); }
    const queue = values.queue ?? readQueueRecord(dir)?.queue;
    if (queue) { await reachableQueue(queue); return executeOnQueue(exp, valid, dir, queue, quiet); } // (data and device: the workers')
    // its data and device must be here, as for a new run (a usage error, before anything is touched)
    const problems = exp.environmentProblems(valid);
    if (problems.length) throw new UsageError(problems.join('\n'));
    const w = runtimeWarning(dir, runtimeChanges(dir, exp, valid)); // other kernels or threads: not bit-identical
    if (w) console.error(w);
    return executeRun(exp, valid, dir, quiet, !(values['no-reuse'] ?? false), !(values['no-batch'] ?? false), sideBySideWorkers(exp, valid, values.workers));
  },
};
