// The train section of a synthetic experiment's config: the update rule (the paper's noisy GD
// (3.1) or minibatch SGD), the learning rates and loss thresholds of Algorithms 1 and 2, the
// pre-activation noise of Appendix F.1, the step budget and the cadences of loss checks, evaluation
// and checkpoints. How each method turns these into schedules: syntheticAlgorithms.ts.
import { fail, nonNegative, nonNegativeInt, object, positive, positiveInt, z } from '../util/schema.js';

export const syntheticTrainSchema = object({
  /** 'noisy-gd': the paper's update (3.1), full-batch gradient plus N(0, tauXi^2) noise; 'sgd': minibatch SGD, no explicit noise. */
  update: z.enum(['noisy-gd', 'sgd']),
  /** Minibatch size for update 'sgd'. */
  batchSize: positiveInt(),
  /** Weight decay lambda: the objective is L(U) + (lambda/2) ||U||_F^2. */
  lambda: nonNegative(),
  /** Std of the Gaussian gradient noise xi_t (update 'noisy-gd'). */
  tauXi: nonNegative(),
  /** Std of the initialization U_0; null: the stationary level of Assumption 3.1, (1-eta1 lambda)^2 tau0^2 + eta1^2 tauXi^2 = tau0^2. */
  tau0: nonNegative().nullable(),
  /** Large learning rate (L-S before annealing). */
  eta1: positive(),
  /** Small learning rate (L-S after annealing; S and S+noise throughout). */
  eta2: positive(),
  /** L-S anneals eta1 -> eta2 at the first step whose training loss is below eps1 + q log 2 (q: fraction of Q-only examples). */
  eps1: nonNegative(),
  /** L-S stops at training loss eps2. */
  eps2: nonNegative(),
  /** S and S+noise stop at training loss eps2' (eps2S). */
  eps2S: nonNegative(),
  /** false: ignore eps2 / eps2S and train for maxSteps. */
  stopAtLoss: z.boolean(),
  /** Cap on the steps of each run. */
  maxSteps: positiveInt(),
  /** L-S: anneal at this step even if the loss threshold was not reached (null: only at the threshold). */
  annealAtStep: nonNegativeInt().nullable(),
  /** S+noise: std tau of the Gaussian noise added to the pre-activations (inside the relu and its pattern). */
  noiseStd: nonNegative(),
  /** S+noise: the noise is annealed to 0 at the first step whose training loss is below this (null: not by loss). */
  noiseAnnealAtLoss: nonNegative().nullable(),
  /** S+noise: the noise is annealed to 0 at this step (null: not by step). */
  noiseAnnealAtStep: nonNegativeInt().nullable(),
  /**
   * Measure the clean full-batch training loss (which decides annealing and stopping) every this many
   * steps; with noisy GD and no pre-activation noise it is measured every step at no extra cost.
   */
  lossCheckEvery: positiveInt(),
  /** Record metrics every this many steps. */
  evalEvery: positiveInt(),
  /** Checkpoint every this many steps (0: only on interruption and at the end). */
  checkpointEvery: nonNegativeInt(),
}).superRefine((t, ctx) => {
  // the stationary init (Assumption 3.1) solves (1 - eta1 lambda)^2 tau0^2 + eta1^2 tauXi^2 = tau0^2; with
  // eta1 lambda >= 1 the factor 1 - eta1 lambda by which (3.1) shrinks U is no longer a shrinkage
  if (t.tau0 === null && t.eta1 * t.lambda >= 1) fail(ctx, ['lambda'], 'must satisfy eta1 * lambda < 1 for the stationary init (set train.tau0 instead)', t.lambda);
});
export type SyntheticTrainConfig = z.infer<typeof syntheticTrainSchema>;
