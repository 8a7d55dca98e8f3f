// `lrlab resume DIR`: continue an interrupted run or sweep; finished parts are not rerun.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Command, UsageError } from './command.js';
import { commandOf, resumeHead } from './help.js';
import { readJson } from '../runs/runFolder.js';
import { executeRun } from './run.js';
import { sideBySideWorkers } from './sideBySide.js';
import { runSweep, type SweepSpec } from './sweep.js';
import { readQueueRecord } from '../queue/queueRecord.js';
import { findExperiment, experimentKinds } from '../experiments/registry.js';
import type { BaseConfig } from '../experiments/experiment.js';
import { runtimeChanges, runtimeWarning, sweepRuntimeChanges } from '../experiments/runtime.js';
import { loadEngine } from '../engine/index.js';

/** The queue's client (bullmq, ioredis): imported for a run or sweep on a queue only. */
const queueClient = () => import('./worker.js');

export const resumeCommand: Command = commandOf(resumeHead, {
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: { quiet: { type: 'boolean' }, queue: { type: 'string' }, 'no-reuse': { type: 'boolean' }, 'no-batch': { type: 'boolean' }, workers: { type: 'string' } } });
    if (positionals.length !== 1) throw new UsageError('give exactly one run folder');
    const dir = resolve(positionals[0]!);
    if (!existsSync(dir)) throw new UsageError(`${dir} does not exist`);
    loadEngine(); // (libtorch, as at start-up before: a failed load or kernel check refuses the resume before anything is touched)
    const quiet = values.quiet ?? false;
    const finished = existsSync(join(dir, 'summary.json')) && existsSync(join(dir, 'status.json')) && readJson<{ state?: unknown }>(join(dir, 'status.json')).state === 'done';
    if (!quiet && finished) console.error(`${dir} has already finished: nothing to train (its table follows)`);
    // (a finished run trained on a queue needs no queue, nor its password, to show its table)
    const queueOf = () => (finished ? undefined : values.queue ?? readQueueRecord(dir)?.queue);
    if (existsSync(join(dir, 'sweep.json'))) {
      const { spec } = readJson<{ spec: SweepSpec }>(join(dir, 'sweep.json'));
      if (values.workers !== undefined) throw new UsageError(`${dir} is a sweep: it resumes with the workers it was started with (${spec.workers}); --workers is for a run`);
      const queue = queueOf();
      if (queue) await (await queueClient()).reachableQueue(queue);
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
    const queue = queueOf();
    const workers = sideBySideWorkers(exp, valid, values.workers, { batch: !(values['no-batch'] ?? false), queue: !!queue });
    if (queue) { const q = await queueClient(); await q.reachableQueue(queue); return q.executeOnQueue(exp, valid, dir, queue, quiet); } // (data and device: the workers')
    // its data and device must be here, as for a new run (a usage error, before anything is touched; not for a finished run's table)
    const problems = finished ? [] : exp.environmentProblems(valid);
    if (problems.length) throw new UsageError(problems.join('\n'));
    const w = runtimeWarning(dir, runtimeChanges(dir, exp, valid)); // other kernels or threads: not bit-identical
    if (w) console.error(w);
    return executeRun(exp, valid, dir, quiet, !(values['no-reuse'] ?? false), !(values['no-batch'] ?? false), workers, true);
  },
});
