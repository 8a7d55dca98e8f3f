// A sweep as a result: one row per grid point (the swept values, each method's final numbers as
// mean ± std over the point's seeds, the headline gap between two methods with its std and seed
// count), read from the sweep folder (sweep.json + each point's run folders, points/<p>/seed<i>).
// Pure functions over the folder: the report, the terminal table at the end of `lrlab sweep`, the
// sweep's summary.json and the dashboard all use them. The columns and the gap come from the kind's
// sweep view (Experiment.sweep).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { readSweepFile, pointRunDir, type Axis, type SweepFile } from '../runs/sweepFile.js';
import { parseOrNull, partFileSchema, summaryEnvelopeSchema, type SummaryEnvelope } from '../runs/format.js';
import { experimentOf, findExperiment } from '../experiments/registry.js';
import type { BaseConfig, LooseConfig } from '../experiments/experiment.js';
import { fmtMeanStd, fmtProportion, meanStd, wilson, type MeanStd } from '../util/stats.js';
import { alignedTable } from '../util/textTable.js';
import type { Table } from '../viz/table.js';
import { readRunStatus, RunFolderError, type RunState } from './runData.js';

export interface SweepRow {
  /** The point's label (p000, ...) and the value of each swept key. */
  label: string;
  values: Record<string, unknown>;
  /** Seeds planned, and seeds whose run finished (behind every mean here). */
  seeds: number;
  runs: number;
  /** method -> sweep column ('p_only', 'clean_last5', ...) -> mean ± std over the finished seeds. */
  methods: Record<string, Record<string, MeanStd>>;
  /** first − second method on the gap column, per seed, then mean ± std (n: seeds with both values). */
  gap: MeanStd;
  /** The point's run folders that exist (absolute). */
  dirs: string[];
}

export interface SweepTable {
  kind: 'sweep';
  /** Absolute path and folder name of the sweep. */
  dir: string;
  name: string;
  experiment: string;
  preset: string;
  /** The swept config keys, in --over order, and the axes as written (lin/log ranges, lists). */
  keys: string[];
  axes: Axis[];
  /** A random search (n points drawn with a seed), or null for a grid. */
  sample: { n: number; seed: number } | null;
  seeds: number[];
  methods: string[];
  /** The kind's sweep columns per method, those shown in the table, and what they measure ('test', 'validation'). */
  columns: string[];
  shown: string[];
  /** The columns that are per-seed yes/no answers (shown as counts with an interval), with their labels. */
  fractions: Record<string, string>;
  what: string;
  gap: { first: string | null; second: string | null; column: string };
  /** "L-S − S p_only": what `gap` measures. */
  gapLabel: string;
  /** The kind's notes on its columns (SweepView.notes). */
  notes: string[];
  rows: SweepRow[];
  state: RunState;
  /** Parts trained and parts reused from earlier runs, over the sweep's finished point runs. */
  parts: { run: number; reused: number };
}

/** The axes of a sweep file: as written when recorded, else lists from its grid. */
function axesOf(f: SweepFile): Axis[] {
  return f.spec.axes ?? f.spec.over.map(([key, values]) => ({ key, kind: 'list' as const, values }));
}

/** Read a sweep folder into its table; throws RunFolderError when `dir` is not a sweep folder. */
export function sweepTable(dir: string): SweepTable {
  const abs = resolve(dir);
  const f = readSweepFile(abs);
  if (!f) throw new RunFolderError(`${dir} is not an lrlab sweep folder (no readable sweep.json)`);
  const exp = findExperiment(f.spec.base.kind);
  if (!exp) throw new RunFolderError(`${dir}/sweep.json: unknown experiment kind ${JSON.stringify(f.spec.base.kind)}`);
  const sv = exp.sweep;
  const base = f.spec.base as unknown as BaseConfig;
  const seeds = Array.from({ length: f.spec.seeds }, (_, i) => base.seed + i);
  let methods: string[];
  try { methods = experimentOf(base).methods(base); } catch { methods = exp.view.methodNames(f.spec.base as unknown as LooseConfig); }
  const first = sv.gap.first ?? methods[0] ?? null, second = sv.gap.second ?? methods[1] ?? null;
  const parts = { run: 0, reused: 0 };
  const extra = new Set<string>();
  const rows: SweepRow[] = f.points.map((p) => {
    const dirs = seeds.map((s) => pointRunDir(abs, p.label, s)).filter((d) => existsSync(d));
    const finals = dirs.flatMap((d) => {
      const s = readSummary(d);
      if (!s) return [];
      countParts(d, parts);
      return [sv.finals(s)];
    });
    for (const x of finals) for (const m of Object.keys(x)) if (!methods.includes(m)) extra.add(m);
    const all = [...methods, ...extra];
    const ms: SweepRow['methods'] = {};
    for (const m of all) ms[m] = Object.fromEntries(sv.columns.map((c) => [c, meanStd(finals.map((x) => x[m]?.[c]))]));
    const gap = meanStd(finals.map((x) => {
      const a = first ? x[first]?.[sv.gap.column] : null, b = second ? x[second]?.[sv.gap.column] : null;
      return a != null && b != null ? a - b : null;
    }));
    return { label: p.label, values: p.values, seeds: seeds.length, runs: finals.length, methods: ms, gap, dirs };
  });
  return {
    kind: 'sweep', dir: abs, name: basename(abs), experiment: exp.kind, preset: String(base.preset ?? 'custom'),
    keys: f.spec.over.map(([k]) => k), axes: axesOf(f), sample: f.spec.sample ?? null, seeds, methods: [...methods, ...extra],
    columns: sv.columns, shown: sv.shown, fractions: sv.fractions ?? {}, what: sv.what, gap: { first, second, column: sv.gap.column },
    gapLabel: `${first ?? '?'} − ${second ?? '?'} ${sv.gap.column}`, notes: sv.notes ?? [], rows, state: readRunStatus(abs).state, parts,
  };
}

function readSummary(runDir: string): SummaryEnvelope | null {
  const p = join(runDir, 'summary.json');
  if (!existsSync(p)) return null;
  try { return parseOrNull(summaryEnvelopeSchema, JSON.parse(readFileSync(p, 'utf8'))); } catch { return null; }
}

/** Count a finished run's parts: reused (their part file says where from) or trained. */
function countParts(runDir: string, acc: { run: number; reused: number }): void {
  const d = join(runDir, 'parts');
  if (!existsSync(d)) return;
  for (const f of readdirSync(d).filter((x) => x.endsWith('.json'))) {
    let v: unknown;
    try { v = JSON.parse(readFileSync(join(d, f), 'utf8')); } catch { continue; }
    if (!parseOrNull(partFileSchema, v)) continue;
    if ((v as { reusedFrom?: unknown }).reusedFrom) acc.reused++; else acc.run++;
  }
}

/** What the sweep's summary.json holds: the table without the folder's own path and state. */
export function sweepSummary(t: SweepTable): Omit<SweepTable, 'dir' | 'name' | 'state' | 'rows'> & { rows: Omit<SweepRow, 'dirs'>[] } {
  const { dir: _d, name: _n, state: _s, rows, ...rest } = t;
  return { ...rest, rows: rows.map(({ dirs: _x, ...r }) => r) };
}

/** A swept value as a table cell: numbers and strings as they are, anything else as JSON. */
export const valueCell = (v: unknown) => (typeof v === 'number' || typeof v === 'string' ? String(v) : JSON.stringify(v));

/** "3/3" seeds finished, or "2/3". */
const seedsCell = (r: SweepRow) => `${r.runs}/${r.seeds}`;

/** The header and rows the terminal and the HTML table share. */
function cells(t: SweepTable): { head: string[]; rows: string[][] } {
  const { fractions } = t;
  const label = (c: string) => fractions[c] ?? c;
  // a yes/no column: the seeds that said yes of those that answered, with its 95% Wilson interval
  const cell = (v: MeanStd | undefined, c: string) => {
    if (!Object.hasOwn(fractions, c)) return fmtMeanStd(v);
    if (!v || v.mean === null || v.n === 0) return '-';
    return fmtProportion(wilson(Math.round(v.mean * v.n), v.n));
  };
  const head = ['point', ...t.keys, ...t.shown.flatMap((c) => t.methods.map((m) => `${m} ${label(c)}`)), `gap ${t.gapLabel}`, 'seeds'];
  const rows = t.rows.map((r) => [
    r.label, ...t.keys.map((k) => valueCell(r.values[k])),
    ...t.shown.flatMap((c) => t.methods.map((m) => cell(r.methods[m]?.[c], c))),
    fmtMeanStd(r.gap), seedsCell(r),
  ]);
  return { head, rows };
}

/** The sweep table for the terminal, with a line on reused parts. */
export function sweepText(t: SweepTable): string {
  const { head, rows } = cells(t);
  const lines = [`sweep over ${t.keys.join(' × ')}: final ${t.what} accuracy, mean ± std over seeds${fractionNote(t)}`, ...alignedTable(head, rows), ...t.notes];
  return lines.join('\n');
}

/** What the yes/no columns show, for the captions ('' when the kind has none shown). */
function fractionNote(t: SweepTable): string {
  const f = t.shown.filter((c) => Object.hasOwn(t.fractions, c)).map((c) => t.fractions[c]);
  return f.length ? `; ${f.join(', ')}: the fraction of seeds [95% Wilson interval] (count), of the seeds that did not diverge` : '';
}

/** "3 parts run, 6 reused (copied ...)". */
export const partsLine = (p: { run: number; reused: number }) =>
  `${p.run} part${p.run === 1 ? '' : 's'} run, ${p.reused} reused (copied from finished parts with the same part identity)`;

/** The sweep table for the report (viz Table: the point label heads each row). */
export function sweepHtmlTable(t: SweepTable): Table {
  const { head, rows } = cells(t);
  const gapNote = `gap: ${t.gapLabel}, per seed, then mean ± std over the seeds where both methods finished; seeds: finished / planned.`;
  return {
    caption: `Sweep over ${t.keys.join(' × ')}${t.sample ? ` (random search: ${t.sample.n} points, seed ${t.sample.seed})` : ''}: final ${t.what} accuracy per method, mean ± std over seeds${fractionNote(t)}`,
    header: head, paperCols: [], rows, notes: [gapNote, ...t.notes, partsLine(t.parts) + '.'],
  };
}

export { sweepCharts } from './sweepCharts.js';
