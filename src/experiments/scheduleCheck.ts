// Schedule events against the length of training, for every kind: an event (an anneal, a milestone,
// a noise switch-off) at or past the end would never happen, so a config that has one is refused
// with a one-line error naming both keys — users shorten runs all the time, and a silently dropped
// anneal changes the experiment — and --scale-schedule moves every event with the length instead.
import { fail, type z } from '../util/schema.js';

/** An event of a config: its dotted key and when it happens, in the unit of the training length. */
export interface ConfigEvent { key: string; at: number }

/** What a kind says about its schedule: the length of training and the events on it. */
export interface ScheduleView<C> {
  /** The dotted key of the training length (train.maxSteps, train.epochs) and its unit ('step', 'epoch'). */
  lengthKey: string;
  unit: string;
  length(c: C): number;
  /** The events that apply to the config's methods. */
  events(c: C): ConfigEvent[];
  /** The config with every event (but those whose key `keep` says to keep) multiplied by `factor`; the moves as [key, from, to]. */
  scale(c: C, factor: number, keep: (key: string) => boolean): { config: C; moved: [string, number, number][] };
}

const path = (key: string) => key.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));

/** In a schema's superRefine: refuse the first event at or past the end of training. */
export function refuseEventsPastEnd<C>(s: ScheduleView<C>, c: C, ctx: z.core.$RefinementCtx): void {
  const n = s.length(c);
  const e = s.events(c).find((x) => x.at >= n);
  if (!e) return;
  fail(ctx, path(e.key), `is at or past the end of training (${s.lengthKey} = ${n}), so it would never happen: set it below ${n}, ${SCALE_HINT}`, e.at);
}

/** The end of that refusal's message: what to do instead of setting the key. */
export const SCALE_HINT = 'or pass --scale-schedule to move every schedule event with the length of training';
