// The two-layer convolutional net of Appendix F.2: one shared filter bank U applied to
// overlapping patches of the input, relu, then a fixed random second layer per patch:
//   f(x) = sum_i u_i^T relu(U x_(i)),  x_(i) = (x_{(i-1)d/k+1}, ..., x_{(i-1)d/k+d})
// ("a convolution network with [m/k] channels, patch size d and stride d/k", F.2).
//
// Input layout (a decision; F.2's OCR is garbled): the input is the concatenation
// x = (x1, x2) in R^{2d}, cut into patches of size d at stride d/k. That gives k + 1 patches:
// patch 1 is exactly x1, patch k + 1 is exactly x2, the ones between straddle both. F.2 writes
// the sum over i in [k], but with this patch formula the first k patches end at coordinate
// 2d - d/k and never see the last d/k coordinates of x2, exactly where F.2 assumes "z, zeta are
// only supported on the last d/k coordinates"; so the last patch is kept (it is the one that
// carries Q, matching F.6 g(x) = N(u, U; (0, x2))). The paper's channel count is m/k with m the
// total second-layer size; here it is `channels`, and the second layer u = (u_1, ..., u_{k+1}),
// u_i in R^channels, has entries iid uniform in {-1/sqrt(M), +1/sqrt(M)}, M = channels * (k+1)
// ("the absolute value of each entry of u_i is m^{-1/2}", proof of Lemma F.4). u is fixed.
import { Generator, Tensor, cat, conv2d, noGrad, randn, tidy, zeros } from '../engine/index.js';
import { Parameters } from '../nn/parameters.js';
import {
  addPreActivationNoise, checkInput, noiseStd, qContrastOf, randomSigns,
  type ForwardOptions, type SyntheticModel,
} from './twoLayerRelu.js';

export interface TwoLayerConvConfig {
  /** Dimension of x1 and of x2, and the patch size. */
  d: number;
  /** Stride d/k: k must divide d. The net has k + 1 patches over (x1, x2). */
  k: number;
  /** Number of filters (channels); the paper's m/k. */
  channels: number;
  /** Std of the iid Gaussian init of the filters U [channels, d]. */
  tau0: number;
  /** Weights' dtype (default float64); inputs must match. */
  dtype?: 'float32' | 'float64';
}

export function validateTwoLayerConvConfig(cfg: TwoLayerConvConfig): void {
  const fail = (key: string, msg: string, v: unknown): never => { throw new Error(`twoLayerConv config: ${key} ${msg}, got ${JSON.stringify(v)}`); };
  if (!Number.isInteger(cfg.d) || cfg.d < 1) fail('d', 'must be a positive integer', cfg.d);
  if (!Number.isInteger(cfg.k) || cfg.k < 1 || cfg.k > cfg.d) fail('k', `must be an integer in [1, d=${cfg.d}]`, cfg.k);
  if (cfg.d % cfg.k !== 0) fail('k', `must divide d=${cfg.d} (stride d/k)`, cfg.k);
  if (!Number.isInteger(cfg.channels) || cfg.channels < 1) fail('channels', 'must be a positive integer', cfg.channels);
  if (!(cfg.tau0 >= 0 && Number.isFinite(cfg.tau0))) fail('tau0', 'must be a finite number >= 0', cfg.tau0);
  if (cfg.dtype !== undefined && cfg.dtype !== 'float32' && cfg.dtype !== 'float64') fail('dtype', "must be 'float32' or 'float64'", cfg.dtype);
}

/** The two-layer convolutional net of Appendix F.2 (parameter 'U', buffer 'u' [k+1, channels]). */
export class TwoLayerConv implements SyntheticModel {
  readonly params = new Parameters();
  readonly config: Readonly<Required<TwoLayerConvConfig>>;
  /** Number of patches, k + 1. */
  readonly patches: number;
  /** Stride d/k. */
  readonly stride: number;

  /** Draws, in this order from gen: the second layer u, then the filters U. */
  constructor(cfg: TwoLayerConvConfig, gen: Generator) {
    validateTwoLayerConvConfig(cfg);
    const config = { ...cfg, dtype: cfg.dtype ?? 'float64' };
    this.config = config;
    const { d, k, channels, tau0, dtype } = config;
    this.patches = k + 1;
    this.stride = d / k;
    const P = this.patches;
    this.params.addBuffer('u', tidy(() => randomSigns(P * channels, P * channels, gen, dtype).reshape([P, channels])));
    this.params.add('U', noGrad(() => randn([channels, d], gen, { dtype }).mul(tau0)));
  }

  forward(x1: Tensor, x2: Tensor, opts: ForwardOptions = {}): Tensor {
    return this.forwardWith({ U: this.params.get('U') }, x1, x2, opts);
  }

  /** Pre-activations [n, channels, k+1]: entry (j, i) is <U_j, x_(i)>, one conv for the batch. */
  preActivations(U: Tensor, x1: Tensor, x2: Tensor): Tensor {
    const { d, channels } = this.config;
    return tidy(() => {
      const n = x1.shape[0]!;
      const x = cat([x1, x2], 1).reshape([n, 1, 1, 2 * d]);
      return conv2d(x, U.reshape([channels, 1, 1, d]), null, { stride: [1, this.stride] }).reshape([n, channels, this.patches]);
    });
  }

  forwardWith(weights: Record<string, Tensor>, x1: Tensor, x2: Tensor, opts: ForwardOptions = {}): Tensor {
    const { d, dtype } = this.config;
    const U = weights.U;
    if (!(U instanceof Tensor)) throw new Error("twoLayerConv: weights has no tensor 'U'");
    const n1 = checkInput('forward', 'x1', x1, d, dtype);
    const n2 = checkInput('forward', 'x2', x2, d, dtype);
    if (n1 !== n2) throw new Error(`forward: x1 and x2 have different numbers of rows (${n1} and ${n2})`);
    const std = noiseStd('forward', opts);
    return tidy(() => {
      const h = addPreActivationNoise(this.preActivations(U, x1, x2), std, opts).relu();
      return h.mul(this.params.get('u').T).sum([1, 2]);
    });
  }

  g(x2: Tensor, opts: ForwardOptions = {}): Tensor {
    const { d, dtype } = this.config;
    const n = checkInput('g', 'x2', x2, d, dtype);
    return tidy(() => this.forward(zeros([n, d], { dtype }), x2, opts));
  }

  r(x1: Tensor, opts: ForwardOptions = {}): Tensor {
    const { d, dtype } = this.config;
    const n = checkInput('r', 'x1', x1, d, dtype);
    return tidy(() => this.forward(x1, zeros([n, d], { dtype }), opts));
  }

  sqNorm(weights: Record<string, Tensor> = { U: this.params.get('U') }): Tensor {
    const U = weights.U;
    if (!(U instanceof Tensor)) throw new Error("twoLayerConv: weights has no tensor 'U'");
    return U.square().sum();
  }

  /** The filters are shared by x1 and x2, so only ||U|| is reported. */
  norms(): { U: number } {
    return noGrad(() => tidy(() => ({ U: this.params.get('U').norm().item() })));
  }

  qContrast(zv: Tensor, zeta: Tensor): number { return qContrastOf(this, zv, zeta); }

  dispose(): void { this.params.dispose(); }
}
