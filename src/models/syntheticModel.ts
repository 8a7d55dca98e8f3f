// The model section of a synthetic experiment's config and the model it builds: the two-layer relu
// net of Section 2 (block or full form) or the two-layer convolutional net of Appendix F.2. The
// section is a discriminated union on `arch`, so each architecture carries only its own keys.
import type { Generator } from '../engine/index.js';
import { fail, object, positiveInt, z } from '../util/schema.js';
import { TwoLayerConv } from './twoLayerConv.js';
import { TwoLayerRelu, type SyntheticModel } from './twoLayerRelu.js';

/** 'block': U = [W; V] with W on x1 and V on x2 (main text); m is the hidden width, m/2 neurons per block. */
const blockModel = object({ arch: z.literal('block'), m: positiveInt() })
  .superRefine((c, ctx) => { if (c.m % 2 !== 0) fail(ctx, ['m'], 'must be even for arch block (m/2 neurons each for W and V)', c.m); });
/** 'full': one U acting on (x1, x2); m is the hidden width. */
const fullModel = object({ arch: z.literal('full'), m: positiveInt() });
/**
 * 'conv' (Appendix F.2): m filters (the paper's m/k channels) of patch size d at stride d/k; convK is
 * that k and must divide data.d (checked where the data section is known, by the experiment).
 */
const convModel = object({ arch: z.literal('conv'), m: positiveInt(), convK: positiveInt() });

export const syntheticModelSchema = z.discriminatedUnion('arch', [blockModel, fullModel, convModel]);
export type SyntheticModelConfig = z.infer<typeof syntheticModelSchema>;

/** What the model takes from the rest of the config: the input dimension, the init std and the dtype. */
export interface SyntheticModelInputs { d: number; tau0: number; dtype: 'float32' | 'float64' }

/** The model of a section, its weights drawn from gen (the same draws as the model's own constructor). */
export function createSyntheticModel(cfg: SyntheticModelConfig, inputs: SyntheticModelInputs, gen: Generator): SyntheticModel {
  const { d, tau0, dtype } = inputs;
  return cfg.arch === 'conv'
    ? new TwoLayerConv({ d, k: cfg.convK, channels: cfg.m, tau0, dtype }, gen)
    : new TwoLayerRelu({ d, m: cfg.m, form: cfg.arch, tau0, dtype }, gen);
}
