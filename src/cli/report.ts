// `lrlab report RUN_DIR... [--out FILE]`: a self-contained HTML report with the paper's figures and tables.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Command, UsageError } from './command.js';
import { commandOf, reportHead } from './help.js';
import { RunFolderError, expandRunDirs } from '../report/runData.js';
import { writeReport } from '../report/report.js';
import { isSweepDir } from '../runs/sweepFile.js';

/** The report file for --out: PATH itself if it ends in .html/.htm, else PATH/report.html (a folder). */
export function reportFile(out: string): string {
  const isDir = existsSync(out) && statSync(out).isDirectory();
  return !isDir && /\.html?$/i.test(out) ? out : join(out, 'report.html');
}

export const reportCommand: Command = commandOf(reportHead, {
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, strict: true, allowPositionals: true, options: { out: { type: 'string' } } });
    } catch (e) { throw new UsageError((e as Error).message); }
    const given = parsed.positionals;
    if (given.length === 0) throw new UsageError('give at least one run folder (lrlab report RUN_DIR... [--out PATH])');
    const sweeps = given.filter((d) => isSweepDir(d));
    const dirs = expandRunDirs(given).filter((d) => !isSweepDir(d)); // (a sweep without runs yet: its table only)
    const out = parsed.values.out !== undefined ? reportFile(parsed.values.out) : given.length === 1 ? join(given[0]!, 'report.html') : 'report.html';
    try {
      const r = await writeReport(dirs, out, (w) => console.error(`lrlab report: warning: ${w}`), { sweeps });
      console.log(`report: ${r.html}`);
      for (const s of r.svgs) console.log(`figure: ${s}`);
      return 0;
    } catch (e) {
      if (e instanceof RunFolderError) throw new UsageError(e.message);
      throw e;
    }
  },
});
