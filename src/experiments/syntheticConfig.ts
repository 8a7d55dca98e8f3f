// The synthetic experiment's typed, JSON-serializable config (paper Sections 2-5, Appendix F).
import { type SyntheticDataConfig, defaultSyntheticDataConfig, validateSyntheticDataConfig } from '../data/synthetic.js';
import { checkAgainstTemplate } from './configTools.js';

export const SYNTHETIC_METHODS = ['L-S', 'S', 'S+noise'] as const;
export type SyntheticMethod = (typeof SYNTHETIC_METHODS)[number];

export interface SyntheticModelConfig {
  /** 'block': U = [W; V] with W on x1 and V on x2 (main text); 'full': one U on (x1, x2); 'conv': Appendix F.2. */
  arch: 'block' | 'full' | 'conv';
  /** Hidden width m (neurons per block for 'block'). */
  m: number;
  /** Channels k of the convolutional net ('conv' only; patch size d, stride d/k). */
  convK: number;
}

export interface SyntheticTrainConfig {
  /** 'noisy-gd': the paper's update (3.1), full-batch gradient plus N(0, tauXi^2) noise; 'sgd': minibatch SGD, no explicit noise. */
  update: 'noisy-gd' | 'sgd';
  /** Minibatch size for update 'sgd'. */
  batchSize: number;
  /** Weight decay lambda: the objective is L(U) + (lambda/2) ||U||_F^2. */
  lambda: number;
  /** Std of the Gaussian gradient noise xi_t (update 'noisy-gd'). */
  tauXi: number;
  /** Std of the initialization U_0; null: the stationary level of Assumption 3.1, (1-eta1 lambda)^2 tau0^2 + eta1^2 tauXi^2 = tau0^2. */
  tau0: number | null;
  /** Large learning rate (L-S before annealing). */
  eta1: number;
  /** Small learning rate (L-S after annealing; S and S+noise throughout). */
  eta2: number;
  /** L-S anneals eta1 -> eta2 at the first step whose training loss is below eps1 + q log 2 (q: fraction of Q-only examples). */
  eps1: number;
  /** L-S stops at training loss eps2. */
  eps2: number;
  /** S and S+noise stop at training loss eps2' (eps2S). */
  eps2S: number;
  /** false: ignore eps2 / eps2S and train for maxSteps. */
  stopAtLoss: boolean;
  /** Cap on the steps of each run. */
  maxSteps: number;
  /** L-S: anneal at this step even if the loss threshold was not reached (null: only at the threshold). */
  annealAtStep: number | null;
  /** S+noise: std tau of the Gaussian noise added to the pre-activations (inside the relu and its pattern). */
  noiseStd: number;
  /** S+noise: the noise is annealed to 0 at the first step whose training loss is below this (null: not by loss). */
  noiseAnnealAtLoss: number | null;
  /** S+noise: the noise is annealed to 0 at this step (null: not by step). */
  noiseAnnealAtStep: number | null;
  /**
   * Measure the clean full-batch training loss (which decides annealing and stopping) every this many
   * steps; with noisy GD and no pre-activation noise it is measured every step at no extra cost.
   */
  lossCheckEvery: number;
  /** Record metrics every this many steps. */
  evalEvery: number;
  /** Checkpoint every this many steps (0: only on interruption and at the end). */
  checkpointEvery: number;
}

export interface SyntheticExperimentConfig {
  kind: 'synthetic';
  preset: string;
  /** Base seed; seed i of a multi-seed run is seed + i. */
  seed: number;
  /** Number of seeds. */
  seeds: number;
  methods: SyntheticMethod[];
  data: SyntheticDataConfig;
  model: SyntheticModelConfig;
  train: SyntheticTrainConfig;
}

/** A complete config with the paper's scalings at d = 100 (Assumption 3.3) and noisy GD (3.1). */
export function baseSyntheticConfig(): SyntheticExperimentConfig {
  return {
    kind: 'synthetic', preset: 'custom', seed: 0, seeds: 1, methods: [...SYNTHETIC_METHODS],
    data: { ...defaultSyntheticDataConfig(100), testSizes: { pOnly: 1000, qOnly: 1000, both: 1000 } },
    model: { arch: 'block', m: 100, convK: 4 },
    train: {
      update: 'noisy-gd', batchSize: 10, lambda: 100 ** -1.25, tauXi: 0.1, tau0: null, eta1: 0.1, eta2: 0.01,
      eps1: 0.05, eps2: 0.01, eps2S: 0.01, stopAtLoss: true, maxSteps: 20000, annealAtStep: null,
      noiseStd: 0.5, noiseAnnealAtLoss: null, noiseAnnealAtStep: 2000, lossCheckEvery: 10, evalEvery: 100, checkpointEvery: 0,
    },
  };
}

const NULLABLE = new Set(['train.tau0', 'train.annealAtStep', 'train.noiseAnnealAtLoss', 'train.noiseAnnealAtStep']);

/** Validate a full config; throws a one-line error naming the offending key. */
export function validateSyntheticConfig(c: SyntheticExperimentConfig): SyntheticExperimentConfig {
  checkAgainstTemplate(c, baseSyntheticConfig(), '', { nullable: NULLABLE });
  const fail = (key: string, msg: string, v: unknown): never => { throw new Error(`config key '${key}' ${msg}, got ${JSON.stringify(v)}`); };
  const t = c.train;
  if (c.kind !== 'synthetic') fail('kind', "must be 'synthetic'", c.kind);
  if (!Number.isSafeInteger(c.seed) || c.seed < 0) fail('seed', 'must be a non-negative integer', c.seed);
  if (!Number.isInteger(c.seeds) || c.seeds < 1) fail('seeds', 'must be a positive integer', c.seeds);
  if (c.methods.length === 0) fail('methods', 'must name at least one method', c.methods);
  for (const m of c.methods) if (!SYNTHETIC_METHODS.includes(m)) fail('methods', `must contain only ${SYNTHETIC_METHODS.join(', ')}`, m);
  try { validateSyntheticDataConfig(c.data); } catch (e) {
    // name the data keys as dotted config keys ('synthetic config: p0 + q0 ...' -> "config key 'data.p0 + data.q0' ...")
    throw new Error((e as Error).message.replace(/^synthetic config: (\S+(?: \+ \S+)*) /,
      (_, k: string) => `config key '${k.split(' + ').map((p) => `data.${p}`).join(' + ')}' `));
  }
  if (!['block', 'full', 'conv'].includes(c.model.arch)) fail('model.arch', "must be 'block', 'full' or 'conv'", c.model.arch);
  if (!Number.isInteger(c.model.m) || c.model.m < 1) fail('model.m', 'must be a positive integer', c.model.m);
  if (c.model.arch === 'conv' && (!Number.isInteger(c.model.convK) || c.model.convK < 1 || c.data.d % c.model.convK !== 0)) {
    fail('model.convK', `must be a positive divisor of data.d (${c.data.d})`, c.model.convK);
  }
  if (t.update !== 'noisy-gd' && t.update !== 'sgd') fail('train.update', "must be 'noisy-gd' or 'sgd'", t.update);
  if (!Number.isInteger(t.batchSize) || t.batchSize < 1) fail('train.batchSize', 'must be a positive integer', t.batchSize);
  for (const k of ['lambda', 'tauXi', 'eta1', 'eta2', 'eps1', 'eps2', 'eps2S', 'noiseStd'] as const) {
    if (!Number.isFinite(t[k]) || t[k] < 0) fail(`train.${k}`, 'must be a finite number >= 0', t[k]);
  }
  if (t.eta1 <= 0) fail('train.eta1', 'must be > 0', t.eta1);
  if (t.eta2 <= 0) fail('train.eta2', 'must be > 0', t.eta2);
  if (t.tau0 !== null && (!Number.isFinite(t.tau0) || t.tau0 < 0)) fail('train.tau0', 'must be null or a finite number >= 0', t.tau0);
  if (t.tau0 === null && t.eta1 * t.lambda >= 1) fail('train.lambda', 'must satisfy eta1 * lambda < 1 for the stationary init (set train.tau0 instead)', t.lambda);
  if (!Number.isInteger(t.maxSteps) || t.maxSteps < 1) fail('train.maxSteps', 'must be a positive integer', t.maxSteps);
  if (!Number.isInteger(t.lossCheckEvery) || t.lossCheckEvery < 1) fail('train.lossCheckEvery', 'must be a positive integer', t.lossCheckEvery);
  if (!Number.isInteger(t.evalEvery) || t.evalEvery < 1) fail('train.evalEvery', 'must be a positive integer', t.evalEvery);
  if (!Number.isInteger(t.checkpointEvery) || t.checkpointEvery < 0) fail('train.checkpointEvery', 'must be an integer >= 0', t.checkpointEvery);
  for (const k of ['annealAtStep', 'noiseAnnealAtStep'] as const) {
    const v = t[k];
    if (v !== null && (!Number.isInteger(v) || v < 0)) fail(`train.${k}`, 'must be null or an integer >= 0', v);
  }
  if (t.noiseAnnealAtLoss !== null && !(Number.isFinite(t.noiseAnnealAtLoss) && t.noiseAnnealAtLoss >= 0)) fail('train.noiseAnnealAtLoss', 'must be null or a finite number >= 0', t.noiseAnnealAtLoss);
  return c;
}
