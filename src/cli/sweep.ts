// `lrlab sweep`: a grid over config keys times seeds, run in parallel worker processes.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Command, UsageError, parseValue } from './command.js';
import { Progress } from './progress.js';
import { buildSyntheticConfig } from './synthetic.js';
import { setDotted } from '../experiments/configTools.js';
import { type SyntheticExperimentConfig, validateSyntheticConfig } from '../experiments/syntheticConfig.js';
import type { SyntheticSummary } from '../experiments/runSynthetic.js';
import { createRunDir, defaultRunDir, readJson, writeJsonAtomic } from '../experiments/runFolder.js';
import { SYNTHETIC_PRESETS } from '../experiments/syntheticPresets.js';
import { type MeanStd, fmtMeanStd, meanStd } from '../report/stats.js';

const USAGE = `usage: lrlab sweep --over key=v1,v2,... [--over ...] [--seeds N] [--preset NAME] [--config FILE]
                   [--set key=value ...] [--workers K] [--out DIR] [--force] [--quiet]

Runs the synthetic experiment on every point of a grid (the product of the --over lists) and every
seed, in parallel worker processes (default: one per core, each single-threaded), and writes one
summary table: final test accuracy per method and component, mean ± std over seeds.

  --over key=v1,v2   a config key (dotted) and its values, e.g. --over train.eta1=0.01,0.02,0.04
  --workers K        worker processes (default: ${availableParallelism()})
Other options as in \`lrlab synthetic\`. Presets: ${Object.keys(SYNTHETIC_PRESETS).join(', ')}.
An interrupted sweep continues with \`lrlab resume DIR\` (finished points are not rerun).`;

export interface SweepSpec { base: SyntheticExperimentConfig; over: [string, unknown[]][]; seeds: number; workers: number }
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
export function pointConfig(base: SyntheticExperimentConfig, p: SweepPoint, seed: number): SyntheticExperimentConfig {
  let cfg = { ...base, seeds: 1, seed };
  for (const [k, v] of Object.entries(p.values)) {
    try { cfg = setDotted(cfg, k, v); } catch (e) { throw new UsageError((e as Error).message); }
  }
  try { return validateSyntheticConfig(cfg); } catch (e) { throw new UsageError(`grid point ${JSON.stringify(p.values)}: ${(e as Error).message}`); }
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
  writeJsonAtomic(join(dir, 'sweep.json'), { kind: 'sweep', spec, points });
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
        args = ['synthetic', '--config', join(j.out, '..', `config-seed${j.seed}.json`), '--out', j.out, '--force', '--quiet'];
      }
      const r = await runJob(args);
      done++;
      if (r.code !== 0) { failed++; failures.push(`${j.p.label} ${JSON.stringify(j.p.values)} seed ${j.seed}: ${r.stderr.trim().split('\n').pop()}`); }
      bar.update(done, `${done}/${jobs.length} runs${failed ? `, ${failed} failed` : ''}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(spec.workers, jobs.length) }, worker));
  bar.done();
  const summary = summarizeSweep(dir, spec, points);
  writeJsonAtomic(join(dir, 'summary.json'), summary);
  console.log(formatSweepTable(summary));
  console.log(`\nsweep folder: ${dir}`);
  if (failures.length) { console.error(`\n${failures.length} run(s) failed:\n  ${failures.join('\n  ')}`); return 1; }
  return 0;
}

export interface SweepSummary {
  kind: 'sweep';
  keys: string[];
  rows: { label: string; values: Record<string, unknown>; methods: Record<string, { test_acc: Record<string, MeanStd> }>; gap_p_only: MeanStd }[];
}

export function summarizeSweep(dir: string, spec: SweepSpec, points: SweepPoint[]): SweepSummary {
  const rows = points.map((p) => {
    const pdir = join(dir, 'points', p.label);
    const sums = existsSync(pdir) ? readdirSync(pdir).filter((f) => f.startsWith('seed') && existsSync(join(pdir, f, 'summary.json')))
      .map((f) => readJson<SyntheticSummary>(join(pdir, f, 'summary.json'))) : [];
    const methods: Record<string, { test_acc: Record<string, MeanStd> }> = {};
    for (const m of spec.base.methods) {
      const acc: Record<string, MeanStd> = {};
      for (const s of ['p_only', 'q_only', 'both', 'all']) acc[s] = meanStd(sums.map((x) => x.methods[m]?.test_acc[s]?.mean));
      methods[m] = { test_acc: acc };
    }
    // per-seed gap of L-S over S on P-only test accuracy
    const gap = meanStd(sums.map((x) => {
      const a = x.methods['L-S']?.test_acc.p_only?.mean, b = x.methods['S']?.test_acc.p_only?.mean;
      return a != null && b != null ? a - b : null;
    }));
    return { label: p.label, values: p.values, methods, gap_p_only: gap };
  });
  return { kind: 'sweep', keys: spec.over.map(([k]) => k), rows };
}

export function formatSweepTable(s: SweepSummary): string {
  const methods = Object.keys(s.rows[0]?.methods ?? {});
  const head = [...s.keys, ...methods.map((m) => `${m} p_only`), ...methods.map((m) => `${m} q_only`), 'gap L-S−S p_only'];
  const rows = s.rows.map((r) => [
    ...s.keys.map((k) => JSON.stringify(r.values[k])),
    ...methods.map((m) => fmtMeanStd(r.methods[m]!.test_acc.p_only)),
    ...methods.map((m) => fmtMeanStd(r.methods[m]!.test_acc.q_only)),
    fmtMeanStd(r.gap_p_only),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i]!)).join('  ');
  return ['final test accuracy, mean ± std over seeds', line(head), line(w.map((x) => '-'.repeat(x))), ...rows.map(line)].join('\n');
}

export const sweepCommand: Command = {
  name: 'sweep',
  summary: 'a grid over config keys x seeds, in parallel worker processes, with one summary table',
  usage: USAGE,
  async run(argv) {
    const { values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: {
        over: { type: 'string', multiple: true }, preset: { type: 'string' }, config: { type: 'string' }, seeds: { type: 'string' },
        set: { type: 'string', multiple: true }, workers: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' }, quiet: { type: 'boolean' },
      },
    });
    if (!values.over?.length) throw new UsageError('give at least one --over key=v1,v2,...');
    const base = buildSyntheticConfig({ ...values, seeds: '1' });
    const seeds = values.seeds === undefined ? 1 : Number(values.seeds);
    if (!Number.isInteger(seeds) || seeds < 1) throw new UsageError(`--seeds must be a positive integer, got '${values.seeds}'`);
    const workers = values.workers === undefined ? availableParallelism() : Number(values.workers);
    if (!Number.isInteger(workers) || workers < 1) throw new UsageError(`--workers must be a positive integer, got '${values.workers}'`);
    const spec: SweepSpec = { base, over: parseOver(values.over), seeds, workers };
    gridPoints(spec.over).forEach((p) => pointConfig(base, p, base.seed)); // fail fast on bad keys/values
    const dir = createRunDir(values.out ?? defaultRunDir('sweep', base.preset), values.force ?? false);
    return runSweep(resolve(dir), spec, values.quiet ?? false);
  },
};
