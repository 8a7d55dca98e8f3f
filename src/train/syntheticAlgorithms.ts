// The paper's three algorithms on the synthetic problem, as schedules of the learning rate and of
// the pre-activation noise (schedules.ts) plus a stopping loss:
//   L-S (Algorithm 1): eta1 until the training loss is below eps1 + q log 2 (or the step reaches
//       annealAtStep), then eta2, until the loss is below eps2;
//   S (Algorithm 2): eta2 throughout, until eps2' (eps2S);
//   S+noise (Appendix F.1): eta2 with pre-activation noise noiseStd, annealed to 0 when the loss is
//       below noiseAnnealAtLoss or at noiseAnnealAtStep, until eps2'.
// The trainer only follows the schedules; which algorithm a run is, is decided here.
import { z } from '../util/schema.js';
import type { LrSchedule, NoiseSchedule } from './schedules.js';
import type { SyntheticTrainConfig } from './syntheticTrainConfig.js';

export const SYNTHETIC_METHODS = ['L-S', 'S', 'S+noise'] as const;
export const syntheticMethodSchema = z.enum(SYNTHETIC_METHODS);
export type SyntheticMethod = z.infer<typeof syntheticMethodSchema>;

/** The keys of the train section that define the algorithms. */
export type AlgorithmKeys = Pick<SyntheticTrainConfig,
  'eta1' | 'eta2' | 'annealAtStep' | 'noiseStd' | 'noiseAnnealAtLoss' | 'noiseAnnealAtStep' | 'eps2' | 'eps2S'>;

/** A method's learning-rate and noise schedules; `annealThreshold` is L-S's eps1 + q log 2. */
export function methodSchedules(method: SyntheticMethod, t: AlgorithmKeys, annealThreshold: number): { lr: LrSchedule; noise: NoiseSchedule } {
  // an absent trigger never fires: null in the config means "not by step" / "not by loss"
  const atStep = (s: number | null) => (s === null ? {} : { atStep: s });
  switch (method) {
    case 'L-S':
      return { lr: { kind: 'annealAtLoss', lr1: t.eta1, lr2: t.eta2, threshold: annealThreshold, ...atStep(t.annealAtStep) }, noise: { kind: 'off' } };
    case 'S':
      return { lr: { kind: 'constant', lr: t.eta2 }, noise: { kind: 'off' } };
    case 'S+noise': {
      const threshold = t.noiseAnnealAtLoss === null ? {} : { threshold: t.noiseAnnealAtLoss };
      return { lr: { kind: 'constant', lr: t.eta2 }, noise: { kind: 'annealAtLoss', std: t.noiseStd, ...threshold, ...atStep(t.noiseAnnealAtStep) } };
    }
  }
}

/** The training loss at which a method stops (with stopAtLoss): eps2 for L-S, eps2' for S and S+noise. */
export function stopLoss(method: SyntheticMethod, t: AlgorithmKeys): number {
  return method === 'L-S' ? t.eps2 : t.eps2S;
}
