// `lrlab <kind>` for every registered experiment kind (synthetic, images, ...): build the config
// from --preset, --config, the kind's own options, --seeds and --set; check it (and with
// --dry-run, print it and stop); run its parts into a run folder with a progress bar; print the
// kind's table. Shared by `lrlab resume`.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, REUSE_CONFIG, RUN_OPTIONS, UsageError, parseSets, printDryRun } from './command.js';
import { runWithProgress } from './progress.js';
import { applySets, deepMerge } from '../experiments/configTools.js';
import type { AnyExperiment, BaseConfig } from '../experiments/experiment.js';
import { runParts, partsOf } from '../experiments/partRunner.js';
import { createRunDir, defaultRunDir, readJson } from '../runs/runFolder.js';
import type { SummaryEnvelope } from '../runs/format.js';

export interface RunValues { preset?: string; config?: string; seeds?: string; set?: string[]; [option: string]: string | boolean | string[] | undefined }

/** The preset's config; an unknown name (only own names count: not 'toString') lists the presets. */
export function presetConfig(exp: AnyExperiment, name: string | undefined): BaseConfig {
  const n = name ?? exp.defaultPreset;
  if (!Object.hasOwn(exp.presets, n)) throw new UsageError(`unknown ${exp.kind} preset '${n}' (available: ${Object.keys(exp.presets).join(', ')})`);
  return exp.presets[n]!.config() as BaseConfig;
}

/**
 * Build a config from the command's options. Unless `checkEnvironment` is false, also require what
 * it needs here (data, device).
 */
export function buildConfig(exp: AnyExperiment, o: RunValues, checkEnvironment = true, notes: string[] = []): BaseConfig {
  let cfg = presetConfig(exp, o.preset);
  if (o.config) {
    let patch: unknown;
    try { patch = JSON.parse(readFileSync(o.config, 'utf8')); } catch (e) { throw new UsageError(`cannot read --config ${o.config}: ${(e as Error).message}`); }
    cfg = exp.cli.merge ? exp.cli.merge(cfg, patch) : deepMerge(cfg, patch);
  }
  const own = Object.fromEntries(Object.keys(exp.cli.options).map((k) => [k, o[k] as string | boolean | undefined]));
  cfg = exp.cli.applyOptions(cfg, own) as BaseConfig;
  if (o.seeds !== undefined) {
    const n = Number(o.seeds);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--seeds must be a positive integer, got '${o.seeds}'`);
    cfg = { ...cfg, seeds: n };
  }
  try {
    const sets = parseSets(o.set ?? []);
    const before = exp.schedule.length(cfg);
    cfg = applySets(cfg, sets);
    if (o['scale-schedule']) cfg = scaleSchedule(exp, cfg, before, sets.map(([k]) => k), notes);
    cfg = exp.validate(cfg) as BaseConfig;
  } catch (e) { throw new UsageError((e as Error).message); }
  const problems = checkEnvironment ? exp.environmentProblems(cfg) : [];
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  return cfg;
}

/**
 * --scale-schedule: move every schedule event (anneal, milestones, noise switch-off) by the factor the
 * training length changed by, except those the user set himself; say what moved in `notes`.
 */
export function scaleSchedule(exp: AnyExperiment, cfg: BaseConfig, before: number, setKeys: string[], notes: string[]): BaseConfig {
  const s = exp.schedule;
  const after = s.length(cfg);
  if (!(after > 0 && before > 0) || after === before) {
    notes.push(`--scale-schedule: ${s.lengthKey} is ${after} as in the preset; no schedule event moved`);
    return cfg;
  }
  const related = (a: string, b: string) => a === b || a.startsWith(b + '.') || b.startsWith(a + '.');
  const r = s.scale(cfg, after / before, (key) => setKeys.some((k) => related(k, key)));
  const moves = r.moved.map(([k, a, b]) => `${k} ${a} -> ${b}`);
  notes.push(`--scale-schedule: ${s.lengthKey} ${before} -> ${after} (x${(after / before).toPrecision(3)}): ${moves.length ? moves.join(', ') : 'no schedule event to move'}`);
  return r.config as BaseConfig;
}

/** For --dry-run: whether the config's data and device are there (`problems`: exp.environmentProblems), as lines. */
export function environmentNotes(exp: AnyExperiment, problems: string[]): string[] {
  return problems.length ? ['but it cannot run here:', ...problems.map((p) => `  - ${p}`)] : exp.cli.ready ? [exp.cli.ready] : [];
}

/** Run a config into a folder with a progress bar; print the kind's table. Shared by `lrlab <kind>` and `resume`. */
export async function executeRun(exp: AnyExperiment, cfg: BaseConfig, dir: string, quiet: boolean): Promise<number> {
  const parts = partsOf(exp, cfg).length;
  return runWithProgress({
    label: exp.kind, total: parts, dir, quiet,
    run: (shouldStop, bar) => runParts(exp, cfg, dir, {
      shouldStop,
      onProgress: (p) => bar.update(p.part + (p.of > 0 ? Math.min(1, p.at / p.of) : 0), p.info),
    }),
    table: () => exp.cli.table(readJson<SummaryEnvelope>(join(dir, 'summary.json'))),
  });
}

function usage(exp: AnyExperiment): string {
  const own = Object.entries(exp.cli.options);
  const ownUsage = own.map(([k, o]) => (o.type === 'string' ? `[--${k} ${k.toUpperCase()}]` : `[--${k}]`)).join(' ');
  const w = Math.max(...Object.keys(exp.presets).map((k) => k.length));
  return `usage: lrlab ${exp.kind} [--preset NAME] ${ownUsage ? ownUsage + ' ' : ''}[--config FILE] [--seeds N] [--set key=value ...] [--out DIR] [--force] [--quiet] [--dry-run]

${exp.cli.help}

options:
  --preset NAME     one of: ${Object.keys(exp.presets).join(', ')} (default: ${exp.defaultPreset})
${own.map(([k, o]) => `  ${`--${k}${o.type === 'string' ? ` ${k.toUpperCase()}` : ''}`.padEnd(17)} ${o.description}`).join('\n')}${own.length ? '\n' : ''}  --config FILE     a JSON config (whole or partial; merged over the preset)
  --seeds N         number of seeds (seed, seed+1, ...)
  --set key=value   override any config key, dotted
  --out DIR         run folder (default: runs/${exp.kind}-<preset>-<time>)
  --force           overwrite an existing run folder
  --quiet           no progress bar
  --dry-run         print the resolved config (JSON, on stdout) and what would run, then exit
  --scale-schedule  when --set changes ${exp.schedule.lengthKey}, move every schedule event (anneal, milestones,
                    noise switch-off) by the same factor (keys you --set yourself stay as given)

presets:
${Object.entries(exp.presets).map(([k, v]) => `  ${k.padEnd(w)}  ${v.description}`).join('\n')}

The run folder holds config.json, metrics.jsonl, parts/, summary.json, status.json and checkpoints/;
resume an interrupted run with \`lrlab resume DIR\`.`;
}

/** The command `lrlab <kind>` of an experiment kind. */
export function runCommand(exp: AnyExperiment): Command {
  return {
    name: exp.kind,
    summary: exp.cli.summary,
    get usage() { return usage(exp); },
    async run(argv) {
      const own = Object.fromEntries(Object.entries(exp.cli.options).map(([k, o]) => [k, { type: o.type }]));
      const { values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { ...RUN_OPTIONS, ...own } });
      const dryRun = values['dry-run'] ?? false;
      const notes: string[] = [];
      const cfg = buildConfig(exp, values as RunValues, !dryRun, notes);
      const out = values.out ?? defaultRunDir(exp.kind, cfg.preset);
      if (dryRun) {
        const problems = exp.environmentProblems(cfg);
        return printDryRun(cfg, { plan: exp.cli.plan(cfg), dir: out, force: values.force ?? false, notes: [...notes, ...environmentNotes(exp, problems)], reuse: REUSE_CONFIG, cannotRun: problems.length > 0 });
      }
      if (!(values.quiet ?? false)) for (const n of notes) console.error(n);
      const dir = createRunDir(out, values.force ?? false, false);
      return executeRun(exp, cfg, dir, values.quiet ?? false);
    },
  };
}
