// Building blocks of the image models: the per-call forward context (mode, noise, weight
// overrides), PyTorch-style initializers for conv and linear weights, the pre-activation noise
// of Appendix H.1, and input checks.
import {
  Generator, Tensor, conv2d, linear, noGrad, randn, rand, zeros, type Device, type DType,
} from '../engine/index.js';
import type { Parameters } from '../nn/parameters.js';
import type { ImageForwardOptions } from './types.js';

/** Everything one forward pass needs besides the input. */
export interface ForwardContext {
  /** A trainable parameter (or its override) or a buffer, by name. */
  get(name: string): Tensor;
  readonly training: boolean;
  /** BatchNorm running-statistics momentum in training. */
  readonly momentum: number;
  /** Noise std; 0 when off (eval, or not asked for). */
  readonly noiseStd: number;
  readonly gen: Generator | null;
  readonly onNoise: ((site: string, noise: Tensor) => void) | null;
}

/** Check the forward options and build the context (`where` prefixes errors). */
export function forwardContext(where: string, params: Parameters, opts: ImageForwardOptions): ForwardContext {
  if (opts === null || typeof opts !== 'object' || typeof opts.training !== 'boolean') {
    throw new Error(`${where}: opts.training must be true or false, got ${JSON.stringify(opts?.training)}`);
  }
  const std = opts.noiseStd ?? 0;
  if (!(typeof std === 'number' && std >= 0 && Number.isFinite(std))) throw new Error(`${where}: noiseStd must be a finite number >= 0, got ${String(std)}`);
  const noiseStd = opts.training ? std : 0;
  if (noiseStd > 0 && !(opts.gen instanceof Generator)) throw new Error(`${where}: gen (a Generator) is required when training with noiseStd > 0`);
  const momentum = opts.bnMomentum ?? 0.1;
  if (!(typeof momentum === 'number' && momentum > 0 && momentum <= 1)) throw new Error(`${where}: bnMomentum must be in (0, 1], got ${String(momentum)}`);
  const weights = opts.weights ?? {};
  for (const k of Object.keys(weights)) {
    if (!params.named().some(([n]) => n === k)) throw new Error(`${where}: weights.${k} is not a trainable parameter of the model`);
  }
  return {
    get: (name) => weights[name] ?? params.get(name),
    training: opts.training,
    momentum,
    noiseStd,
    gen: opts.gen ?? null,
    onNoise: opts.onNoise ?? null,
  };
}

/**
 * x + noiseStd * n with n ~ N(0, 1) of shape [1, 1, H, W] for x [N, C, H, W] (one map per batch,
 * shared across batch and channels, as the authors' forward_noise) or [1, F] for x [N, F].
 * Returns x itself when the noise is off.
 */
export function addPreActivationNoise(ctx: ForwardContext, site: string, x: Tensor): Tensor {
  if (ctx.noiseStd === 0) return x;
  const s = x.shape;
  const shape = s.length === 4 ? [1, 1, s[2]!, s[3]!] : s.length === 2 ? [1, s[1]!] : null;
  if (shape === null) throw new Error(`addPreActivationNoise: expected a 2-D or 4-D tensor at '${site}', got shape [${s.join(',')}]`);
  const gen = ctx.gen!;
  let n = randn(shape, gen, { dtype: x.dtype, device: gen.device });
  if (gen.device !== x.device) n = n.to({ device: x.device });
  if (ctx.onNoise) ctx.onNoise(site, n);
  return x.add(n.mul(ctx.noiseStd));
}

/**
 * Register a conv weight [out, in, k, k] drawn from N(0, 2 / (k * k * out)), the WideResNet init
 * (std sqrt(2 / (k^2 out_channels))); no bias.
 */
export function addConv(params: Parameters, name: string, inC: number, outC: number, k: number, gen: Generator, dtype: DType, device: Device): void {
  const std = Math.sqrt(2 / (k * k * outC));
  params.add(`${name}.weight`, onDevice(noGrad(() => {
    const w = randn([outC, inC, k, k], gen, { dtype, device: gen.device });
    const r = w.mul(std);
    w.dispose();
    return r;
  }), device));
}

/**
 * Register a linear layer as torch.nn.Linear's default: weight [out, in] ~ U(-1/sqrt(in), 1/sqrt(in));
 * bias [out] the same (biasInit 'uniform') or zero (biasInit 'zero', the WideResNet init).
 */
export function addLinear(params: Parameters, name: string, inF: number, outF: number, gen: Generator, dtype: DType, device: Device, biasInit: 'uniform' | 'zero'): void {
  const bound = 1 / Math.sqrt(inF);
  const uniform = (shape: number[]) => onDevice(noGrad(() => {
    const u = rand(shape, gen, { dtype, device: gen.device });
    const r = u.mul(2 * bound).sub(bound);
    u.dispose();
    return r;
  }), device);
  params.add(`${name}.weight`, uniform([outF, inF]));
  params.add(`${name}.bias`, biasInit === 'zero' ? zeros([outF], { dtype, device }) : uniform([outF]));
}

/** Move a fresh (unused elsewhere) tensor to a device, freeing the original. */
export function onDevice(t: Tensor, device: Device): Tensor {
  if (t.device === device) return t;
  const r = t.to({ device });
  t.dispose();
  return r;
}

export function conv(ctx: ForwardContext, name: string, x: Tensor, stride: number, padding: number): Tensor {
  return conv2d(x, ctx.get(`${name}.weight`), null, { stride, padding });
}

export function fc(ctx: ForwardContext, name: string, x: Tensor): Tensor {
  return linear(x, ctx.get(`${name}.weight`), ctx.get(`${name}.bias`));
}

/** Check an image batch [N, C, H, W] against the model's config. */
export function checkImages(where: string, x: Tensor, c: { inChannels: number; height: number; width: number; dtype: DType }): void {
  if (!(x instanceof Tensor)) throw new Error(`${where}: x must be a Tensor`);
  const s = x.shape;
  if (s.length !== 4 || s[1] !== c.inChannels || s[2] !== c.height || s[3] !== c.width) {
    throw new Error(`${where}: x must have shape [N, ${c.inChannels}, ${c.height}, ${c.width}], got [${s.join(',')}]`);
  }
  if (s[0]! < 1) throw new Error(`${where}: x is an empty batch`);
  if (x.dtype !== c.dtype) throw new Error(`${where}: x has dtype ${x.dtype} but the model is ${c.dtype}`);
}
