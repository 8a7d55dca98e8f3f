// `lrlab <kind>` for every registered experiment kind (synthetic, images, ...): build the config
// from --preset, --config, the kind's own options, --seeds and --set; check it (and with
// --dry-run, print it and stop); run its parts into a run folder with a progress bar; print the
// kind's table. Shared by `lrlab resume`.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, REUSE_CONFIG, RUN_OPTIONS, UsageError, parseSets, printDryRun } from './command.js';
import { commandOf, kindHead } from './help.js';
import { runWithProgress } from './progress.js';
import { sideBySide, sideBySideWorkers } from './sideBySide.js';
import { ConfigInputError, presetConfig as resolvePreset, resolveConfig } from '../experiments/configBuild.js';
import type { AnyExperiment, BaseConfig, PartKey } from '../experiments/experiment.js';
import { batchesParts, partsDone, runParts, partsOf, sharesFor } from '../experiments/partRunner.js';
import type { ReusedPart } from '../experiments/partReuse.js';
import type { ResumePoint } from '../experiments/partFiles.js';
import { createRunDir, defaultRunDir, readJson } from '../runs/runFolder.js';
import type { SummaryEnvelope } from '../runs/format.js';
import { loadEngine } from '../engine/index.js';

export interface RunValues { preset?: string; config?: string; seeds?: string; set?: string[]; [option: string]: string | boolean | string[] | undefined }

/** The preset's config; an unknown name (only own names count: not 'toString') lists the presets. */
export function presetConfig(exp: AnyExperiment, name: string | undefined): BaseConfig {
  return asUsage(() => resolvePreset(exp, name));
}

/** Run `f`, turning a refused config input into a usage error (exit code 2). */
function asUsage<T>(f: () => T): T {
  try { return f(); } catch (e) { throw e instanceof ConfigInputError ? new UsageError(e.message) : e; }
}

/**
 * Build a config from the command's options (experiments/configBuild.ts does the work, shared with
 * the dashboard's run form). Unless `checkEnvironment` is false, also require what it needs here (data, device).
 */
export function buildConfig(exp: AnyExperiment, o: RunValues, checkEnvironment = true, notes: string[] = []): BaseConfig {
  let patch: unknown;
  if (o.config) {
    try { patch = JSON.parse(readFileSync(o.config, 'utf8')); } catch (e) { throw new UsageError(`cannot read --config ${o.config}: ${(e as Error).message}`); }
  }
  const options = Object.fromEntries(Object.keys(exp.cli.options).map((k) => [k, o[k] as string | boolean | undefined]));
  const seeds = o.seeds === undefined ? undefined : Number(o.seeds);
  if (seeds !== undefined && (!Number.isInteger(seeds) || seeds < 1)) throw new UsageError(`--seeds must be a positive integer, got '${o.seeds}'`);
  return asUsage(() => resolveConfig(exp, {
    preset: o.preset, patch, options, seeds, sets: parseSets(o.set ?? []), scaleSchedule: Boolean(o['scale-schedule']), checkEnvironment,
  }, notes));
}

/** For --dry-run: whether the config's data and device are there (`problems`: exp.environmentProblems), as lines. */
export function environmentNotes(exp: AnyExperiment, problems: string[]): string[] {
  return problems.length ? ['but it cannot run here:', ...problems.map((p) => `  - ${p}`)] : exp.cli.ready ? [exp.cli.ready] : [];
}

/**
 * Run a config into a folder with a progress bar; print the kind's table. Shared by `lrlab <kind>` and `resume`.
 * With `reuse`, parts already run in another run folder under the same runs folder are copied, not trained (partReuse.ts).
 */
export async function executeRun(exp: AnyExperiment, cfg: BaseConfig, dir: string, quiet: boolean, reuse = true, batch = true, workers = 1, resuming = false): Promise<number> {
  const parts = partsOf(exp, cfg).length;
  const onOpen = (finished: number, todo: ResumePoint[]) => { if (!quiet) console.error(resumeLine(finished, parts, todo)); };
  const onReuse = (r: ReusedPart[]) => {
    if (!quiet) console.error(`reused ${r.length} of ${parts} part(s) already run with the same part identity (--no-reuse trains them again): ${r.map((p) => `${p.key.method} seed ${p.key.seed} from ${p.from}`).join('; ')}`);
  };
  return runWithProgress({
    label: exp.kind, total: parts, dir, quiet,
    run: (shouldStop, bar) => runParts(exp, cfg, dir, {
      shouldStop, reuse: reuse ? { onReuse } : undefined, batch, onOpen: resuming ? onOpen : undefined,
      sideBySide: workers > 1 ? sideBySide(cfg, dir, workers, parts, shouldStop, (fraction, info) => bar.update(fraction * parts, info)) : undefined,
      onProgress: (p) => bar.update(partsDone(p), p.info),
      onBatchProgress: (fraction, info) => bar.update(fraction * parts, info), // (parts trained as one batch)
    }),
    table: () => exp.cli.table(readJson<SummaryEnvelope>(join(dir, 'summary.json'))),
  });
}

/** What a resume goes on from: "resuming: 2 of 6 part(s) finished; from their checkpoints: L-S seed 0 (step 1500), ...; from the start: ...". */
export function resumeLine(finished: number, total: number, todo: ResumePoint[]): string {
  const name = (k: PartKey) => `${k.method} seed ${k.seed}`;
  const from = todo.filter((t) => t.at !== null), fresh = todo.filter((t) => t.at === null);
  return [`resuming: ${finished} of ${total} part(s) finished`,
    ...(from.length ? [`from their checkpoints: ${from.map((t) => `${name(t.key)} (${t.at})`).join(', ')}`] : []),
    ...(fresh.length ? [`from the start: ${fresh.map((t) => name(t.key)).join(', ')}`] : [])].join('; ');
}

/** The command `lrlab <kind>` of an experiment kind. */
export function runCommand(exp: AnyExperiment): Command {
  return commandOf(kindHead(exp), {
    async run(argv) {
      const own = Object.fromEntries(Object.entries(exp.cli.options).map(([k, o]) => [k, { type: o.type }]));
      const { values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { ...RUN_OPTIONS, ...own, 'no-reuse': { type: 'boolean' }, 'no-batch': { type: 'boolean' }, queue: { type: 'string' }, workers: { type: 'string' } } });
      const dryRun = values['dry-run'] ?? false;
      const notes: string[] = [];
      // with --queue the data and device are the workers' business, not this machine's
      const cfg = buildConfig(exp, values as RunValues, !dryRun && !values.queue, notes);
      const out = values.out ?? defaultRunDir(exp.kind, cfg.preset);
      const workers = sideBySideWorkers(exp, cfg, values.workers, { batch: !(values['no-batch'] ?? false), queue: !!values.queue });
      // (--no-batch and --queue make workers 1: no shares)
      const shares = sharesFor(exp, cfg, partsOf(exp, cfg), workers);
      if (dryRun) {
        const problems = exp.environmentProblems(cfg);
        const side = shares ? [`side by side: ${shares.length} processes of one thread, each training ${shares.map((x) => x.length).join(' / ')} parts ${batchesParts(exp, cfg) ? 'as one batched program' : 'one by one'} (--workers 1: one process)`] : [];
        return printDryRun(cfg, { plan: exp.cli.plan(cfg), dir: out, force: values.force ?? false, notes: [...notes, ...side, ...environmentNotes(exp, problems)], reuse: REUSE_CONFIG, cannotRun: problems.length > 0 });
      }
      if (!(values.quiet ?? false)) for (const n of notes) console.error(n);
      const queue = values.queue ? await import('./worker.js') : null; // (the queue's client: imported for --queue only)
      if (queue && values.queue) await queue.reachableQueue(values.queue); // a bad URL or password is refused before any folder is touched
      // libtorch, as at start-up before: a failed load or kernel check refuses the run before its folder
      // is made. Side by side only the workers train, and each loads and checks it (this process need not wait for it).
      if (!shares) loadEngine();
      const dir = createRunDir(out, values.force ?? false, false);
      if (queue && values.queue) return queue.executeOnQueue(exp, cfg, dir, values.queue, values.quiet ?? false);
      return executeRun(exp, cfg, dir, values.quiet ?? false, !(values['no-reuse'] ?? false), !(values['no-batch'] ?? false), workers);
    },
  });
}
