// `lrlab sweep`: a grid over config keys times seeds, run in parallel worker processes.
import { alignedTable } from './textTable.js';
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Command, RUN_OPTIONS, UsageError, parseValue, printDryRun } from './command.js';
import { Progress } from './progress.js';
import { buildSyntheticConfig } from './synthetic.js';
import { buildImageConfig, environmentNotes } from './images.js';
import { type ImageExperimentConfig, validateImageConfig } from '../experiments/imageConfig.js';
import type { ImageSummary } from '../experiments/runImages.js';
import { IMAGE_PRESETS } from '../experiments/imagePresets.js';
import { setDotted } from '../experiments/configTools.js';
import { type SyntheticExperimentConfig, validateSyntheticConfig } from '../experiments/syntheticConfig.js';
import type { SyntheticSummary } from '../experiments/runSynthetic.js';
import { createRunDir, defaultRunDir, readJson, refuseIfRunningElsewhere, writeJsonAtomic, writeRunStatus } from '../runs/runFolder.js';
import { SYNTHETIC_PRESETS } from '../experiments/syntheticPresets.js';
import { type MeanStd, fmtMeanStd, meanStd } from '../util/stats.js';

const USAGE = `usage: lrlab sweep --over key=v1,v2,... [--over ...] [--experiment synthetic|images] [--seeds N]
                   [--preset NAME] [--config FILE] [--data DIR] [--set key=value ...] [--workers K]
                   [--out DIR] [--force] [--quiet] [--dry-run]

Runs an experiment on every point of a grid (the product of the --over lists) and every seed, in
parallel worker processes (default: one per core, each single-threaded), and writes one summary
table: final accuracies per method, mean ± std over seeds, and the gap between the first two methods
(synthetic: P-only test accuracy of L-S minus S; images: clean validation accuracy, large minus small LR).

  --over key=v1,v2   a config key (dotted) and its values, e.g. --over train.eta1=0.01,0.02,0.04
  --experiment E     synthetic (default) or images (implied by an image preset name)
  --workers K        worker processes (default: ${availableParallelism()})
  --dry-run          print the base config (JSON, on stdout) and the grid points, then exit
Other options as in \`lrlab synthetic\` / \`lrlab images\`.
Synthetic presets: ${Object.keys(SYNTHETIC_PRESETS).join(', ')}. Image presets: ${Object.keys(IMAGE_PRESETS).join(', ')}.
An interrupted sweep continues with \`lrlab resume DIR\` (finished runs are not rerun).`;

type AnyConfig = SyntheticExperimentConfig | ImageExperimentConfig;
export interface SweepSpec { base: AnyConfig; over: [string, unknown[]][]; seeds: number; workers: number }
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
export function pointConfig(base: AnyConfig, p: SweepPoint, seed: number): AnyConfig {
  let cfg: AnyConfig = { ...base, seeds: 1, seed };
  for (const [k, v] of Object.entries(p.values)) {
    try { cfg = setDotted(cfg, k, v); } catch (e) { throw new UsageError((e as Error).message); }
  }
  try {
    return cfg.kind === 'images' ? validateImageConfig(cfg) : validateSyntheticConfig(cfg);
  } catch (e) { throw new UsageError(`grid point ${JSON.stringify(p.values)}: ${(e as Error).message}`); }
}

const cliPath = fileURLToPath(new URL('../../bin/lrlab.js', import.meta.url));

function runJob(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LRLAB_NUM_THREADS: '1' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    child.on('close', (code) => res({ code: code ?? 1, stderr }));
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
  const worker = async () => {
    while (next < jobs.length) {
      const j = jobs[next++]!;
      if (existsSync(join(j.out, 'summary.json'))) { done++; bar.update(done, `${done}/${jobs.length} runs`); continue; }
      let args: string[];
      if (existsSync(join(j.out, 'config.json'))) args = ['resume', j.out, '--quiet'];
      else {
        mkdirSync(j.out, { recursive: true });
        writeJsonAtomic(join(j.out, '..', `config-seed${j.seed}.json`), j.cfg);
        args = [spec.base.kind, '--config', join(j.out, '..', `config-seed${j.seed}.json`), '--out', j.out, '--force', '--quiet'];
      }
      const r = await runJob(args);
      done++;
      if (r.code !== 0) { failed++; failures.push(`${j.p.label} ${JSON.stringify(j.p.values)} seed ${j.seed}: ${r.stderr.trim().split('\n').pop()}`); }
      bar.update(done, `${done}/${jobs.length} runs${failed ? `, ${failed} failed` : ''}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(spec.workers, jobs.length) }, worker));
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
  experiment: 'synthetic' | 'images';
  keys: string[];
  /** The accuracy columns shown per method (synthetic: test_acc subsets; images: val_acc sets). */
  columns: string[];
  rows: { label: string; values: Record<string, unknown>; runs: number; methods: Record<string, Record<string, MeanStd>>; gap: MeanStd }[];
  /** What `gap` measures. */
  gapLabel: string;
}

/** Per-run final accuracies of each method: {method: {column: value}}. */
function runFinals(summaryPath: string): Record<string, Record<string, number | null>> {
  const s = readJson<SyntheticSummary | ImageSummary>(summaryPath);
  const out: Record<string, Record<string, number | null>> = {};
  for (const [m, r] of Object.entries(s.methods)) {
    const acc = 'test_acc' in r ? r.test_acc : { ...r.val_acc, clean_last5: r.val_acc_last5_mean.clean };
    out[m] = Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, (v as MeanStd).mean]));
  }
  return out;
}

export function summarizeSweep(dir: string, spec: SweepSpec, points: SweepPoint[]): SweepSummary {
  const images = spec.base.kind === 'images';
  const methods = images ? (spec.base as ImageExperimentConfig).methods.map((m) => m.name) : (spec.base as SyntheticExperimentConfig).methods;
  const columns = images ? ['clean', 'mixed', 'patch_only', 'clean_last5'] : ['p_only', 'q_only', 'both', 'all'];
  const gapCol = images ? 'clean_last5' : 'p_only';
  const [first, second] = images ? [methods[0], methods[1]] : ['L-S', 'S'];
  const rows = points.map((p) => {
    const pdir = join(dir, 'points', p.label);
    const finals = existsSync(pdir) ? readdirSync(pdir).filter((f) => f.startsWith('seed') && existsSync(join(pdir, f, 'summary.json')))
      .map((f) => runFinals(join(pdir, f, 'summary.json'))) : [];
    const ms: Record<string, Record<string, MeanStd>> = {};
    for (const m of methods) ms[m] = Object.fromEntries(columns.map((c) => [c, meanStd(finals.map((x) => x[m]?.[c]))]));
    const gap = meanStd(finals.map((x) => {
      const a = first ? x[first]?.[gapCol] : null, b = second ? x[second]?.[gapCol] : null;
      return a != null && b != null ? a - b : null;
    }));
    return { label: p.label, values: p.values, runs: finals.length, methods: ms, gap };
  });
  const gapLabel = `${first ?? '?'} − ${second ?? '?'} ${gapCol}`;
  return { kind: 'sweep', experiment: images ? 'images' : 'synthetic', keys: spec.over.map(([k]) => k), columns, rows, gapLabel };
}

export function formatSweepTable(s: SweepSummary): string {
  const methods = Object.keys(s.rows[0]?.methods ?? {});
  const shown = s.experiment === 'images' ? ['clean', 'patch_only'] : ['p_only', 'q_only'];
  const head = [...s.keys, ...shown.flatMap((c) => methods.map((m) => `${m} ${c}`)), `gap ${s.gapLabel}`];
  const rows = s.rows.map((r) => [
    ...s.keys.map((k) => JSON.stringify(r.values[k])),
    ...shown.flatMap((c) => methods.map((m) => fmtMeanStd(r.methods[m]![c]))),
    fmtMeanStd(r.gap),
  ]);
  return [`final ${s.experiment === 'images' ? 'validation' : 'test'} accuracy, mean ± std over seeds`, ...alignedTable(head, rows)].join('\n');
}

export const sweepCommand: Command = {
  name: 'sweep',
  summary: 'a grid over config keys x seeds, in parallel worker processes, with one summary table',
  usage: USAGE,
  async run(argv) {
    const { values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: {
        ...RUN_OPTIONS, over: { type: 'string', multiple: true }, experiment: { type: 'string' }, data: { type: 'string' }, workers: { type: 'string' },
      },
    });
    if (!values.over?.length) throw new UsageError('give at least one --over key=v1,v2,...');
    const experiment = values.experiment ?? (values.preset && values.preset in IMAGE_PRESETS && !(values.preset in SYNTHETIC_PRESETS) ? 'images' : 'synthetic');
    if (experiment !== 'synthetic' && experiment !== 'images') throw new UsageError(`--experiment must be 'synthetic' or 'images', got '${experiment}'`);
    if (experiment === 'synthetic' && values.data) throw new UsageError('--data applies to --experiment images only');
    const dryRun = values['dry-run'] ?? false;
    const base: AnyConfig = experiment === 'images' ? buildImageConfig({ ...values, seeds: '1' }, !dryRun) : buildSyntheticConfig({ ...values, seeds: '1' });
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
      const notes = base.kind === 'images' ? environmentNotes(base) : [];
      return printDryRun(base, {
        plan, dir: out, force: values.force ?? false, notes,
        reuse: 'The JSON (stdout) is the base config of every run (seeds: 1); run the same sweep with --config FILE and the same --over, --seeds and --experiment.',
      });
    }
    const dir = createRunDir(out, values.force ?? false);
    return runSweep(resolve(dir), spec, values.quiet ?? false);
  },
};
