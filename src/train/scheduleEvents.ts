// The events of a schedule — the epochs or steps at which it changes the value (a step schedule's
// `at`, a multistep's milestones, a sequence's milestones and its children's events) — as plain
// data: to refuse a config whose event lies at or past the end of training (it would never happen:
// shortening a run must not silently drop the anneal), and to move every event with the length of
// training when asked (--scale-schedule).
import type { LrSchedule, NoiseSchedule, ScheduleUnit } from './schedules.js';

type Spec = LrSchedule | NoiseSchedule;

/** One event: where it sits in the schedule object (path) and when it happens (at, in `unit`s from the start). */
export interface ScheduleEvent { path: (string | number)[]; at: number; unit: ScheduleUnit }

/** Every clocked event of a schedule, in absolute time (a sequence child's events shifted by its milestone). */
export function scheduleEvents(spec: Spec): ScheduleEvent[] {
  switch (spec.kind) {
    case 'step': return spec.at.map((at, i) => ({ path: ['at', i], at, unit: spec.unit }));
    case 'multistep': return spec.milestones.map((at, i) => ({ path: ['milestones', i], at, unit: spec.unit ?? 'epoch' }));
    case 'sequence': {
      const out: ScheduleEvent[] = spec.milestones.map((at, i) => ({ path: ['milestones', i], at, unit: spec.unit }));
      (spec.schedules as Spec[]).forEach((child, i) => {
        const start = i === 0 ? 0 : spec.milestones[i - 1]!;
        for (const e of scheduleEvents(child)) {
          // a child counted in another unit cannot be placed on the sequence's clock here
          if (e.unit === spec.unit) out.push({ path: ['schedules', i, ...e.path], at: start + e.at, unit: e.unit });
        }
      });
      return out;
    }
    default: return [];
  }
}

/**
 * A copy of the schedule with every event in `unit` multiplied by `factor` and rounded (at least 1,
 * order kept). Returns the copy and the moved events as [path, from, to].
 */
export function scaleScheduleEvents<S extends Spec>(spec: S, factor: number, unit: ScheduleUnit): { spec: S; moved: [string, number, number][] } {
  const out = structuredClone(spec) as S;
  const moved: [string, number, number][] = [];
  const scale = (list: number[], u: ScheduleUnit, path: string) => list.forEach((v, i) => {
    if (u !== unit) return;
    const w = Math.max(1, Math.round(v * factor));
    if (w !== v) { list[i] = w; moved.push([`${path}.${i}`, v, w]); }
  });
  const walk = (s: Spec, path: string) => {
    if (s.kind === 'step') scale(s.at, s.unit, `${path}at`);
    else if (s.kind === 'multistep') scale(s.milestones, s.unit ?? 'epoch', `${path}milestones`);
    else if (s.kind === 'sequence') {
      scale(s.milestones, s.unit, `${path}milestones`);
      // children count from their milestone: their own events scale the same way
      (s.schedules as Spec[]).forEach((c, i) => walk(c, `${path}schedules.${i}.`));
    }
  };
  walk(out, '');
  return { spec: out, moved };
}
