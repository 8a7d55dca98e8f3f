// A run's final numbers per method (mean ± std over seeds): from summary.json when the run finished,
// else from the latest metrics rows of each seed (a running or interrupted run), with the figures its
// experiment kind derives from the rows (viz/finals.ts).
import type { AnyExperiment } from '../experiments/experiment.js';
import type { MetricsRow, SummaryEnvelope } from '../runs/format.js';
import { finalsFromRows, finalsFromSummary, type FinalStats } from '../viz/finals.js';

export type { FinalStats } from '../viz/finals.js';

/** The clock of a row in its kind's unit: epoch or optimizer step. */
export const clockOf = (exp: AnyExperiment) => (r: MetricsRow): number => (exp.view.clock === 'epoch' ? (r.epoch ?? 0) : r.step);

/** Final numbers from the metrics rows of a run of kind `exp`. */
export function finalsOfRows(exp: AnyExperiment, rows: MetricsRow[], methods: string[]): FinalStats {
  return finalsFromRows(rows, methods, { headline: exp.view.headline, clock: clockOf(exp), extra: exp.view.rowFinals });
}

/** The run's final numbers: summary.json when present, else the latest metrics rows. */
export function finalStats(run: { experiment: AnyExperiment; methods: string[]; rows: MetricsRow[]; summary: SummaryEnvelope | null }): FinalStats {
  return run.summary ? finalsFromSummary(run.summary) : finalsOfRows(run.experiment, run.rows, run.methods);
}
