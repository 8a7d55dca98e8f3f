// When a synthetic component counts as learned (the learning-order measure of summaries, the
// report and the dashboard).

/** A component counts as learned once its test accuracy reaches this (chance is 0.5). */
export const LEARNED_ACC = 0.75;
