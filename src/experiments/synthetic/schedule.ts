// The synthetic schedule's events on the step clock: L-S's anneal by step (train.annealAtStep,
// besides Algorithm 1's loss threshold) and S+noise's switch-off by step (train.noiseAnnealAtStep).
import type { ScheduleView } from '../scheduleCheck.js';
import type { SyntheticExperimentConfig, SyntheticMethod } from './config.js';

const KEYS: Record<'annealAtStep' | 'noiseAnnealAtStep', SyntheticMethod> = { annealAtStep: 'L-S', noiseAnnealAtStep: 'S+noise' };

export const syntheticSchedule: ScheduleView<SyntheticExperimentConfig> = {
  lengthKey: 'train.maxSteps',
  unit: 'step',
  length: (c) => c.train.maxSteps,
  events: (c) => (Object.entries(KEYS) as [keyof typeof KEYS, SyntheticMethod][])
    .filter(([k, m]) => c.methods.includes(m) && c.train[k] !== null)
    .map(([k]) => ({ key: `train.${k}`, at: c.train[k]! })),
  scale(c, factor, keep) {
    const train = { ...c.train };
    const moved: [string, number, number][] = [];
    for (const k of Object.keys(KEYS) as (keyof typeof KEYS)[]) {
      const v = train[k];
      if (v === null || keep(`train.${k}`)) continue;
      const w = Math.max(1, Math.round(v * factor));
      if (w !== v) { train[k] = w; moved.push([`train.${k}`, v, w]); }
    }
    return { config: { ...c, train }, moved };
  },
};
