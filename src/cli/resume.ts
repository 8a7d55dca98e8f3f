// `lrlab resume DIR`: continue an interrupted run or sweep; finished parts are not rerun.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Command, UsageError } from './command.js';
import { readJson } from '../runs/runFolder.js';
import { executeRun } from './run.js';
import { runSweep, type SweepSpec } from './sweep.js';
import { findExperiment, experimentKinds } from '../experiments/registry.js';
import type { BaseConfig } from '../experiments/experiment.js';

export const resumeCommand: Command = {
  name: 'resume',
  summary: 'continue an interrupted run or sweep from its checkpoints',
  usage: 'usage: lrlab resume RUN_DIR [--quiet]\n\nContinues the run (or sweep) in RUN_DIR from its last checkpoints; finished parts are not rerun.',
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: { quiet: { type: 'boolean' } } });
    if (positionals.length !== 1) throw new UsageError('give exactly one run folder');
    const dir = resolve(positionals[0]!);
    if (!existsSync(dir)) throw new UsageError(`${dir} does not exist`);
    const quiet = values.quiet ?? false;
    if (existsSync(join(dir, 'sweep.json'))) {
      const { spec } = readJson<{ spec: SweepSpec }>(join(dir, 'sweep.json'));
      return runSweep(dir, spec, quiet);
    }
    if (!existsSync(join(dir, 'config.json'))) throw new UsageError(`${dir} is not an lrlab run folder (no config.json)`);
    const cfg = readJson<{ kind?: unknown }>(join(dir, 'config.json'));
    const exp = findExperiment(cfg.kind);
    if (!exp) throw new UsageError(`${dir}: cannot resume a run of kind ${JSON.stringify(cfg.kind)} (known kinds: ${experimentKinds().join(', ')})`);
    let valid: BaseConfig;
    try { valid = exp.validate(cfg) as BaseConfig; } catch (e) { throw new UsageError(`${join(dir, 'config.json')}: ${(e as Error).message}`); }
    // its data and device must be here, as for a new run (a usage error, before anything is touched)
    const problems = exp.environmentProblems(valid);
    if (problems.length) throw new UsageError(problems.join('\n'));
    return executeRun(exp, valid, dir, quiet);
  },
};
