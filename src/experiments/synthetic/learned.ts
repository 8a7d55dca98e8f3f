// When a synthetic component counts as learned (the learning-order measure of summaries, the
// report and the dashboard).

/** A component counts as learned once its test accuracy reaches this (chance is 0.5). */
export const LEARNED_ACC = 0.75;

/** The first row (in the given order) whose test accuracy on `component` reached LEARNED_ACC: its step, or null. */
export function firstLearnedStep(rows: readonly { step: number; test_acc?: Record<string, number | null> | null }[], component: string): number | null {
  return rows.find((r) => (r.test_acc?.[component] ?? 0) >= LEARNED_ACC)?.step ?? null;
}
