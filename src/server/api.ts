// The dashboard's JSON API over the runs index and the run folders: the run list (filtered), one
// run's details and tables, and the chart specs for one run or several overlaid.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RunsIndex } from './runsIndex.js';
import { PathError, resolveInside } from './safePath.js';
import { loadRun, readRunConfig, methodNames, type RunConfig, type RunKind } from '../report/runData.js';
import { finalStats } from '../report/finals.js';
import { getExperiment } from '../experiments/registry.js';
import type { ChartSpec } from '../viz/charts.js';
import { getDotted } from '../experiments/configTools.js';
import { sweepOfRun } from '../runs/sweepFile.js';
import { relative, sep } from 'node:path';
import { readAppended } from './jsonlTail.js';
import { curveCharts, rowShape } from './curves.js';

/** The absolute folder of run `id` (a path relative to the runs folder); 404 unless it is a run folder inside it. */
export function runDir(root: string, id: string): string {
  const dir = resolveInside(root, id, 'dir');
  if (!existsSync(join(dir, 'config.json'))) throw new PathError(404, `no run '${id}'`);
  return dir;
}

export function listRuns(index: RunsIndex, q: URLSearchParams) {
  index.maybeSync();
  const num = (k: string) => (q.has(k) ? Number(q.get(k)) : undefined);
  const f = { kind: q.get('kind') || undefined, preset: q.get('preset') || undefined, status: q.get('status') || undefined, q: q.get('q') || undefined, limit: num('limit'), offset: num('offset') };
  if (f.limit !== undefined && !Number.isFinite(f.limit)) throw new PathError(400, "query 'limit' must be a number");
  if (f.offset !== undefined && !Number.isFinite(f.offset)) throw new PathError(400, "query 'offset' must be a number");
  const runs = index.list(f);
  // hyperparameter columns: the values of the config keys the page asks for (?param=train.eta1)
  const params = q.getAll('param').slice(0, 40);
  const configs = params.length ? index.configs(runs.map((r) => r.id)) : new Map<string, Record<string, unknown>>();
  const withInfo = runs.map((r) => {
    const sw = sweepOfRun(join(index.root, r.id));
    const cfg = configs.get(r.id);
    return {
      ...r, sweep: sw ? { id: relative(index.root, sw.dir).split(sep).join('/'), point: sw.label, seed: sw.seed } : null,
      params: Object.fromEntries(params.map((k) => [k, cfg ? getDotted(cfg, k) ?? null : null])),
    };
  });
  return { runs: withInfo, total: index.count(f), facets: index.facets(), errors: index.errors };
}

/** Every leaf key (dotted, array items by index) of the indexed configs, with how many runs have it, sorted. */
export function configKeys(index: RunsIndex, kind?: string) {
  index.maybeSync();
  const counts = new Map<string, number>();
  const walk = (v: unknown, at: string) => {
    if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) walk(x, at ? `${at}.${k}` : k);
    } else if (at) counts.set(at, (counts.get(at) ?? 0) + 1);
  };
  for (const cfg of index.configs().values()) if (!kind || cfg.kind === kind) walk(cfg, '');
  return { keys: [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, runs]) => ({ key, runs })) };
}

/** Training curves (losses, accuracies, lr and noise) of one run or an overlay, found in the first run's rows. */
export function curvesFor(root: string, ids: string[], perSeed: boolean): ChartsResponse {
  const base = chartsFor(root, ids);
  const rows = readAppended(join(runDir(root, ids[0]!), 'metrics.jsonl'), 0, 1, 256 * 1024).rows as Record<string, unknown>[];
  const clock = getExperiment(base.kind).view.clock;
  return { ...base, charts: curveCharts({ data: { name: 'rows' }, series: base.series }, rowShape(rows), clock, perSeed) };
}

export function runDetail(root: string, id: string) {
  const run = loadRun(runDir(root, id));
  const f = finalStats(run);
  const tables = run.experiment.view.tables(run.config, run.methods, f);
  return {
    id, kind: run.kind, preset: run.preset, methods: run.methods, config: run.config, status: run.status, summary: run.summary,
    facts: run.experiment.view.facts(run),
    warnings: run.warnings, rows: run.rows.length, tables, report: existsSync(join(run.dir, 'report.html')) ? `/files/${id.split('/').map(encodeURIComponent).join('/')}/report.html` : null,
  };
}

export interface ChartsResponse {
  kind: RunKind;
  /** Per run: its id and the prefix of its series names ('' for a single run, 'label · ' in an overlay). */
  runs: { id: string; prefix: string }[];
  series: string[];
  charts: ChartSpec[];
}

/** Chart specs (data named 'rows', filled by the page) for one run or several of one kind overlaid. */
export function chartsFor(root: string, ids: string[]): ChartsResponse {
  if (ids.length === 0) throw new PathError(400, "give one or more runs (?run=ID&run=ID)");
  if (ids.length > 12) throw new PathError(400, 'at most 12 runs can be overlaid');
  const configs: RunConfig[] = ids.map((id) => readRunConfig(runDir(root, id), id));
  const kinds = new Set(configs.map((c) => c.kind));
  if (kinds.size > 1) throw new PathError(400, `cannot overlay runs of different kinds (${[...kinds].join(', ')}) on one chart`);
  const kind = configs[0]!.kind;
  const labels = ids.map((id) => id.split('/').pop()!);
  const prefix = ids.map((id, i) => (ids.length === 1 ? '' : `${labels.filter((l) => l === labels[i]).length > 1 ? id : labels[i]} · `));
  const series = configs.flatMap((c, i) => methodNames(c).map((m) => prefix[i] + m));
  const charts = getExperiment(kind).view.charts({ data: { name: 'rows' }, series }, configs, (ri, m) => prefix[ri] + m);
  return { kind, runs: ids.map((id, i) => ({ id, prefix: prefix[i]! })), series, charts };
}
