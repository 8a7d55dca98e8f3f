// `lrlab report`: one self-contained report.html for one or more run folders, with the paper's
// figures (rendered to SVG in Node with Vega-Lite, also written as files next to the report) and
// tables (ours beside the paper's numbers where the preset corresponds to one of the paper's).
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { loadRun, type RunData } from './runData.js';
import { finalStats } from './finals.js';
import { imageAnnealMarks, syntheticAnnealSteps } from './annealing.js';
import { imageCharts, syntheticCharts } from './specs.js';
import { renderSvg } from './render.js';
import { imageDetailTable, imageMainTable, syntheticTable, type Table } from './tables.js';
import { reportHtml, type Figure, type Section } from './html.js';
import { CODE_VERSION } from '../util/version.js';

export interface ReportResult { html: string; svgs: string[]; warnings: string[] }

/** A file-name-safe form of a run's name. */
export function slug(s: string): string {
  return s.toLowerCase().replace(/\+/g, 'plus').replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'run';
}

/** A short description of an lr or noise schedule ('0.1, x0.04 at epoch 30'). */
export function describeSchedule(s: unknown): string {
  const o = (s ?? {}) as Record<string, unknown>;
  const v = o.lr ?? o.std ?? o.lr1;
  switch (o.kind) {
    case 'off': return 'off';
    case 'constant': return `${v} constant`;
    case 'step': return `${v}, x${o.factor} at ${o.unit} ${(o.at as number[]).join(', ')}`;
    case 'multistep': return `${v}, x${o.gamma} at ${o.unit ?? 'epoch'} ${(o.milestones as number[]).join(', ')}`;
    case 'cosine': return `${v}, cosine over ${o.total} ${o.unit ?? 'epoch'}s`;
    case 'exponential': return `${v}, x${o.rate} per ${o.every}`;
    case 'annealAtLoss': return `${o.lr1} until loss < ${o.threshold}, then ${o.lr2}`;
    default: return JSON.stringify(s);
  }
}

function seedsOf(run: RunData): number[] {
  if (run.summary?.seeds?.length) return run.summary.seeds;
  const base = Number(run.config.seed ?? 0);
  return Array.from({ length: Number(run.config.seeds ?? 1) }, (_, i) => base + i);
}

function facts(run: RunData): [string, string][] {
  const c = run.config;
  const last = run.rows.reduce((a, r) => Math.max(a, run.kind === 'images' ? (r.epoch ?? 0) : r.step), 0);
  const out: [string, string][] = [
    ['folder', run.dir], ['kind', run.kind], ['preset', run.preset], ['status', run.status.state + (run.status.updated ? ` (updated ${run.status.updated})` : '')],
    ['seeds', seedsOf(run).join(', ')], ['metrics rows', `${run.rows.length} (up to ${run.kind === 'images' ? 'epoch' : 'step'} ${last})`],
  ];
  if (run.kind === 'images') {
    const model = (c.model ?? {}) as Record<string, unknown>;
    out.push(['data set', `${c.dataset?.name ?? '?'}`], ['model', String(model.arch ?? '?')]);
    out.push(['patch', c.patch?.enabled === false ? 'none' : `${run.summary?.patchMode ?? c.patch?.mode ?? '?'} (the patch ${(run.summary?.patchMode ?? c.patch?.mode) === 'add' ? 'is added to' : 'replaces'} the centre pixels)`]);
    const recal = run.summary?.recalibratedBn ?? (c.train as { recalibrateBn?: boolean } | undefined)?.recalibrateBn;
    if (recal !== undefined) out.push(['BatchNorm statistics', recal ? 'recalibrated before each evaluation' : 'running averages']);
    for (const m of c.methods) if (typeof m !== 'string') out.push([m.name, `lr ${describeSchedule(m.lr)}; noise ${describeSchedule(m.noise)}; trains on ${m.subset ?? '?'}`]);
  } else {
    const t = (c.train ?? {}) as Record<string, unknown>;
    if (t.eta1 !== undefined) out.push(['learning rates', `large ${t.eta1}, small ${t.eta2}; ${t.update ?? ''}`]);
    const ann = syntheticAnnealSteps(run.rows);
    if (Object.keys(ann).length) out.push(['annealed at step (mean over seeds)', Object.entries(ann).map(([m, s]) => `${m} ${Math.round(s)}`).join(', ')]);
  }
  return out;
}

async function section(run: RunData, id: string, outDir: string, svgs: string[]): Promise<Section> {
  const rows = run.rows.map((r) => ({ ...r, series: r.method }));
  const seriesNames = [...run.methods, ...new Set(run.rows.map((r) => r.method).filter((m) => !run.methods.includes(m)))];
  const charts = run.kind === 'images'
    ? imageCharts({ data: { values: rows }, series: seriesNames, anneal: imageAnnealMarks([run], (_, m) => m) })
    : syntheticCharts({ data: { values: rows }, series: seriesNames });
  const figures: Figure[] = [];
  for (const c of charts) {
    const svg = await renderSvg(c.spec);
    const file = join(outDir, `${id}-${c.id}.svg`);
    writeFileSync(file, svg);
    svgs.push(file);
    figures.push({ title: c.title, caption: c.caption, svg, file: basename(file) });
  }
  const f = finalStats(run);
  const tables: Table[] = run.kind === 'images'
    ? [imageMainTable(run.config, seriesNames, f), imageDetailTable(seriesNames, f, run.config.patch?.enabled !== false)]
    : [syntheticTable(seriesNames, f)];
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
