// `lrlab report`: one self-contained report.html for one or more run folders, with the paper's
// figures (rendered to SVG in Node with Vega-Lite, also written as files next to the report) and
// tables (ours beside the paper's numbers where the preset corresponds to one of the paper's).
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { loadRun, RunFolderError, type RunData } from './runData.js';
import { clockOf, finalStats } from './finals.js';
import { renderSvg } from './render.js';
import { reportHtml, type Figure, type Section } from './html.js';
import { CODE_VERSION } from '../util/version.js';
import { readSweepFile, sweepOfRun } from '../runs/sweepFile.js';
import { sweepCharts, sweepHtmlTable, sweepTable, partsLine, valueCell, type SweepTable } from './sweepTable.js';

export interface ReportResult { html: string; svgs: string[]; warnings: string[] }

/** A file-name-safe form of a run's name. */
export function slug(s: string): string {
  return s.toLowerCase().replace(/\+/g, 'plus').replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'run';
}

function seedsOf(run: RunData): number[] {
  if (run.summary?.seeds?.length) return run.summary.seeds;
  const base = Number(run.config.seed ?? 0);
  return Array.from({ length: Number(run.config.seeds ?? 1) }, (_, i) => base + i);
}

function facts(run: RunData): [string, string][] {
  const clock = clockOf(run.experiment);
  const last = run.rows.reduce((a, r) => Math.max(a, clock(r)), 0);
  return [
    ['folder', run.dir], ['kind', run.kind], ['preset', run.preset], ['status', run.status.state + (run.status.updated ? ` (updated ${run.status.updated})` : '')],
    ['seeds', seedsOf(run).join(', ')], ['metrics rows', `${run.rows.length} (up to ${run.experiment.view.clock} ${last})`],
    ...run.experiment.view.facts(run),
  ];
}

/** The swept values of a sweep's run ('train.eta1 = 0.01'), or '' for a run of no sweep. */
function pointOf(run: RunData): string {
  const sw = sweepOfRun(run.dir);
  const p = sw ? readSweepFile(sw.dir)?.points.find((x) => x.label === sw.label) : undefined;
  return p ? Object.entries(p.values).map(([k, v]) => `${k} = ${valueCell(v)}`).join(', ') : '';
}

async function figuresOf(charts: { id: string; title: string; caption: string; spec: Record<string, unknown> }[], id: string, outDir: string, svgs: string[]): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const c of charts) {
    const svg = await renderSvg(c.spec);
    const file = join(outDir, `${id}-${c.id}.svg`);
    writeFileSync(file, svg);
    svgs.push(file);
    figures.push({ title: c.title, caption: c.caption, svg, file: basename(file) });
  }
  return figures;
}

/** A sweep's section: the swept keys named, the table of grid points, the gap (and per-method) plots. */
async function sweepSection(t: SweepTable, id: string, outDir: string, svgs: string[]): Promise<Section> {
  const axes = t.axes.map((a) => `${a.key}: ${a.kind === 'list' ? a.values.map(valueCell).join(', ') : `${a.kind}:${a.a}:${a.b}${a.n === null ? '' : `:${a.n}`}`}`);
  const finished = t.rows.reduce((n, r) => n + r.runs, 0), planned = t.rows.reduce((n, r) => n + r.seeds, 0);
  const facts: [string, string][] = [
    ['folder', t.dir], ['experiment', `${t.experiment} '${t.preset}'`], ['status', t.state],
    ['swept', axes.join('; ')], ['grid', t.sample ? `random search: ${t.sample.n} points drawn with seed ${t.sample.seed}` : `${t.rows.length} point(s)`],
    ['seeds', t.seeds.join(', ')], ['runs finished', `${finished} of ${planned}`], ['parts', partsLine(t.parts)], ['gap', t.gapLabel],
  ];
  const warnings = finished < planned ? [`${planned - finished} of ${planned} point runs have not finished: their points have fewer seeds (or none)`] : [];
  return { id, title: `${t.name}: sweep over ${t.keys.join(' × ')} (${t.experiment})`, facts, warnings, tables: [sweepHtmlTable(t)], figures: await figuresOf(sweepCharts(t), id, outDir, svgs) };
}

async function section(run: RunData, id: string, outDir: string, svgs: string[]): Promise<Section> {
  const rows = run.rows.map((r) => ({ ...r, series: r.method }));
  const seriesNames = [...run.methods, ...new Set(run.rows.map((r) => r.method).filter((m) => !run.methods.includes(m)))];
  const charts = run.experiment.view.charts({ data: { values: rows }, series: seriesNames }, [run.config], (_, m) => m);
  const figures = await figuresOf(charts, id, outDir, svgs);
  const tables = run.experiment.view.tables(run.config, seriesNames, finalStats(run));
  const warnings = run.warnings.map((w) => `${w}`);
  if (run.rows.length === 0) warnings.push('metrics.jsonl has no rows yet: the figures are empty');
  const point = pointOf(run);
  return { id, title: `${run.name}${point ? ` (${point})` : ''}: ${run.kind} '${run.preset}'`, facts: facts(run), warnings, tables, figures };
}

/**
 * Write the report for `dirs` to `out` (an HTML file; the SVGs go next to it). Every folder is read
 * before anything is written; a missing or foreign folder throws RunFolderError. Broken metrics
 * lines are skipped and passed to `warn` as '<dir>/metrics.jsonl line N is not valid JSON; skipped'.
 * Sweeps lead: each sweep that `sweeps` names or that a run of `dirs` belongs to gets a section with
 * its table and plots before the runs' sections.
 */
export async function writeReport(dirs: string[], out: string, warn: (msg: string) => void = () => {}, o: { sweeps?: string[] } = {}): Promise<ReportResult> {
  const runs = dirs.map((d) => loadRun(d));
  const sweepDirs = [...new Set([...(o.sweeps ?? []).map((d) => resolve(d)), ...runs.flatMap((r) => { const s = sweepOfRun(r.dir); return s ? [s.dir] : []; })])];
  const warnings: string[] = [];
  // a sweep whose sweep.json is unreadable still has its runs reported, without the sweep's table
  const sweeps = sweepDirs.flatMap((d) => {
    try { return [sweepTable(d)]; } catch (e) {
      if (!(e instanceof RunFolderError)) throw e;
      const msg = `${d}: no sweep table (${e.message})`; warnings.push(msg); warn(msg); return [];
    }
  });
  runs.forEach((r, i) => r.warnings.forEach((w) => { const msg = `${dirs[i]}: ${w}`; warnings.push(msg); warn(msg); }));
  const outFile = resolve(out);
  const outDir = dirname(outFile);
  mkdirSync(outDir, { recursive: true });
  const used = new Map<string, number>();
  const svgs: string[] = [];
  const sections: Section[] = [];
  const uniqueId = (name: string) => {
    const id = slug(name);
    const k = (used.get(id) ?? 0) + 1;
    used.set(id, k);
    return k > 1 ? `${id}-${k}` : id;
  };
  for (const t of sweeps) sections.push(await sweepSection(t, uniqueId(`sweep-${t.name}`), outDir, svgs));
  for (const run of runs) sections.push(await section(run, uniqueId(run.name), outDir, svgs));
  const title = sweeps.length === 1 ? `lrlab report: sweep ${sweeps[0]!.name} over ${sweeps[0]!.keys.join(' × ')}`
    : runs.length === 1 ? `lrlab report: ${runs[0]!.name}` : `lrlab report: ${sweeps.length ? `${sweeps.length} sweeps, ` : ''}${runs.length} runs`;
  const footer = `Generated ${new Date().toISOString()} by lrlab ${CODE_VERSION} from ${runs.map((r) => relative(outDir, r.dir) || '.').join(', ')}.`;
  writeFileSync(outFile, reportHtml(title, sections, footer));
  return { html: outFile, svgs, warnings };
}
