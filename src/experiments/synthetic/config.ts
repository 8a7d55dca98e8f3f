// The synthetic experiment's typed, JSON-serializable config (paper Sections 2-5, Appendix F): one
// zod schema composed of the sections each layer defines (data: the P/Q distribution, model: the
// two-layer nets, train: the update rule and the algorithms' settings), plus the checks that need
// two sections at once. The type is the schema's (z.infer); errors name the dotted key.
import { defaultSyntheticDataConfig, syntheticDataSchema } from '../../data/synthetic.js';
import { syntheticModelSchema } from '../../models/syntheticModel.js';
import { SYNTHETIC_METHODS, syntheticMethodSchema } from '../../train/syntheticAlgorithms.js';
import { syntheticTrainSchema } from '../../train/syntheticTrainConfig.js';
import { refuseEventsPastEnd } from '../scheduleCheck.js';
import { syntheticSchedule } from './schedule.js';
import { fail, object, parseConfig, positiveInt, seedInt, z } from '../../util/schema.js';

// The methods are the trainer's (Algorithms 1, 2 and F.1); the experiment's users name them from here.
export { SYNTHETIC_METHODS, type SyntheticMethod } from '../../train/syntheticAlgorithms.js';

export const syntheticConfigSchema = object({
  kind: z.literal('synthetic'),
  preset: z.string(),
  /** Base seed; seed i of a multi-seed run is seed + i. */
  seed: seedInt(),
  /** Number of seeds. */
  seeds: positiveInt(),
  methods: z.array(syntheticMethodSchema).min(1, { error: 'must name at least one method' }),
  data: syntheticDataSchema,
  model: syntheticModelSchema,
  train: syntheticTrainSchema,
}).superRefine((c, ctx) => {
  // the conv net's stride d/k must be a whole number of coordinates
  if (c.model.arch === 'conv' && c.data.d % c.model.convK !== 0) fail(ctx, ['model', 'convK'], `must be a positive divisor of data.d (${c.data.d})`, c.model.convK);
  // the reduced Q block needs a 2-D span(zv, zeta) with a complement: zeta != 0 and d >= 3
  if (c.model.arch === 'block' && c.model.reduceQBlock) {
    if (!(c.data.r > 0)) fail(ctx, ['model', 'reduceQBlock'], `needs data.r > 0 (span(zv, zeta) must be 2-D), got data.r = ${c.data.r}`, true);
    else if (c.data.d < 3) fail(ctx, ['model', 'reduceQBlock'], `needs data.d >= 3, got data.d = ${c.data.d}`, true);
  }
  refuseEventsPastEnd(syntheticSchedule, c, ctx);
});
export type SyntheticExperimentConfig = z.infer<typeof syntheticConfigSchema>;

/** A complete config with the paper's scalings at d = 100 (Assumption 3.3) and noisy GD (3.1). */
export function baseSyntheticConfig(): SyntheticExperimentConfig {
  return {
    kind: 'synthetic', preset: 'custom', seed: 0, seeds: 1, methods: [...SYNTHETIC_METHODS],
    data: { ...defaultSyntheticDataConfig(100), testSizes: { pOnly: 1000, qOnly: 1000, both: 1000 } },
    model: { arch: 'block', m: 100 },
    train: {
      update: 'noisy-gd', batchSize: 10, lambda: 100 ** -1.25, tauXi: 0.1, tau0: null, eta1: 0.1, eta2: 0.01,
      eps1: 0.05, eps2: 0.01, eps2S: 0.01, stopAtLoss: true, maxSteps: 20000, annealAtStep: null,
      noiseStd: 0.5, noiseAnnealAtLoss: null, noiseAnnealAtStep: 2000, lossCheckEvery: 10, evalEvery: 100, checkpointEvery: 0,
    },
  };
}

/** Validate a full config; returns it parsed, or throws a one-line ConfigError naming the offending dotted key. */
export function validateSyntheticConfig(c: SyntheticExperimentConfig): SyntheticExperimentConfig {
  return parseConfig(syntheticConfigSchema, c);
}
