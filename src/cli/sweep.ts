// `lrlab sweep`: a grid over config keys times seeds, run in parallel worker processes.
import { alignedTable } from '../util/textTable.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { interruptFlag } from './signals.js';
import { availableParallelism, constants } from 'node:os';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Command, RUN_OPTIONS, UsageError, parseValue, printDryRun } from './command.js';
import { Progress, SWEEP_PARENT_ENV } from './progress.js';
import { buildConfig, environmentNotes, type RunValues } from './run.js';
import { setDotted } from '../experiments/configTools.js';
import type { AnyExperiment, BaseConfig } from '../experiments/experiment.js';
import { experimentKinds, experimentOf, experimentWithPreset, experiments, findExperiment } from '../experiments/registry.js';
import { createRunDir, defaultRunDir, readJson, refuseIfRunningElsewhere, writeJsonAtomic, writeRunStatus } from '../runs/runFolder.js';
import type { SummaryEnvelope } from '../runs/format.js';
import { type MeanStd, fmtMeanStd, meanStd } from '../util/stats.js';

const USAGE = () => `usage: lrlab sweep --over key=v1,v2,... [--over ...] [--experiment ${experimentKinds().join('|')}] [--seeds N]
                   [--preset NAME] [--config FILE] [--data DIR] [--set key=value ...] [--workers K]
                   [--out DIR] [--force] [--quiet] [--dry-run]

Runs an experiment on every point of a grid (the product of the --over lists) and every seed, in
parallel worker processes (default: one per core, each single-threaded), and writes one summary
table: final accuracies per method, mean ± std over seeds, and the gap between the first two methods
(synthetic: P-only test accuracy of L-S minus S; images: clean validation accuracy, large minus small LR).

  --over key=v1,v2   a config key (dotted) and its values, e.g. --over train.eta1=0.01,0.02,0.04
  --experiment E     ${experimentKinds().join(' or ')} (default: the kind whose preset --preset names, else ${experimentKinds()[0]})
  --workers K        worker processes (default: ${availableParallelism()})
  --dry-run          print the base config (JSON, on stdout) and the grid points, then exit
Other options as in \`lrlab <experiment>\`. Presets: ${experiments().map((e) => `${e.kind}: ${Object.keys(e.presets).join(', ')}`).join('; ')}.
An interrupted sweep continues with \`lrlab resume DIR\` (finished runs are not rerun).`;

export interface SweepSpec { base: BaseConfig; over: [string, unknown[]][]; seeds: number; workers: number }
export interface SweepPoint { label: string; values: Record<string, unknown> }

export function parseOver(over: string[]): [string, unknown[]][] {
  return over.map((o) => {
    const i = o.indexOf('=');
    if (i <= 0) throw new UsageError(`--over expects key=v1,v2,..., got '${o}'`);
    const vals = o.slice(i + 1).split(',').map((v) => parseValue(v.trim()));
    if (vals.length === 0 || vals.some((v) => v === '')) throw new UsageError(`--over ${o.slice(0, i)}: empty value in '${o}'`);
    return [o.slice(0, i).trim(), vals];
  });
}

export function gridPoints(over: [string, unknown[]][]): SweepPoint[] {
  let pts: Record<string, unknown>[] = [{}];
  for (const [k, vs] of over) pts = pts.flatMap((p) => vs.map((v) => ({ ...p, [k]: v })));
  return pts.map((values, i) => ({ label: `p${String(i).padStart(3, '0')}`, values }));
}

/** The config of one grid point and seed (validated: a bad key or value fails before anything runs). */
export function pointConfig(base: BaseConfig, p: SweepPoint, seed: number): BaseConfig {
  let cfg: BaseConfig = { ...base, seeds: 1, seed };
  for (const [k, v] of Object.entries(p.values)) {
    try { cfg = setDotted(cfg, k, v); } catch (e) { throw new UsageError((e as Error).message); }
  }
  try {
    return experimentOf(cfg).validate(cfg) as BaseConfig;
  } catch (e) { throw new UsageError(`grid point ${JSON.stringify(p.values)}: ${(e as Error).message}`); }
}

const cliPath = fileURLToPath(new URL('../../bin/lrlab.js', import.meta.url));

/**
 * Run one point's run in a worker process. Workers get a process group of their own (detached), so
 * a Ctrl-C at the terminal reaches only the sweep, which passes exactly one signal on to each worker
 * (a second one would make it quit without its checkpoint).
 */
function runJob(args: string[], children: Set<ChildProcess>): Promise<{ code: number; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'ignore', 'pipe'], detached: true, env: { ...process.env, LRLAB_NUM_THREADS: '1', [SWEEP_PARENT_ENV]: String(process.pid) } });
    children.add(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    child.on('close', (code, signal) => { children.delete(child); res({ code: code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1), stderr }); });
  });
}

export async function runSweep(dir: string, spec: SweepSpec, quiet: boolean): Promise<number> {
  const points = gridPoints(spec.over);
  const seeds = Array.from({ length: spec.seeds }, (_, i) => spec.base.seed + i);
  const jobs = points.flatMap((p) => seeds.map((seed) => ({ p, seed, cfg: pointConfig(spec.base, p, seed), out: join(dir, 'points', p.label, `seed${seed}`) })));
  try { refuseIfRunningElsewhere(dir); } catch (e) { throw new UsageError((e as Error).message); }
  writeJsonAtomic(join(dir, 'sweep.json'), { kind: 'sweep', spec, points });
  writeRunStatus(dir, 'running');
  const bar = new Progress(jobs.length, 'sweep', process.stderr, quiet);
  let done = 0, failed = 0, next = 0;
  const failures: string[] = [];
  const children = new Set<ChildProcess>();
  // SIGINT/SIGTERM: start no new point, pass the signal on (each running point checkpoints and stops), wait for them
  const stop = interruptFlag((sig) => { for (const c of children) c.kill(sig); });
  const worker = async () => {
    while (next < jobs.length && !stop.get()) {
      const j = jobs[next++]!;
      if (existsSync(join(j.out, 'summary.json'))) { done++; bar.update(done, `${done}/${jobs.length} runs`); continue; }
      let args: string[];
      if (existsSync(join(j.out, 'config.json'))) args = ['resume', j.out, '--quiet'];
      else {
        mkdirSync(j.out, { recursive: true });
        writeJsonAtomic(join(j.out, '..', `config-seed${j.seed}.json`), j.cfg);
        args = [spec.base.kind, '--config', join(j.out, '..', `config-seed${j.seed}.json`), '--out', j.out, '--force', '--quiet'];
      }
      const r = await runJob(args, children);
      if (stop.get() && r.code === 130) continue; // interrupted: it continues on resume
      done++;
      if (r.code !== 0) { failed++; failures.push(`${j.p.label} ${JSON.stringify(j.p.values)} seed ${j.seed}: ${r.stderr.trim().split('\n').pop()}`); }
      bar.update(done, `${done}/${jobs.length} runs${failed ? `, ${failed} failed` : ''}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(spec.workers, jobs.length) }, worker));
  } finally { stop.release(); }
  if (stop.get()) {
    writeRunStatus(dir, 'interrupted');
    console.error(`${quiet ? '' : '\n'}interrupted: ${done} of ${jobs.length} run(s) finished, the running ones checkpointed. Continue with: lrlab resume ${dir}`);
    return 130;
  }
  bar.done();
  writeRunStatus(dir, failures.length ? 'failed' : 'done');
  const summary = summarizeSweep(dir, spec, points);
  writeJsonAtomic(join(dir, 'summary.json'), summary);
  console.log(formatSweepTable(summary));
  console.log(`\nsweep folder: ${dir}`);
  if (failures.length) { console.error(`\n${failures.length} run(s) failed:\n  ${failures.join('\n  ')}`); return 1; }
  return 0;
}

export interface SweepSummary {
  kind: 'sweep';
  experiment: string;
  keys: string[];
  /** The accuracy columns per method (the kind's sweep view), those shown in the table, and what they measure ('test', 'validation'). */
  columns: string[];
  shown: string[];
  what: string;
  rows: { label: string; values: Record<string, unknown>; runs: number; methods: Record<string, Record<string, MeanStd>>; gap: MeanStd }[];
  /** What `gap` measures. */
  gapLabel: string;
}

export function summarizeSweep(dir: string, spec: SweepSpec, points: SweepPoint[]): SweepSummary {
  const exp = experimentOf(spec.base);
  const sv = exp.sweep;
  const methods = exp.methods(spec.base);
  const first = sv.gap.first ?? methods[0], second = sv.gap.second ?? methods[1];
  const rows = points.map((p) => {
    const pdir = join(dir, 'points', p.label);
    const finals = existsSync(pdir) ? readdirSync(pdir).filter((f) => f.startsWith('seed') && existsSync(join(pdir, f, 'summary.json')))
      .map((f) => sv.finals(readJson<SummaryEnvelope>(join(pdir, f, 'summary.json')))) : [];
    const ms: Record<string, Record<string, MeanStd>> = {};
    for (const m of methods) ms[m] = Object.fromEntries(sv.columns.map((c) => [c, meanStd(finals.map((x) => x[m]?.[c]))]));
    const gap = meanStd(finals.map((x) => {
      const a = first ? x[first]?.[sv.gap.column] : null, b = second ? x[second]?.[sv.gap.column] : null;
      return a != null && b != null ? a - b : null;
    }));
    return { label: p.label, values: p.values, runs: finals.length, methods: ms, gap };
  });
  const gapLabel = `${first ?? '?'} − ${second ?? '?'} ${sv.gap.column}`;
  return { kind: 'sweep', experiment: exp.kind, keys: spec.over.map(([k]) => k), columns: sv.columns, shown: sv.shown, what: sv.what, rows, gapLabel };
}

export function formatSweepTable(s: SweepSummary): string {
  const methods = Object.keys(s.rows[0]?.methods ?? {});
  const head = [...s.keys, ...s.shown.flatMap((c) => methods.map((m) => `${m} ${c}`)), `gap ${s.gapLabel}`];
  const rows = s.rows.map((r) => [
    ...s.keys.map((k) => JSON.stringify(r.values[k])),
    ...s.shown.flatMap((c) => methods.map((m) => fmtMeanStd(r.methods[m]![c]))),
    fmtMeanStd(r.gap),
  ]);
  return [`final ${s.what} accuracy, mean ± std over seeds`, ...alignedTable(head, rows)].join('\n');
}

/** The options of every kind's run command (e.g. images' --data), for parseArgs. */
function kindOptions(): Record<string, { type: 'string' | 'boolean' }> {
  return Object.fromEntries(experiments().flatMap((e) => Object.entries(e.cli.options).map(([k, o]) => [k, { type: o.type }])));
}

/** The kind a sweep runs: --experiment, else the kind that has the --preset, else the first registered. */
function sweepKind(values: { experiment?: string; preset?: string }): AnyExperiment {
  if (values.experiment !== undefined) {
    const e = findExperiment(values.experiment);
    if (!e) throw new UsageError(`--experiment must be one of ${experimentKinds().join(', ')}, got '${values.experiment}'`);
    return e;
  }
  return (values.preset ? experimentWithPreset(values.preset) : undefined) ?? experiments()[0]!;
}

export const sweepCommand: Command = {
  name: 'sweep',
  summary: 'a grid over config keys x seeds, in parallel worker processes, with one summary table',
  get usage() { return USAGE(); },
  async run(argv) {
    const { values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: {
        ...RUN_OPTIONS, ...kindOptions(), over: { type: 'string', multiple: true }, experiment: { type: 'string' }, workers: { type: 'string' },
      },
    });
    if (!values.over?.length) throw new UsageError('give at least one --over key=v1,v2,...');
    const exp = sweepKind(values);
    const given = values as Record<string, unknown>;
    for (const k of Object.keys(kindOptions())) {
      if (given[k] !== undefined && !Object.hasOwn(exp.cli.options, k)) {
        throw new UsageError(`--${k} applies to --experiment ${experiments().filter((e) => Object.hasOwn(e.cli.options, k)).map((e) => e.kind).join(', ')} only`);
      }
    }
    const dryRun = values['dry-run'] ?? false;
    const base = buildConfig(exp, { ...(values as RunValues), seeds: '1' }, !dryRun);
    const seeds = values.seeds === undefined ? 1 : Number(values.seeds);
    if (!Number.isInteger(seeds) || seeds < 1) throw new UsageError(`--seeds must be a positive integer, got '${values.seeds}'`);
    const workers = values.workers === undefined ? availableParallelism() : Number(values.workers);
    if (!Number.isInteger(workers) || workers < 1) throw new UsageError(`--workers must be a positive integer, got '${values.workers}'`);
    const spec: SweepSpec = { base, over: parseOver(values.over), seeds, workers };
    const points = gridPoints(spec.over);
    points.forEach((p) => pointConfig(base, p, base.seed)); // fail fast on bad keys/values
    const out = values.out ?? defaultRunDir('sweep', base.preset);
    if (dryRun) {
      const runs = points.length * seeds;
      const plan = [
        `would run ${points.length} grid point(s) x ${seeds} seed(s) from seed ${base.seed} = ${runs} run(s) on ${Math.min(workers, runs)} worker(s), each over this config with:`,
        ...alignedTable(['point', ...spec.over.map(([k]) => k)], points.map((p) => [p.label, ...spec.over.map(([k]) => JSON.stringify(p.values[k]))])),
      ].join('\n');
      const problems = exp.environmentProblems(base);
      return printDryRun(base, {
        plan, dir: out, force: values.force ?? false, notes: environmentNotes(exp, problems), cannotRun: problems.length > 0,
        reuse: 'The JSON (stdout) is the base config of every run (seeds: 1); run the same sweep with --config FILE and the same --over, --seeds and --experiment.',
      });
    }
    const dir = createRunDir(out, values.force ?? false);
    return runSweep(resolve(dir), spec, values.quiet ?? false);
  },
};
