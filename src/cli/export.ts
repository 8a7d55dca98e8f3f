// `lrlab export DIR... --format csv|parquet|jsonl --out FILE [--wide]`: the metrics of runs as one
// tidy table (report/export.ts) for pandas, polars or R.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { type Command, UsageError } from './command.js';
import { EXPORT_FORMATS, exportRuns, type ExportFormat } from '../report/export.js';
import { RunFolderError } from '../report/runData.js';
import { writeFileAtomic } from '../runs/runFolder.js';

const USAGE = `usage: lrlab export RUN_DIR... --out FILE [--format csv|parquet|jsonl] [--wide]

Writes the metrics of every run under RUN_DIR (a run folder, a sweep, or a folder of runs such as
runs/) as one tidy table that pandas, polars or R read as it is.

Long form (default): one row per recorded value, with the columns
  run     the run folder, relative to the folder that holds all given runs (sweep/points/p000/seed0)
  point   the sweep's grid point (p000, ...), empty for a run of no sweep
  <key>   for sweeps: one column per swept config key (e.g. train.eta1), the point's value
  method, seed, step, epoch (empty for synthetic runs)
  metric  what was measured, nested groups as 'group.key' (val_acc.clean, test_acc.p_only, lr, ...)
  value   the number (booleans as 1/0; empty for a value not recorded, e.g. after a divergence)
Wide form (--wide): one row per evaluation, one column per metric.

options:
  --out FILE      the file to write (required)
  --format F      csv, parquet or jsonl (default: from the extension of --out, else csv)
  --wide          one column per metric instead of one row per value

  pandas:  pd.read_parquet('m.parquet')  or  pd.read_csv('m.csv')
  polars:  pl.read_parquet('m.parquet')  or  pl.read_ndjson('m.jsonl')`;

/** The format for --format, or from the file's extension. */
export function exportFormat(format: string | undefined, out: string): ExportFormat {
  if (format !== undefined) {
    if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}, got '${format}'`);
    return format as ExportFormat;
  }
  const ext = /\.([a-z]+)$/i.exec(out)?.[1]?.toLowerCase();
  return ext === 'parquet' || ext === 'pq' ? 'parquet' : ext === 'jsonl' || ext === 'ndjson' ? 'jsonl' : 'csv';
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'the metrics of runs (or sweeps) as one tidy table: CSV, Parquet or JSON lines',
  usage: USAGE,
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, strict: true, allowPositionals: true, options: { out: { type: 'string' }, format: { type: 'string' }, wide: { type: 'boolean' } } });
    } catch (e) { throw new UsageError((e as Error).message); }
    const { positionals: dirs, values } = parsed;
    if (dirs.length === 0) throw new UsageError('give at least one run folder (lrlab export RUN_DIR... --out FILE)');
    if (!values.out) throw new UsageError('give the file to write with --out FILE');
    const format = exportFormat(values.format, values.out);
    let r;
    try { r = exportRuns(dirs, format, { wide: values.wide ?? false }); } catch (e) {
      if (e instanceof RunFolderError) throw new UsageError(e.message);
      throw e;
    }
    for (const w of r.warnings) console.error(`lrlab export: warning: ${w}`);
    writeFileAtomic(resolve(values.out), r.bytes);
    console.log(`${values.out}: ${r.rows} row(s) x ${r.columns.length} column(s) (${format}${values.wide ? ', wide' : ''})`);
    return 0;
  },
};
