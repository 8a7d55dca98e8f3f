// `lrlab sweep`: a grid over config keys times seeds, run in parallel worker processes.
import { alignedTable } from '../util/textTable.js';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Command, RUN_OPTIONS, UsageError, printDryRun } from './command.js';
import { commandOf, sweepHead } from './help.js';
import { runLocalSweep } from './sweepLocal.js';
import { buildConfig, environmentNotes, type RunValues } from './run.js';
import { overOf, parseAxis, specPoints, type Axis, type SweepPoint } from './grid.js';
import { ReusePlan } from './sweepPlan.js';
import { groupJobs, sweepGroups, waves } from './sweepGroups.js';
import { partsLine, sweepSummary, sweepTable, sweepText } from '../report/sweepTable.js';
import { setDotted } from '../experiments/configTools.js';
import { scaleSchedule } from '../experiments/configBuild.js';
import { SCALE_HINT } from '../experiments/scheduleCheck.js';
import type { AnyExperiment, BaseConfig } from '../experiments/experiment.js';
import { experimentKinds, experimentOf, experimentWithPreset, experiments, findExperiment } from '../experiments/registry.js';
import { createRunDir, defaultRunDir, refuseIfRunningElsewhere, writeJsonAtomic, writeRunStatus } from '../runs/runFolder.js';
import { loadEngine } from '../engine/index.js';

/**
 * What sweep.json records (runs/sweepFile.ts): the base config, each key's values (`over`; the axes
 * as written, lin/log ranges kept), seeds, workers, a random search's size and seed, and whether
 * finished parts are reused (default: yes).
 */
export interface SweepSpec {
  base: BaseConfig; over: [string, unknown[]][]; seeds: number; workers: number;
  axes?: Axis[]; sample?: { n: number; seed: number }; reuse?: boolean;
  /** false (--no-batch): a worker process per point run, its parts one by one (else grouped: sweepLocal.ts). Not recorded in sweep.json (results are the same either way). */
  batch?: boolean;
  /**
   * --scale-schedule: at a grid point whose training length differs from the base's, every schedule
   * event moves with it, except the keys given (the --set keys, and the point's own swept keys).
   */
  scaleSchedule?: { keep: string[] };
}
export type { SweepPoint } from './grid.js';

/** The grid of some --over options: each key and its values (ranges expanded). */
export function parseOver(over: string[]): [string, unknown[]][] {
  return overOf(over.map((o) => parseAxis(o)));
}

/** The point runs of a sweep in `dir`: each grid point at each seed, in grid order, with its config and folder. */
function sweepJobs(spec: SweepSpec, points: SweepPoint[], dir: string): { p: SweepPoint; seed: number; label: string; cfg: BaseConfig; out: string }[] {
  const seeds = Array.from({ length: spec.seeds }, (_, i) => spec.base.seed + i);
  return points.flatMap((p) => seeds.map((seed) => ({ p, seed, label: `${p.label}/seed${seed}`, cfg: pointConfig(spec.base, p, seed, spec.scaleSchedule), out: join(dir, 'points', p.label, `seed${seed}`) })));
}

/**
 * The config of one grid point and seed (validated: a bad key or value fails before anything runs);
 * with `scale` (--scale-schedule), its schedule events moved to the point's training length, and
 * `notes` told what moved.
 */
export function pointConfig(base: BaseConfig, p: SweepPoint, seed: number, scale?: SweepSpec['scaleSchedule'], notes: string[] = []): BaseConfig {
  let cfg: BaseConfig = { ...base, seeds: 1, seed };
  for (const [k, v] of Object.entries(p.values)) {
    try { cfg = setDotted(cfg, k, v); } catch (e) { throw new UsageError((e as Error).message); }
  }
  const exp = experimentOf(cfg);
  try {
    const before = exp.schedule.length(base);
    if (scale && exp.schedule.length(cfg) !== before) cfg = scaleSchedule(exp, cfg, before, [...scale.keep, ...Object.keys(p.values)], notes);
    return exp.validate(cfg) as BaseConfig;
  } catch (e) {
    const msg = (e as Error).message;
    throw new UsageError(`grid point ${JSON.stringify(p.values)}: ${scale ? msg.replace(SCALE_HINT, 'as --scale-schedule did not move it (it keeps what you --set or sweep)') : msg}`);
  }
}

export async function runSweep(dir: string, spec: SweepSpec, quiet: boolean, queue?: string): Promise<number> {
  const points = specPoints(spec);
  const jobs = sweepJobs(spec, points, dir);
  try { refuseIfRunningElsewhere(dir); } catch (e) { throw new UsageError((e as Error).message); }
  const { batch: _batch, ...recorded } = spec; // (not recorded: see SweepSpec.batch)
  writeJsonAtomic(join(dir, 'sweep.json'), { kind: 'sweep', spec: recorded, points });
  writeRunStatus(dir, 'running');
  // which parts are copied from finished runs, which point runs wait for which (sweepPlan.ts)
  const plan = new ReusePlan(experimentOf(spec.base), jobs, dir, spec.reuse !== false);
  if (!quiet && spec.reuse !== false) console.error(`sweep: ${plan.toTrain} part(s) to train, ${plan.reused} copied from runs already done (same part identity; --no-reuse trains them all)`);
  if (queue) { // every part on the queue (src/queue/), then the same summary
    const { sweepOnQueue } = await import('./worker.js'); // (the queue's client: imported for --queue only)
    const r = await sweepOnQueue(dir, jobs.map((j) => ({ cfg: j.cfg, dir: j.out, label: j.label })), queue, quiet);
    if (r.state === 'interrupted') {
      writeRunStatus(dir, 'interrupted');
      console.error(`${quiet ? '' : '\n'}interrupted: the coordinator stopped; the workers go on and their results wait in the queue. Continue with: lrlab resume ${dir}`);
      return 130;
    }
    if (!quiet) process.stderr.write('\n');
    return finishSweep(dir, spec, points, r.failures);
  }
  const r = await runLocalSweep({
    dir, plan, workers: spec.workers, batch: spec.batch !== false, quiet,
    jobs: jobs.map((j) => ({ label: j.label, values: j.p.values, seed: j.seed, cfg: j.cfg, out: j.out })),
  });
  if (r.interrupted) {
    writeRunStatus(dir, 'interrupted');
    console.error(`${quiet ? '' : '\n'}interrupted: ${r.done} of ${jobs.length} run(s) finished, the running ones checkpointed. Continue with: lrlab resume ${dir}`);
    return 130;
  }
  return finishSweep(dir, spec, points, r.failures);
}

/** The end of a sweep: status.json (with the parts run and reused), summary.json and the table (report/sweepTable.ts); 1 when a run (or part) failed. */
function finishSweep(dir: string, _spec: SweepSpec, _points: SweepPoint[], failures: string[]): number {
  const t = sweepTable(dir);
  writeRunStatus(dir, failures.length ? 'failed' : 'done', { parts_run: t.parts.run, parts_reused: t.parts.reused });
  writeJsonAtomic(join(dir, 'summary.json'), sweepSummary(t));
  console.log(sweepText(t));
  console.log(`\n${partsLine(t.parts)}`);
  console.log(`sweep folder: ${dir}  (lrlab report ${dir}: the table and the gap plots)`);
  if (failures.length) { console.error(`\n${failures.length} run(s) failed:\n  ${failures.join('\n  ')}`); return 1; }
  return 0;
}

/** A sweep's summary.json (report/sweepTable.ts's sweepSummary). */
export type SweepSummary = ReturnType<typeof sweepSummary>;

/**
 * --dry-run: how many parts the sweep would train and how many it would copy (same part identity),
 * and (local sweeps) the worker processes' groups: which point runs train together as one batched
 * program, wave by wave (a run that waits for a part another run trains comes in a later wave).
 */
function previewLines(exp: AnyExperiment, spec: SweepSpec, points: SweepPoint[], out: string, queue: boolean): string[] {
  const jobs = sweepJobs(spec, points, out);
  const plan = ReusePlan.preview(exp, jobs, resolve(out), spec.reuse !== false);
  const lines = [`parts: ${plan.train} to train, ${plan.reused} reused (same part identity: in this sweep or already run under ${resolve(out, '..')})${spec.reuse === false ? ' (--no-reuse)' : ''}`];
  if (queue) return [...lines, 'with --queue every part is a job of its own, trained by the queue\'s workers'];
  const gjobs = groupJobs(jobs, plan);
  const groups = sweepGroups(exp, gjobs, spec.workers, spec.batch !== false).filter((g) => g.some((i) => plan.trains[i]! > 0));
  const wave = waves(gjobs);
  const how = spec.batch === false ? "each run's parts one by one (--no-batch)"
    : exp.batchKey?.(spec.base) == null ? "each run's parts one by one (this config's parts do not batch)" : 'each group\'s parts as one batched program';
  lines.push(`worker processes: ${groups.length} group(s) of point runs, ${Math.min(spec.workers, groups.length)} at a time; ${how}:`);
  const name = (g: number[]) => (g.length <= 4 ? g.map((i) => jobs[i]!.label).join(', ') : `${jobs[g[0]!]!.label}, ${jobs[g[1]!]!.label}, ... ${jobs[g.at(-1)!]!.label}`);
  lines.push(...alignedTable(['group', 'wave', 'runs', 'parts', 'point runs'], groups.map((g, k) => [
    `g${k}`, String(wave[g[0]!]), String(g.length), String(g.reduce((n, i) => n + plan.trains[i]!, 0)), name(g),
  ])));
  return lines;
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

export const sweepCommand: Command = commandOf(sweepHead, {
  async run(argv) {
    const { values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: {
        ...RUN_OPTIONS, ...kindOptions(), over: { type: 'string', multiple: true }, experiment: { type: 'string' }, workers: { type: 'string' },
        queue: { type: 'string' },
        sample: { type: 'string' }, 'sample-seed': { type: 'string' }, 'no-reuse': { type: 'boolean' }, 'no-batch': { type: 'boolean' },
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
    const notes: string[] = []; // (what --scale-schedule moved: in the base config, then at each grid point)
    const base = buildConfig(exp, { ...(values as RunValues), seeds: '1' }, !dryRun && !values.queue, notes); // (--queue: data and device are the workers')
    const seeds = values.seeds === undefined ? 1 : Number(values.seeds);
    if (!Number.isInteger(seeds) || seeds < 1) throw new UsageError(`--seeds must be a positive integer, got '${values.seeds}'`);
    const workers = values.workers === undefined ? availableParallelism() : Number(values.workers);
    if (!Number.isInteger(workers) || workers < 1) throw new UsageError(`--workers must be a positive integer, got '${values.workers}'`);
    const sample = values.sample === undefined ? undefined : Number(values.sample);
    if (sample !== undefined && (!Number.isInteger(sample) || sample < 1)) throw new UsageError(`--sample must be a positive integer (the number of points to draw), got '${values.sample}'`);
    if (values['sample-seed'] !== undefined && sample === undefined) throw new UsageError('--sample-seed needs --sample N');
    const sampleSeed = values['sample-seed'] === undefined ? base.seed : Number(values['sample-seed']);
    if (!Number.isInteger(sampleSeed) || sampleSeed < 0) throw new UsageError(`--sample-seed must be a non-negative integer, got '${values['sample-seed']}'`);
    const axes = values.over.map((o) => parseAxis(o, sample !== undefined));
    const twice = axes.map((a) => a.key).find((k, i, all) => all.indexOf(k) !== i);
    if (twice) throw new UsageError(`--over ${twice} is given twice; give each key once`);
    const setKeys = ((values as RunValues).set ?? []).map((kv) => kv.slice(0, Math.max(0, kv.indexOf('='))).trim());
    const both = axes.find((a) => setKeys.includes(a.key));
    if (both) throw new UsageError(`--over ${both.key} and --set ${both.key} both set it (the grid would win); give it once`);
    const spec: SweepSpec = {
      base, over: overOf(axes), seeds, workers, axes,
      ...(sample !== undefined ? { sample: { n: sample, seed: sampleSeed } } : {}), ...(values['no-reuse'] ? { reuse: false } : {}),
      ...(values['no-batch'] ? { batch: false } : {}), ...(values['scale-schedule'] ? { scaleSchedule: { keep: setKeys } } : {}),
    };
    const points = specPoints(spec);
    points.forEach((p) => { // fail fast on bad keys/values; say what --scale-schedule moved where
      const moved: string[] = [];
      pointConfig(base, p, base.seed, spec.scaleSchedule, moved);
      notes.push(...moved.map((m) => `grid point ${p.label}: ${m}`));
    });
    // (where the length itself is swept, the base's own length says nothing: only the points' moves are told)
    const lengthSwept = axes.some((a) => a.key === exp.schedule.lengthKey);
    if (!values.quiet) for (const n of notes) if (!lengthSwept || n.startsWith('grid point ')) console.error(n);
    const out = values.out ?? defaultRunDir('sweep', base.preset);
    if (dryRun) {
      const runs = points.length * seeds;
      const plan = [
        `would run ${points.length} grid point(s) x ${seeds} seed(s) from seed ${base.seed} = ${runs} run(s) on ${Math.min(workers, runs)} worker(s), each over this config with:`,
        ...alignedTable(['point', ...spec.over.map(([k]) => k)], points.map((p) => [p.label, ...spec.over.map(([k]) => JSON.stringify(p.values[k]))])),
        ...previewLines(exp, spec, points, out, !!values.queue),
      ].join('\n');
      const problems = exp.environmentProblems(base);
      return printDryRun(base, {
        plan, dir: out, force: values.force ?? false, notes: environmentNotes(exp, problems), cannotRun: problems.length > 0,
        reuse: 'The JSON (stdout) is the base config of every run (seeds: 1); run the same sweep with --config FILE and the same --over, --seeds and --experiment.',
      });
    }
    if (values.queue) await (await import('./worker.js')).reachableQueue(values.queue); // a bad URL or password is refused before any folder is touched
    loadEngine(); // (libtorch, as at start-up before: a failed load or kernel check refuses the sweep before its folder is made)
    const dir = createRunDir(out, values.force ?? false);
    return runSweep(resolve(dir), spec, values.quiet ?? false, values.queue);
  },
});
