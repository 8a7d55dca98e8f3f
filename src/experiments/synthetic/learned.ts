// When a synthetic component counts as learned (the learning-order measures of summaries, the
// report and the dashboard), and the order statistics over a population of seeds.
//   By test crossing: the first evaluated step at which the test accuracy on P-only (Q-only) inputs
//   reaches LEARNED_ACC.
//   By margins (the paper's Lemmas 5.2-5.3): the first evaluated step at which the mean margin of
//   the P part, y r(x1), (of the Q part, y g(x2)) on the training examples with both components
//   reaches MARGIN_LEARNED: which part of the network fits the mixed examples first.
import { meanStd, quartiles, wilson, type MeanStd } from '../../util/stats.js';

/** A component counts as learned once its test accuracy reaches this (chance is 0.5). */
export const LEARNED_ACC = 0.75;
/** A part counts as having fitted the mixed training examples once its mean margin there reaches this (logistic loss 0.31 from it alone). */
export const MARGIN_LEARNED = 1;

type Row = { step: number; test_acc?: Record<string, number | null> | null; margin?: { p?: number | null; q?: number | null } | null };

/** The first row (in the given order) whose test accuracy on `component` reached LEARNED_ACC: its step, or null. */
export function firstLearnedStep(rows: readonly Row[], component: string): number | null {
  return rows.find((r) => (r.test_acc?.[component] ?? 0) >= LEARNED_ACC)?.step ?? null;
}

/** The first row whose mean margin of `part` on the mixed training examples reached MARGIN_LEARNED: its step, or null. */
export function firstMarginStep(rows: readonly Row[], part: 'p' | 'q'): number | null {
  return rows.find((r) => (r.margin?.[part] ?? -Infinity) >= MARGIN_LEARNED)?.step ?? null;
}

/** One seed's learning-order steps (null: never within the run; margins undefined: not recorded, as in older part files). */
export interface OrderSteps { p_only: number | null; q_only: number | null; margin_p?: number | null; margin_q?: number | null }

export function orderSteps(rows: readonly Row[]): OrderSteps {
  return { p_only: firstLearnedStep(rows, 'p_only'), q_only: firstLearnedStep(rows, 'q_only'), margin_p: firstMarginStep(rows, 'p'), margin_q: firstMarginStep(rows, 'q') };
}

/** a strictly before b (never = after everything; both never: neither first). */
export const before = (a: number | null, b: number | null) => a !== null && (b === null || a < b);

/** A fraction of seeds (the mean of a 0/1 indicator, with its std) and its 95% Wilson interval. */
export type SeedFraction = MeanStd & { lo: number | null; hi: number | null };
/** A step over the seeds that reached it: mean ± std, median and quartiles; `of`: the seeds counted. */
export type StepDistribution = MeanStd & { median: number | null; q1: number | null; q3: number | null; of: number };

export interface OrderStats {
  p_before_q_test: SeedFraction;
  q_before_p_test: SeedFraction;
  p_before_q_margin: SeedFraction;
  q_before_p_margin: SeedFraction;
  step_p_test: StepDistribution;
  step_q_test: StepDistribution;
  step_p_margin: StepDistribution;
  step_q_margin: StepDistribution;
}

function fraction(flags: boolean[]): SeedFraction {
  const k = flags.filter(Boolean).length;
  const w = wilson(k, flags.length);
  return { ...meanStd(flags.map((f) => (f ? 1 : 0))), lo: w.lo, hi: w.hi };
}

function steps(v: (number | null)[]): StepDistribution {
  const q = quartiles(v);
  return { ...meanStd(v), median: q.median, q1: q.q1, q3: q.q3, of: v.length };
}

/**
 * The order statistics of a method over its seeds (diverged seeds left out by the caller): the
 * fraction of seeds that learn P strictly before Q and Q strictly before P, by test crossing and by
 * margins, with 95% Wilson intervals; and the distribution of each crossing step.
 */
export function orderStats(seeds: OrderSteps[]): OrderStats {
  const m = seeds.filter((s) => s.margin_p !== undefined && s.margin_q !== undefined) as Required<OrderSteps>[];
  return {
    p_before_q_test: fraction(seeds.map((s) => before(s.p_only, s.q_only))),
    q_before_p_test: fraction(seeds.map((s) => before(s.q_only, s.p_only))),
    p_before_q_margin: fraction(m.map((s) => before(s.margin_p, s.margin_q))),
    q_before_p_margin: fraction(m.map((s) => before(s.margin_q, s.margin_p))),
    step_p_test: steps(seeds.map((s) => s.p_only)),
    step_q_test: steps(seeds.map((s) => s.q_only)),
    step_p_margin: steps(m.map((s) => s.margin_p)),
    step_q_margin: steps(m.map((s) => s.margin_q)),
  };
}
