// A CPU-size ResNet for 28x28 Fashion-MNIST: the same pre-activation design as the WideResNet
// (preActResNet.ts; BN -> ReLU -> conv blocks, 1x1 shortcut conv where channels change, noise
// after every BatchNorm), with a configurable base width b: stem b, groups b, 2b, 4b (strides
// 1, 2, 2), (depth - 4) / 6 blocks per group. Depth 10 with b = 16 is WRN-10-1
// (77,562 parameters on 1 channel and 10 classes). Measured forward + backward at batch 128 on
// 28x28: about 115 ms per batch on 2 idle CPU cores (~9 s per 10k-image epoch), 0.5-1.8 s when
// the cores are shared with other jobs; baseWidth 8 has about a quarter of the compute.
import { object, parseConfig, positiveInt, z } from '../util/schema.js';
import { PreActResNet, preActDepth, type PreActWidths } from './preActResNet.js';
import type { ImageModelEntry } from './types.js';

/** The model section of the small ResNet. */
export const smallResNetSchema = object({
  arch: z.literal('resnet'),
  depth: preActDepth(),
  /** The base width b: stem b, group widths b, 2b, 4b. */
  baseWidth: positiveInt(),
});
export type SmallResNetConfig = z.infer<typeof smallResNetSchema>;

/** Widths of the small ResNet: stem b, groups b, 2b, 4b, (depth - 4) / 6 blocks per group. */
export function smallResNetWidths(depth: number, baseWidth: number): PreActWidths {
  parseConfig(smallResNetSchema, { arch: 'resnet', depth, baseWidth }, 'model');
  return { stem: baseWidth, groups: [baseWidth, 2 * baseWidth, 4 * baseWidth], blocksPerGroup: (depth - 4) / 6 };
}

/** The registry entry of 'resnet'. */
export const smallResNetModel: ImageModelEntry<SmallResNetConfig> = {
  arch: 'resnet',
  schema: smallResNetSchema,
  create: (c, shape, opts, gen) => new PreActResNet(c, shape, opts, smallResNetWidths(c.depth, c.baseWidth), gen),
  describe: (c) => `PreActResNet-${c.depth} (base width ${c.baseWidth})`,
};
