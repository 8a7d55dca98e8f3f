// An MLP with BatchNorm for flattened images: per hidden layer Linear -> BN -> (noise) -> ReLU,
// then Linear to the classes. Linear layers use torch.nn.Linear's default init (weight and bias
// U(-1/sqrt(in), 1/sqrt(in))); BN gamma 1, beta 0. The pre-activation noise is one feature
// vector [1, F] per batch, shared across the batch, fresh at every layer and call.
// Names: fc1, bn1, fc2, bn2, ..., fc{L+1} (the classifier).
import { Generator, Tensor, tidy } from '../engine/index.js';
import { Parameters } from '../nn/parameters.js';
import type { ImageForwardOptions, ImageModel, ResolvedImageModelConfig } from './imageModel.js';
import { addBatchNorm, bnNoiseRelu } from './batchNorm.js';
import { addLinear, fc, forwardContext } from './layers.js';

export interface MlpBnConfig { hidden: number[]; inFeatures: number; classes: number }

export function validateMlpBnConfig(c: MlpBnConfig, where = 'MlpBn'): void {
  if (!Array.isArray(c.hidden) || c.hidden.length === 0 || c.hidden.some((h) => !Number.isInteger(h) || h < 1)) {
    throw new Error(`${where}: hidden must be a non-empty array of positive integers, got ${JSON.stringify(c.hidden)}`);
  }
  if (!Number.isInteger(c.inFeatures) || c.inFeatures < 1) throw new Error(`${where}: inFeatures must be a positive integer, got ${JSON.stringify(c.inFeatures)}`);
  if (!Number.isInteger(c.classes) || c.classes < 2) throw new Error(`${where}: classes must be an integer >= 2, got ${JSON.stringify(c.classes)}`);
}

export class MlpBn implements ImageModel {
  readonly params = new Parameters();
  readonly config: Readonly<ResolvedImageModelConfig>;
  readonly batchNorms: readonly string[];
  readonly inFeatures: number;

  /** Draws from gen, in order: fc1 weight and bias, fc2 weight and bias, ... */
  constructor(config: ResolvedImageModelConfig, gen: Generator) {
    this.inFeatures = config.inChannels * config.height * config.width;
    validateMlpBnConfig({ hidden: config.hidden, inFeatures: this.inFeatures, classes: config.classes });
    this.config = Object.freeze({ ...config, hidden: [...config.hidden] });
    const { dtype, device } = config;
    const bns: string[] = [];
    try {
      let inF = this.inFeatures;
      config.hidden.forEach((h, i) => {
        addLinear(this.params, `fc${i + 1}`, inF, h, gen, dtype, device, 'uniform');
        addBatchNorm(this.params, `bn${i + 1}`, h, dtype, device);
        bns.push(`bn${i + 1}`);
        inF = h;
      });
      addLinear(this.params, `fc${config.hidden.length + 1}`, inF, config.classes, gen, dtype, device, 'uniform');
    } catch (e) {
      this.params.dispose();
      throw e;
    }
    this.batchNorms = Object.freeze(bns);
  }

  /** Logits [N, classes] from x [N, C, H, W] or [N, C*H*W]. */
  forward(x: Tensor, opts: ImageForwardOptions): Tensor {
    const where = 'mlp forward';
    const c = this.config;
    if (!(x instanceof Tensor)) throw new Error(`${where}: x must be a Tensor`);
    const s = x.shape;
    const ok = (s.length === 4 && s[1] === c.inChannels && s[2] === c.height && s[3] === c.width) || (s.length === 2 && s[1] === this.inFeatures);
    if (!ok || s[0]! < 1) throw new Error(`${where}: x must have shape [N, ${c.inChannels}, ${c.height}, ${c.width}] or [N, ${this.inFeatures}], got [${s.join(',')}]`);
    if (x.dtype !== c.dtype) throw new Error(`${where}: x has dtype ${x.dtype} but the model is ${c.dtype}`);
    const ctx = forwardContext(where, this.params, opts);
    return tidy(() => {
      let h = s.length === 4 ? x.reshape([s[0]!, this.inFeatures]) : x;
      c.hidden.forEach((_, i) => { h = bnNoiseRelu(ctx, `bn${i + 1}`, fc(ctx, `fc${i + 1}`, h)); });
      return fc(ctx, `fc${c.hidden.length + 1}`, h);
    });
  }

  dispose(): void { this.params.dispose(); }
}
