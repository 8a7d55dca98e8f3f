// Export: the metrics rows of every run under some folders as one tidy table that pandas, polars
// or R read as it is. Long form (default): one row per recorded value (run, point, the point's swept
// values, method, seed, step, epoch, metric, value), where a metric is a number in a metrics.jsonl
// row, nested groups flattened to 'group.key' ('val_acc.clean'), booleans as 1/0. Wide form: one row
// per evaluation, one column per metric. As CSV, Parquet (hyparquet-writer) or JSON lines.
import { join, relative, resolve, sep, dirname } from 'node:path';
import { existsSync } from 'node:fs';
import { parquetWriteBuffer, type ColumnSource } from 'hyparquet-writer';
import { readJsonl } from '../runs/runFolder.js';
import { readSweepFile, sweepOfRun } from '../runs/sweepFile.js';
import { checkRunDir, expandRunDirs, isMetricsRow, RunFolderError } from './runData.js';

export const EXPORT_FORMATS = ['csv', 'parquet', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** A table by columns: names in order, and each column's values (one per row). */
export interface TidyTable { columns: string[]; data: Record<string, (string | number | null)[]>; rows: number; warnings: string[] }

/** The keys of a metrics row that say which evaluation it is, not what was measured. */
const ID_KEYS = new Set(['method', 'seed', 'step', 'epoch', 'series']);

/**
 * The recorded values of a metrics row: [metric, value] for every number, boolean (1/0) or null leaf.
 * Arrays are per-example samples (an image run's final order_sample: example indices and the epochs
 * they were learned at), not measurements: they stay in the run folder (metrics.jsonl, the report's
 * heatmap) and are left out of the table.
 */
export function rowValues(row: Record<string, unknown>): [string, number | null][] {
  const out: [string, number | null][] = [];
  const walk = (prefix: string, v: unknown) => {
    if (typeof v === 'number') out.push([prefix, Number.isFinite(v) ? v : null]);
    else if (typeof v === 'boolean') out.push([prefix, v ? 1 : 0]);
    else if (v === null) out.push([prefix, null]);
    else if (Array.isArray(v)) return;
    else if (typeof v === 'object') for (const [k, w] of Object.entries(v as Record<string, unknown>)) walk(`${prefix}.${k}`, w);
  };
  for (const [k, v] of Object.entries(row)) if (!ID_KEYS.has(k)) walk(k, v);
  return out;
}

/** The longest common folder of some absolute paths. */
function commonDir(paths: string[]): string {
  if (paths.length === 0) return process.cwd();
  const split = paths.map((p) => p.split(sep));
  const out: string[] = [];
  for (let i = 0; split.every((s) => i < s.length && s[i] === split[0]![i]); i++) out.push(split[0]![i]!);
  return out.join(sep) || sep;
}

interface RunInfo { id: string; dir: string; point: string | null; values: Record<string, unknown> }

/** The run folders under `dirs` (a run, a sweep, a folder of runs), named relative to the folder that holds them all. */
export function exportedRuns(dirs: string[]): RunInfo[] {
  if (dirs.length === 0) throw new RunFolderError('give at least one run folder');
  for (const d of dirs) if (!existsSync(d)) throw new RunFolderError(`${d} does not exist`);
  const runs = expandRunDirs(dirs).map((d) => checkRunDir(d));
  const bases = dirs.map((d) => (existsSync(join(d, 'config.json')) ? dirname(resolve(d)) : resolve(d)));
  const root = commonDir(bases);
  return runs.map((dir) => {
    const sw = sweepOfRun(dir);
    const point = sw ? readSweepFile(sw.dir)?.points.find((p) => p.label === sw.label) : undefined;
    return { id: relative(root, dir).split(sep).join('/') || '.', dir, point: sw?.label ?? null, values: point?.values ?? {} };
  });
}

const swept = (v: unknown): string | number | null => (v === undefined || v === null ? null : typeof v === 'number' || typeof v === 'string' ? v : JSON.stringify(v));

/**
 * The tidy table of the runs under `dirs`. Long: one row per recorded value; wide: one row per
 * evaluation (metrics row) and a column per metric. Lines of metrics.jsonl that do not parse are
 * skipped and named in `warnings`.
 */
export function tidyTable(dirs: string[], o: { wide?: boolean } = {}): TidyTable {
  const runs = exportedRuns(dirs);
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.values)))];
  const idCols = ['run', 'point', ...keys, 'method', 'seed', 'step', 'epoch'];
  const data: TidyTable['data'] = Object.fromEntries(idCols.map((c) => [c, []]));
  const warnings: string[] = [];
  const metricCols: string[] = [];
  let rows = 0;
  const push = (c: string, v: string | number | null) => {
    let col = data[c];
    if (!col) { col = data[c] = Array<string | number | null>(rows).fill(null); metricCols.push(c); }
    col[rows] = v;
  };
  for (const run of runs) {
    const { rows: raw, bad } = readJsonl<unknown>(join(run.dir, 'metrics.jsonl'));
    for (const b of bad) warnings.push(`${run.id}/metrics.jsonl line ${b.line} is not valid JSON; skipped`);
    for (const r of raw) {
      if (!isMetricsRow(r)) continue;
      const ids = (): [string, string | number | null][] => [['run', run.id], ['point', run.point], ...keys.map((k): [string, string | number | null] => [k, swept(run.values[k])]),
        ['method', r.method], ['seed', r.seed], ['step', r.step], ['epoch', typeof r.epoch === 'number' ? r.epoch : null]];
      const vals = rowValues(r);
      if (o.wide) {
        for (const [c, v] of ids()) data[c]![rows] = v;
        for (const [m, v] of vals) push(m, v);
        rows++;
        for (const c of metricCols) if (data[c]!.length < rows) data[c]!.push(null);
      } else {
        for (const [m, v] of vals) {
          for (const [c, x] of ids()) data[c]![rows] = x;
          (data.metric ??= [])[rows] = m;
          (data.value ??= [])[rows] = v;
          rows++;
        }
      }
    }
  }
  const columns = o.wide ? [...idCols, ...metricCols] : [...idCols, 'metric', 'value'];
  for (const c of columns) { data[c] ??= []; while (data[c]!.length < rows) data[c]!.push(null); }
  return { columns, data, rows, warnings };
}

/** A CSV field (RFC 4180): empty for null, quoted when it holds a comma, quote or line break. */
function csvField(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The table in one of the formats, as bytes. */
export function encodeTable(t: TidyTable, format: ExportFormat): Uint8Array {
  if (format === 'parquet') {
    const columnData: ColumnSource[] = t.columns.map((c) => {
      const col = t.data[c]!;
      const numeric = col.every((v) => v === null || typeof v === 'number');
      const ints = numeric && col.every((v) => v === null || (Number.isInteger(v) && Math.abs(v as number) < 2 ** 31));
      const isId = c === 'seed' || c === 'step' || c === 'epoch';
      // metric values are doubles even when a column happens to hold whole numbers only
      const type = numeric ? (isId && ints ? 'INT32' : 'DOUBLE') : 'STRING';
      return { name: c, data: type === 'STRING' ? col.map((v) => (v === null ? null : String(v))) : col, type, nullable: true };
    });
    return new Uint8Array(parquetWriteBuffer({ columnData, createdBy: 'lrlab export' }));
  }
  const lines: string[] = [];
  if (format === 'csv') lines.push(t.columns.map(csvField).join(','));
  for (let i = 0; i < t.rows; i++) {
    if (format === 'csv') lines.push(t.columns.map((c) => csvField(t.data[c]![i] ?? null)).join(','));
    else lines.push(JSON.stringify(Object.fromEntries(t.columns.map((c) => [c, t.data[c]![i] ?? null]))));
  }
  return Buffer.from(lines.map((l) => l + '\n').join(''), 'utf8');
}

/** Export the runs under `dirs` in `format` (long, or `wide`): the file's bytes, its row count and columns. */
export function exportRuns(dirs: string[], format: ExportFormat, o: { wide?: boolean } = {}): { bytes: Uint8Array; rows: number; columns: string[]; warnings: string[] } {
  const t = tidyTable(dirs, o);
  return { bytes: encodeTable(t, format), rows: t.rows, columns: t.columns, warnings: t.warnings };
}

/** The MIME type of an export format (for a download). */
export const EXPORT_MIME: Record<ExportFormat, string> = { csv: 'text/csv', parquet: 'application/vnd.apache.parquet', jsonl: 'application/x-ndjson' };
