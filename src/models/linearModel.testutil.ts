// A test-only architecture for registry tests: a linear classifier on the flattened image, with
// one key of its own (`scale`, checked by its schema). Not registered by default: a test that
// registers it shows that an entry alone makes an arch usable everywhere.
import type { Device, Generator, Tensor } from '../engine/index.js';
import { tidy } from '../engine/index.js';
import { Parameters } from '../nn/parameters.js';
import { object, positiveInt, z } from '../util/schema.js';
import { addLinear, fc, forwardContext } from './layers.js';
import type { ImageForwardOptions, ImageModel, ImageModelEntry, ImageModelOptions, ImageShape } from './types.js';

export const linearSchema = object({ arch: z.literal('test-linear'), scale: positiveInt().max(10, { error: 'must be at most 10' }) });
export type LinearConfig = z.infer<typeof linearSchema>;

export class LinearModel implements ImageModel<LinearConfig> {
  readonly params = new Parameters();
  readonly batchNorms: readonly string[] = [];
  readonly dtype: ImageModelOptions['dtype'];
  readonly device: Device;
  constructor(readonly config: LinearConfig, readonly shape: ImageShape, opts: ImageModelOptions, gen: Generator) {
    this.dtype = opts.dtype;
    this.device = opts.device;
    addLinear(this.params, 'fc', shape.inChannels * shape.height * shape.width, shape.classes, gen, opts.dtype, opts.device, 'uniform');
  }
  forward(x: Tensor, opts: ImageForwardOptions): Tensor {
    const ctx = forwardContext('test-linear forward', this.params, opts);
    return tidy(() => fc(ctx, 'fc', x.reshape([x.shape[0]!, -1])).mul(this.config.scale));
  }
  dispose(): void { this.params.dispose(); }
}

export const linearModel: ImageModelEntry<LinearConfig> = {
  arch: 'test-linear',
  schema: linearSchema,
  create: (c, shape, opts, gen) => new LinearModel(c, shape, opts, gen),
  describe: (c) => `linear x${c.scale}`,
};
