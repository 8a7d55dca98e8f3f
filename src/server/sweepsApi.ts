// The dashboard's sweeps and downloads: the sweep folders of the runs folder (found through the
// runs of their points), a sweep's table (one row per grid point: swept values, each method's
// mean ± std, the headline gap) and gap-vs-parameter charts (report/sweepTable.ts), and the export
// of selected runs or a sweep as one tidy table (report/export.ts: csv, parquet, jsonl).
import { join, relative, sep } from 'node:path';
import type { RunsIndex } from './runsIndex.js';
import { PathError, resolveInside } from './safePath.js';
import { runDir } from './api.js';
import { sweepOfRun, isSweepDir } from '../runs/sweepFile.js';
import { sweepCharts, sweepHtmlTable, sweepTable, valueCell } from '../report/sweepTable.js';
import { EXPORT_FORMATS, EXPORT_MIME, exportRuns, type ExportFormat } from '../report/export.js';

const rel = (root: string, abs: string) => relative(root, abs).split(sep).join('/');

/** The sweeps whose point runs are in the index: id, kind, swept keys, points, seeds, state. */
export function listSweeps(index: RunsIndex) {
  index.maybeSync();
  const dirs = new Map<string, string>();
  for (const r of index.list({ limit: 10000 })) {
    const sw = sweepOfRun(join(index.root, r.id));
    if (sw) dirs.set(rel(index.root, sw.dir), sw.dir);
  }
  const sweeps = [...dirs.entries()].sort(([a], [b]) => a.localeCompare(b)).flatMap(([id, dir]) => {
    try {
      const t = sweepTable(dir);
      return [{ id, experiment: t.experiment, preset: t.preset, keys: t.keys, points: t.rows.length, seeds: t.seeds.length, finished: t.rows.reduce((n, r) => n + r.runs, 0), state: t.state, gapLabel: t.gapLabel }];
    } catch { return []; }
  });
  return { sweeps };
}

/** One sweep: its table (as the report's), its rows with their run ids, and its chart specs (data inline). */
export function sweepDetail(root: string, id: string) {
  const dir = resolveInside(root, id, 'dir');
  if (!isSweepDir(dir)) throw new PathError(404, `no sweep '${id}'`);
  const t = sweepTable(dir);
  return {
    id, experiment: t.experiment, preset: t.preset, keys: t.keys, methods: t.methods, state: t.state, gapLabel: t.gapLabel, parts: t.parts,
    table: sweepHtmlTable(t),
    points: t.rows.map((r) => ({ label: r.label, values: Object.fromEntries(t.keys.map((k) => [k, valueCell(r.values[k])])), runs: r.dirs.map((d) => rel(root, d)), gap: r.gap })),
    charts: sweepCharts(t),
  };
}

/** GET /api/export?run=ID&...&format=csv: the selected run folders (or sweep folders) as one file. */
export function exportDownload(root: string, q: URLSearchParams): { bytes: Uint8Array; type: string; filename: string; rows: number } {
  const format = (q.get('format') ?? 'csv') as ExportFormat;
  if (!EXPORT_FORMATS.includes(format)) throw new PathError(400, `query 'format' must be one of ${EXPORT_FORMATS.join(', ')}, got '${format}'`);
  const ids = [...q.getAll('run'), ...q.getAll('sweep')];
  if (ids.length === 0) throw new PathError(400, 'give one or more runs or sweeps (?run=ID&sweep=ID)');
  if (ids.length > 500) throw new PathError(400, 'at most 500 runs can be exported at once');
  const dirs = [
    ...q.getAll('run').map((id) => runDir(root, id)),
    ...q.getAll('sweep').map((id) => { const d = resolveInside(root, id, 'dir'); if (!isSweepDir(d)) throw new PathError(404, `no sweep '${id}'`); return d; }),
  ];
  const e = exportRuns(dirs, format);
  const name = ids.length === 1 ? ids[0]!.split('/').filter(Boolean).join('-').replace(/[^A-Za-z0-9._-]/g, '_') : 'lrlab-export';
  return { bytes: e.bytes, type: EXPORT_MIME[format], filename: `${name}.${format}`, rows: e.rows };
}
