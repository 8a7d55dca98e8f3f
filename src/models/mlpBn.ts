// An MLP with BatchNorm for flattened images: per hidden layer Linear -> BN -> (noise) -> ReLU,
// then Linear to the classes. Linear layers use torch.nn.Linear's default init (weight and bias
// U(-1/sqrt(in), 1/sqrt(in))); BN gamma 1, beta 0. The pre-activation noise is one feature
// vector [1, F] per batch, shared across the batch, fresh at every layer and call.
// Names: fc1, bn1, fc2, bn2, ..., fc{L+1} (the classifier).
import { Generator, Tensor, tidy, type Device } from '../engine/index.js';
import { Parameters } from '../nn/parameters.js';
import { object, parseConfig, positiveInt, z } from '../util/schema.js';
import type { ImageForwardOptions, ImageModel, ImageModelEntry, ImageModelOptions, ImageShape } from './types.js';
import { addBatchNorm, bnNoiseRelu } from './batchNorm.js';
import { addLinear, fc, forwardContext } from './layers.js';

const HIDDEN = 'must be a non-empty array of positive integers';
/** The model section of the MLP: its hidden layer sizes (the classifier layer is added). */
export const mlpBnSchema = object({
  arch: z.literal('mlp'),
  hidden: z.array(positiveInt(), { error: HIDDEN }).min(1, { error: HIDDEN }),
});
export type MlpBnConfig = z.infer<typeof mlpBnSchema>;

/** The registry entry of 'mlp'. */
export const mlpBnModel: ImageModelEntry<MlpBnConfig> = {
  arch: 'mlp',
  schema: mlpBnSchema,
  create: (c, shape, opts, gen) => new MlpBn(c, shape, opts, gen),
  describe: (c) => `MLP with BatchNorm, hidden ${c.hidden.join('-')}`,
};

export class MlpBn implements ImageModel<MlpBnConfig> {
  readonly params = new Parameters();
  readonly config: Readonly<MlpBnConfig>;
  readonly shape: Readonly<ImageShape>;
  readonly dtype: ImageModelOptions['dtype'];
  readonly device: Device;
  readonly batchNorms: readonly string[];
  readonly inFeatures: number;

  /** Draws from gen, in order: fc1 weight and bias, fc2 weight and bias, ... */
  constructor(config: MlpBnConfig, shape: ImageShape, opts: ImageModelOptions, gen: Generator) {
    this.config = Object.freeze(parseConfig(mlpBnSchema, config, 'model'));
    this.shape = Object.freeze({ ...shape });
    this.dtype = opts.dtype;
    this.device = opts.device;
    this.inFeatures = shape.inChannels * shape.height * shape.width;
    const { dtype, device } = opts;
    const bns: string[] = [];
    try {
      let inF = this.inFeatures;
      this.config.hidden.forEach((h, i) => {
        addLinear(this.params, `fc${i + 1}`, inF, h, gen, dtype, device, 'uniform');
        addBatchNorm(this.params, `bn${i + 1}`, h, dtype, device);
        bns.push(`bn${i + 1}`);
        inF = h;
      });
      addLinear(this.params, `fc${this.config.hidden.length + 1}`, inF, shape.classes, gen, dtype, device, 'uniform');
    } catch (e) {
      this.params.dispose();
      throw e;
    }
    this.batchNorms = Object.freeze(bns);
  }

  /** Logits [N, classes] from x [N, C, H, W] or [N, C*H*W]. */
  forward(x: Tensor, opts: ImageForwardOptions): Tensor {
    const where = 'mlp forward';
    const c = this.shape;
    const { hidden } = this.config;
    if (!(x instanceof Tensor)) throw new Error(`${where}: x must be a Tensor`);
    const s = x.shape;
    const ok = (s.length === 4 && s[1] === c.inChannels && s[2] === c.height && s[3] === c.width) || (s.length === 2 && s[1] === this.inFeatures);
    if (!ok || s[0]! < 1) throw new Error(`${where}: x must have shape [N, ${c.inChannels}, ${c.height}, ${c.width}] or [N, ${this.inFeatures}], got [${s.join(',')}]`);
    if (x.dtype !== this.dtype) throw new Error(`${where}: x has dtype ${x.dtype} but the model is ${this.dtype}`);
    const ctx = forwardContext(where, this.params, opts);
    return tidy(() => {
      let h = s.length === 4 ? x.reshape([s[0]!, this.inFeatures]) : x;
      hidden.forEach((_, i) => { h = bnNoiseRelu(ctx, `bn${i + 1}`, fc(ctx, `fc${i + 1}`, h)); });
      return fc(ctx, `fc${hidden.length + 1}`, h);
    });
  }

  dispose(): void { this.params.dispose(); }
}
