// `lrlab report RUN_DIR... [--out FILE]`: a self-contained HTML report with the paper's figures and tables.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Command, UsageError } from './command.js';
import { RunFolderError, expandRunDirs } from '../report/runData.js';
import { writeReport } from '../report/report.js';
import { isSweepDir } from '../runs/sweepFile.js';

const USAGE = `usage: lrlab report RUN_DIR... [--out PATH]

RUN_DIR is a run folder, or a folder of runs (a sweep folder, runs/): every run folder in it.
A sweep leads with its own section: the swept keys and values, a table with one row per grid point
(each method's mean ± std over seeds, the gap between the two compared methods with its std and
seed count, seeds finished) and plots of the gap and of each method vs the swept parameter (error
bars: ± one std over seeds; a heatmap for two swept keys); then a section per run.

Writes a self-contained report.html (inline SVG charts, no scripts, works offline) and the charts as
SVG files next to it: for image runs the paper's Figure 3 (clean and patch-only validation accuracy)
and Figure 1 (train and validation accuracy, annealing shaded), and Table 1 / Table 2 with the
paper's numbers beside ours; for synthetic runs the test accuracy per component and the Q-contrast
vs step, and the final accuracy per component.

options:
  --out PATH   a .html file (the SVGs go beside it), or a folder to write report.html and the SVGs into
               (default: RUN_DIR/report.html for one folder, ./report.html for several)`;

/** The report file for --out: PATH itself if it ends in .html/.htm, else PATH/report.html (a folder). */
export function reportFile(out: string): string {
  const isDir = existsSync(out) && statSync(out).isDirectory();
  return !isDir && /\.html?$/i.test(out) ? out : join(out, 'report.html');
}

export const reportCommand: Command = {
  name: 'report',
  summary: 'write an HTML report (figures and tables) for run folders',
  usage: USAGE,
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
};
