// The pre-activation residual network of the authors' WideResNet (their models/wideresnet.py,
// adapted from xternalz/WideResNet-pytorch), used for WRN-16-k and for the CPU-size ResNet:
//
//   conv1 (3x3, 16 channels)
//   block1, block2, block3: n = (depth - 4) / 6 basic blocks each, widths w1, w2, w3, the first
//     block of each group with stride 1, 2, 2
//   bn1 -> relu -> global average pool -> fc  (the authors' avg_pool2d(8) on the 8x8 map of a
//   32x32 input; a global mean here, so other sizes such as 28x28 work too)
//
// A basic block is BN -> ReLU -> conv3x3(stride) -> BN -> ReLU -> conv3x3, plus the shortcut.
// When the channel count (or stride) changes, the shortcut is a 1x1 conv (stride s) applied to
// the block's BN-ReLU output, which the conv path shares (the authors' `x = relu1(bn1(x))`);
// otherwise it is the identity on the raw input. Dropout 0. Pre-activation noise (Appendix H.1)
// is added after each BatchNorm, before its ReLU: 2 sites per block and the final bn1.
// Tensor names follow the authors' state_dict (e.g. 'block2.layer_nn.0.convShortcut.weight').
import { Generator, Tensor, tidy, type Device } from '../engine/index.js';
import { Parameters } from '../nn/parameters.js';
import { int, object, parseConfig, positiveInt, z } from '../util/schema.js';
import type { ImageForwardOptions, ImageModel, ImageModelEntry, ImageModelOptions, ImageModelSection, ImageShape } from './types.js';
import { addBatchNorm, bnNoiseRelu } from './batchNorm.js';
import { addConv, addLinear, checkImages, conv, fc, forwardContext, type ForwardContext } from './layers.js';

/** Widths and blocks of a pre-activation ResNet: stem width, three group widths, blocks per group. */
export interface PreActWidths { stem: number; groups: [number, number, number]; blocksPerGroup: number }

const DEPTH = 'must be an integer >= 10 with (depth - 4) % 6 === 0 (10, 16, 22, 28, ...)';
/** The depth of a pre-activation ResNet: 4 + 6n, n >= 1 basic blocks in each of the three groups. */
export const preActDepth = () => int(DEPTH).min(10, { error: DEPTH }).refine((d) => (d - 4) % 6 === 0, { error: DEPTH });

/** The model section of the authors' WideResNet-depth-k (WRN-16-10 in the paper). */
export const wideResNetSchema = object({
  arch: z.literal('wrn'),
  depth: preActDepth(),
  /** The widening factor k: group widths 16k, 32k, 64k. */
  widen: positiveInt(),
});
export type WideResNetConfig = z.infer<typeof wideResNetSchema>;

/** WRN-depth-k: stem 16, widths 16k, 32k, 64k, (depth - 4) / 6 blocks per group. */
export function wideResNetWidths(depth: number, widen: number): PreActWidths {
  parseConfig(wideResNetSchema, { arch: 'wrn', depth, widen }, 'model');
  return { stem: 16, groups: [16 * widen, 32 * widen, 64 * widen], blocksPerGroup: (depth - 4) / 6 };
}

/** The registry entry of 'wrn'. */
export const wideResNetModel: ImageModelEntry<WideResNetConfig> = {
  arch: 'wrn',
  schema: wideResNetSchema,
  create: (c, shape, opts, gen) => new PreActResNet(c, shape, opts, wideResNetWidths(c.depth, c.widen), gen),
  describe: (c) => `WRN-${c.depth}-${c.widen}`,
};

interface Block { name: string; inC: number; outC: number; stride: number; shortcut: boolean }

/** A pre-activation ResNet in the authors' WideResNet design (see the file comment). */
export class PreActResNet<C extends ImageModelSection = ImageModelSection> implements ImageModel<C> {
  readonly params = new Parameters();
  readonly config: Readonly<C>;
  readonly shape: Readonly<ImageShape>;
  readonly dtype: ImageModelOptions['dtype'];
  readonly device: Device;
  readonly widths: Readonly<PreActWidths>;
  readonly batchNorms: readonly string[];
  private readonly blocks: Block[] = [];

  /** Draws from gen, in order: conv1, then per block conv1, conv2, convShortcut, then fc.weight. */
  constructor(config: C, shape: ImageShape, opts: ImageModelOptions, widths: PreActWidths, gen: Generator) {
    this.config = Object.freeze(structuredClone(config));
    this.shape = Object.freeze({ ...shape });
    this.dtype = opts.dtype;
    this.device = opts.device;
    this.widths = Object.freeze({ ...widths, groups: [...widths.groups] as [number, number, number] });
    const { dtype, device } = opts;
    const { inChannels, classes } = shape;
    const p = this.params;
    const bns: string[] = [];
    try {
      addConv(p, 'conv1', inChannels, widths.stem, 3, gen, dtype, device);
      let inC = widths.stem;
      widths.groups.forEach((outC, g) => {
        for (let i = 0; i < widths.blocksPerGroup; i++) {
          const stride = i === 0 && g > 0 ? 2 : 1;
          const b: Block = { name: `block${g + 1}.layer_nn.${i}`, inC, outC, stride, shortcut: inC !== outC || stride !== 1 };
          addBatchNorm(p, `${b.name}.bn1`, inC, dtype, device);
          addConv(p, `${b.name}.conv1`, inC, outC, 3, gen, dtype, device);
          addBatchNorm(p, `${b.name}.bn2`, outC, dtype, device);
          addConv(p, `${b.name}.conv2`, outC, outC, 3, gen, dtype, device);
          if (b.shortcut) addConv(p, `${b.name}.convShortcut`, inC, outC, 1, gen, dtype, device);
          bns.push(`${b.name}.bn1`, `${b.name}.bn2`);
          this.blocks.push(b);
          inC = outC;
        }
      });
      addBatchNorm(p, 'bn1', inC, dtype, device);
      bns.push('bn1');
      addLinear(p, 'fc', inC, classes, gen, dtype, device, 'zero');
    } catch (e) {
      p.dispose();
      throw e;
    }
    this.batchNorms = Object.freeze(bns);
  }

  forward(x: Tensor, opts: ImageForwardOptions): Tensor {
    const where = `${this.config.arch} forward`;
    checkImages(where, x, { ...this.shape, dtype: this.dtype });
    const ctx = forwardContext(where, this.params, opts);
    return tidy(() => {
      let out = conv(ctx, 'conv1', x, 1, 1);
      for (const b of this.blocks) out = this.block(ctx, b, out);
      out = bnNoiseRelu(ctx, 'bn1', out).mean([2, 3]);
      return fc(ctx, 'fc', out);
    });
  }

  private block(ctx: ForwardContext, b: Block, x: Tensor): Tensor {
    const a = bnNoiseRelu(ctx, `${b.name}.bn1`, x);
    let out = conv(ctx, `${b.name}.conv1`, a, b.stride, 1);
    out = bnNoiseRelu(ctx, `${b.name}.bn2`, out);
    out = conv(ctx, `${b.name}.conv2`, out, 1, 1);
    return (b.shortcut ? conv(ctx, `${b.name}.convShortcut`, a, b.stride, 0) : x).add(out);
  }

  dispose(): void { this.params.dispose(); }
}

/**
 * Number of trainable parameters of a pre-activation ResNet, by formula (conv weights, BN gamma
 * and beta, fc weight and bias); 17,116,634 for WRN-16-10 on 3 channels and 10 classes.
 */
export function preActResNetParameterCount(w: PreActWidths, inChannels: number, classes: number): number {
  let n = 9 * inChannels * w.stem;
  let inC = w.stem;
  w.groups.forEach((outC, g) => {
    for (let i = 0; i < w.blocksPerGroup; i++) {
      const stride = i === 0 && g > 0 ? 2 : 1;
      n += 2 * inC + 9 * inC * outC + 2 * outC + 9 * outC * outC;
      if (inC !== outC || stride !== 1) n += inC * outC;
      inC = outC;
    }
  });
  return n + 2 * inC + inC * classes + classes;
}
