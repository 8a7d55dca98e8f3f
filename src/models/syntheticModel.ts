// The model section of a synthetic experiment's config and the model it builds: the two-layer relu
// net of Section 2 (block or full form) or the two-layer convolutional net of Appendix F.2. The
// section is a discriminated union on `arch`, so each architecture carries only its own keys.
import type { Generator, Tensor } from '../engine/index.js';
import { ReducedBlockRelu } from './reducedBlockRelu.js';
import { fail, object, positiveInt, z } from '../util/schema.js';
import { TwoLayerConv } from './twoLayerConv.js';
import { TwoLayerRelu, type SyntheticModel } from './twoLayerRelu.js';

/**
 * 'block': U = [W; V] with W on x1 and V on x2 (main text); m is the hidden width, m/2 neurons per
 * block unless mW and mV (both, adding up to m) say otherwise. secondLayerScale: the second layer's
 * entries are +-1/sqrt(m) ('m', default) or +-1/sqrt(the block's width) ('block'). reduceQBlock:
 * train V through its projection onto span(zv, zeta), exact in law (reducedBlockRelu.ts).
 */
const blockModel = object({
  arch: z.literal('block'), m: positiveInt(), mW: positiveInt().optional(), mV: positiveInt().optional(),
  secondLayerScale: z.enum(['m', 'block'], { error: "must be 'm' or 'block'" }).optional(),
  reduceQBlock: z.boolean({ error: 'must be true or false' }).optional(),
}).superRefine((c, ctx) => {
  if ((c.mW === undefined) !== (c.mV === undefined)) fail(ctx, [c.mW === undefined ? 'mW' : 'mV'], 'must be given together with the other block width (mW, mV)', c.mW ?? c.mV);
  else if (c.mW !== undefined && c.mW + c.mV! !== c.m) fail(ctx, ['m'], `must equal mW + mV (${c.mW} + ${c.mV} = ${c.mW + c.mV!})`, c.m);
  else if (c.mW === undefined && c.m % 2 !== 0) fail(ctx, ['m'], 'must be even for arch block (m/2 neurons each for W and V), or give mW and mV', c.m);
});
/** 'full': one U acting on (x1, x2); m is the hidden width. */
const fullModel = object({ arch: z.literal('full'), m: positiveInt() });
/**
 * 'conv' (Appendix F.2): m filters (the paper's m/k channels) of patch size d at stride d/k; convK is
 * that k and must divide data.d (checked where the data section is known, by the experiment).
 */
const convModel = object({ arch: z.literal('conv'), m: positiveInt(), convK: positiveInt() });

export const syntheticModelSchema = z.discriminatedUnion('arch', [blockModel, fullModel, convModel]);
export type SyntheticModelConfig = z.infer<typeof syntheticModelSchema>;

/**
 * What the model takes from the rest of the config: the input dimension, the init std and the dtype;
 * and Q's directions zv and zeta, which the reduced Q block needs (required when reduceQBlock is on).
 */
export interface SyntheticModelInputs { d: number; tau0: number; dtype: 'float32' | 'float64'; zv?: Tensor; zeta?: Tensor }

/** The model of a section, its weights drawn from gen (the same draws as the model's own constructor). */
export function createSyntheticModel(cfg: SyntheticModelConfig, inputs: SyntheticModelInputs, gen: Generator): SyntheticModel {
  const { d, tau0, dtype } = inputs;
  if (cfg.arch === 'conv') return new TwoLayerConv({ d, k: cfg.convK, channels: cfg.m, tau0, dtype }, gen);
  if (cfg.arch === 'full') return new TwoLayerRelu({ d, m: cfg.m, form: 'full', tau0, dtype }, gen);
  const widths = { m: cfg.m, mW: cfg.mW, mV: cfg.mV, secondLayerScale: cfg.secondLayerScale };
  if (!cfg.reduceQBlock) return new TwoLayerRelu({ d, ...widths, form: 'block', tau0, dtype }, gen);
  if (!inputs.zv || !inputs.zeta) throw new Error('createSyntheticModel: reduceQBlock needs the problem\'s zv and zeta');
  return new ReducedBlockRelu({ d, ...widths, tau0, dtype, zv: inputs.zv, zeta: inputs.zeta }, gen);
}
