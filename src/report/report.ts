// `lrlab report`: one self-contained report.html for one or more run folders, with the paper's
// figures (rendered to SVG in Node with Vega-Lite, also written as files next to the report) and
// tables (ours beside the paper's numbers where the preset corresponds to one of the paper's).
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { loadRun, type RunData } from './runData.js';
import { clockOf, finalStats } from './finals.js';
import { renderSvg } from './render.js';
import { reportHtml, type Figure, type Section } from './html.js';
import { CODE_VERSION } from '../util/version.js';

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

async function section(run: RunData, id: string, outDir: string, svgs: string[]): Promise<Section> {
  const rows = run.rows.map((r) => ({ ...r, series: r.method }));
  const seriesNames = [...run.methods, ...new Set(run.rows.map((r) => r.method).filter((m) => !run.methods.includes(m)))];
  const charts = run.experiment.view.charts({ data: { values: rows }, series: seriesNames }, [run.config], (_, m) => m);
  const figures: Figure[] = [];
  for (const c of charts) {
    const svg = await renderSvg(c.spec);
    const file = join(outDir, `${id}-${c.id}.svg`);
    writeFileSync(file, svg);
    svgs.push(file);
    figures.push({ title: c.title, caption: c.caption, svg, file: basename(file) });
  }
  const tables = run.experiment.view.tables(run.config, seriesNames, finalStats(run));
  const warnings = run.warnings.map((w) => `${w}`);
  if (run.rows.length === 0) warnings.push('metrics.jsonl has no rows yet: the figures are empty');
  return { id, title: `${run.name}: ${run.kind} '${run.preset}'`, facts: facts(run), warnings, tables, figures };
}

/**
 * Write the report for `dirs` to `out` (an HTML file; the SVGs go next to it). Every folder is read
 * before anything is written; a missing or foreign folder throws RunFolderError. Broken metrics
 * lines are skipped and passed to `warn` as '<dir>/metrics.jsonl line N is not valid JSON; skipped'.
 */
export async function writeReport(dirs: string[], out: string, warn: (msg: string) => void = () => {}): Promise<ReportResult> {
  const runs = dirs.map((d) => loadRun(d));
  const warnings: string[] = [];
  runs.forEach((r, i) => r.warnings.forEach((w) => { const msg = `${dirs[i]}: ${w}`; warnings.push(msg); warn(msg); }));
  const outFile = resolve(out);
  const outDir = dirname(outFile);
  mkdirSync(outDir, { recursive: true });
  const used = new Map<string, number>();
  const svgs: string[] = [];
  const sections: Section[] = [];
  for (const run of runs) {
    let id = slug(run.name);
    const k = (used.get(id) ?? 0) + 1;
    used.set(id, k);
    if (k > 1) id = `${id}-${k}`;
    sections.push(await section(run, id, outDir, svgs));
  }
  const title = runs.length === 1 ? `lrlab report: ${runs[0]!.name}` : `lrlab report: ${runs.length} runs`;
  const footer = `Generated ${new Date().toISOString()} by lrlab ${CODE_VERSION} from ${runs.map((r) => relative(outDir, r.dir) || '.').join(', ')}.`;
  writeFileSync(outFile, reportHtml(title, sections, footer));
  return { html: outFile, svgs, warnings };
}
