// A CPU-size ResNet for 28x28 Fashion-MNIST: the same pre-activation design as the WideResNet
// (wideResNet.ts; BN -> ReLU -> conv blocks, 1x1 shortcut conv where channels change, noise
// after every BatchNorm), with a configurable base width b: stem b, groups b, 2b, 4b (strides
// 1, 2, 2), (depth - 4) / 6 blocks per group. The default depth 10, b = 16 is WRN-10-1
// (77,562 parameters on 1 channel and 10 classes). Measured forward + backward at batch 128 on
// 28x28: about 115 ms per batch on 2 idle CPU cores (~9 s per 10k-image epoch), 0.5-1.8 s when
// the cores are shared with other jobs; baseWidth 8 has about a quarter of the compute.
import type { PreActWidths } from './preActResNet.js';

export interface SmallResNetConfig { depth: number; baseWidth: number }

export function validateSmallResNetConfig(c: SmallResNetConfig, where = 'smallResNet'): void {
  if (!Number.isInteger(c.depth) || c.depth < 10 || (c.depth - 4) % 6 !== 0) {
    throw new Error(`${where}: depth must be an integer >= 10 with (depth - 4) % 6 === 0 (10, 16, ...), got ${JSON.stringify(c.depth)}`);
  }
  if (!Number.isInteger(c.baseWidth) || c.baseWidth < 1) throw new Error(`${where}: baseWidth must be a positive integer, got ${JSON.stringify(c.baseWidth)}`);
}

/** Widths of the small ResNet: stem b, groups b, 2b, 4b, (depth - 4) / 6 blocks per group. */
export function smallResNetWidths(depth: number, baseWidth: number): PreActWidths {
  validateSmallResNetConfig({ depth, baseWidth });
  return { stem: baseWidth, groups: [baseWidth, 2 * baseWidth, 4 * baseWidth], blocksPerGroup: (depth - 4) / 6 };
}
