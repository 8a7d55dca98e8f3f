// `lrlab export DIR... --format csv|parquet|jsonl --out FILE [--wide]`: the metrics of runs as one
// tidy table (report/export.ts) for pandas, polars or R.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { type Command, UsageError } from './command.js';
import { commandOf, exportHead } from './help.js';
import { EXPORT_FORMATS, exportRuns, type ExportFormat } from '../report/export.js';
import { RunFolderError } from '../report/runData.js';
import { writeFileAtomic } from '../runs/runFolder.js';

/** The format for --format, or from the file's extension (CSV without one; an extension it does not write is refused). */
export function exportFormat(format: string | undefined, out: string): ExportFormat {
  if (format !== undefined) {
    if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}, got '${format}'`);
    return format as ExportFormat;
  }
  // (an extension is letters: results.v2 or out-2026.06 are names, written as CSV)
  const ext = /\.([a-z]+)$/i.exec(out)?.[1]?.toLowerCase();
  const byExt: Record<string, ExportFormat> = { csv: 'csv', parquet: 'parquet', pq: 'parquet', jsonl: 'jsonl', ndjson: 'jsonl' };
  if (ext === undefined) return 'csv';
  if (!Object.hasOwn(byExt, ext)) throw new UsageError(`--out ${out}: lrlab export writes ${Object.keys(byExt).map((e) => `.${e}`).join(', ')} (or a name without an extension: CSV); to write one of those formats under another name, give --format`);
  return byExt[ext]!;
}

export const exportCommand: Command = commandOf(exportHead, {
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
});
