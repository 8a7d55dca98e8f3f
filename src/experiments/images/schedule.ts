// The image methods' schedule events on the epoch clock: the epochs of their lr and noise
// schedules' steps, milestones and sequence milestones. (Events counted in steps are moved by
// --scale-schedule too, but checked against the end only in epochs: an epoch's steps depend on the
// data.)
import { scaleScheduleEvents, scheduleEvents } from '../../train/scheduleEvents.js';
import type { ScheduleView } from '../scheduleCheck.js';
import type { ImageExperimentConfig } from './config.js';

export const imagesSchedule: ScheduleView<ImageExperimentConfig> = {
  lengthKey: 'train.epochs',
  unit: 'epoch',
  length: (c) => c.train.epochs,
  events: (c) => c.methods.flatMap((m, i) => (['lr', 'noise'] as const).flatMap((k) => scheduleEvents(m[k])
    .filter((e) => e.unit === 'epoch').map((e) => ({ key: `methods.${i}.${k}.${e.path.join('.')}`, at: e.at })))),
  scale(c, factor, keep) {
    const moved: [string, number, number][] = [];
    const methods = c.methods.map((m, i) => {
      const out = { ...m };
      for (const k of ['lr', 'noise'] as const) {
        if (keep(`methods.${i}.${k}`)) continue;
        for (const unit of ['epoch', 'step'] as const) {
          const r = scaleScheduleEvents(out[k], factor, unit);
          (out as Record<string, unknown>)[k] = r.spec;
          for (const [p, a, b] of r.moved) moved.push([`methods.${i}.${k}.${p}`, a, b]);
        }
      }
      return out;
    });
    return { config: { ...c, methods }, moved };
  },
};
