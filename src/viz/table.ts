// The report's and dashboard's tables as plain data (header + rows of strings), and the cell
// formats the experiment kinds' tables share.
import { fmtMeanStd, type MeanStd } from '../util/stats.js';
import type { FinalStats } from './finals.js';

export interface Table {
  caption: string;
  header: string[];
  /** Header cells (by index) that hold the paper's numbers. */
  paperCols: number[];
  rows: string[][];
  notes: string[];
}

/** Accuracy as a percentage, "87.61 ± 0.42"; values up to 1.5 are taken as fractions. */
export function pct(m: MeanStd | undefined): string {
  if (!m || m.mean === null) return '-';
  const k = Math.abs(m.mean) <= 1.5 ? 100 : 1;
  return fmtMeanStd({ mean: m.mean * k, std: (m.std ?? 0) * k, n: m.n }, 2);
}

/** Where a table's numbers come from: the finished run's summary, or the latest rows of an unfinished one. */
export const seedsNote = (f: FinalStats, n: number) => f.source === 'summary'
  ? `mean ± std over ${n} seed${n === 1 ? '' : 's'} (summary.json)`
  : 'run not finished: mean ± std over seeds of each seed\'s latest evaluation (metrics.jsonl)';

/** The largest number of seeds behind `key` over the methods. */
export function seedCount(f: FinalStats, methods: string[], key: string): number {
  return Math.max(0, ...methods.map((m) => f.methods[m]?.[key]?.n ?? 0));
}

/** "3 done, 1 diverged": a method's part statuses ('-' when unknown). */
export function partsCell(f: FinalStats, method: string): string {
  return Object.entries(f.statuses[method] ?? {}).map(([k, v]) => `${v} ${k}`).join(', ') || '-';
}

/** What a first-time statistic that no seed reached says: "never" once the run is finished, "not yet" while it is not. */
export const notReached = (f: FinalStats) => (f.source === 'summary' ? 'never' : 'not yet');

/** "mean ± std (k/n seeds)" of a first-step statistic, "never" / "not yet" when no seed reached it, "-" when not recorded (older summaries). */
export function firstStepCell(m: MeanStd | undefined, seeds: number, f: FinalStats, digits = 0): string {
  if (!m) return f.source === 'summary' ? '-' : 'not yet';
  if (m.mean === null || m.n === 0) return notReached(f);
  return m.n < seeds ? `${fmtMeanStd(m, digits)} (${m.n}/${seeds} seeds)` : fmtMeanStd(m, digits);
}
