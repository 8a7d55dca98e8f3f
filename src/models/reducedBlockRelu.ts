// The block net of Section 2, f = w^T relu(W x1) + v^T relu(V x2), with V kept in the exact reduced
// form the Q inputs allow. Every x2 lies in span(zv, zeta) (x2 = s a (zv + c zeta), or 0), so
// V x2 = Vspan (B^T x2) with B = [e1, e2] an orthonormal basis of that span and Vspan = V B, an
// [mV, 2] matrix: only Vspan is seen by the loss, and the loss's gradient w.r.t. V lies in the span
// too. The rest of V, its component Vperp orthogonal to the span (mV (d - 2) numbers), changes only by
// weight decay and gradient noise, which are isotropic:
//   Vperp' = (1 - eta lambda) Vperp - eta tauXi xi_perp,  xi_perp ~ N(0, I) in mV (d - 2) dimensions,
// and nothing reads it but ||V||. So the model keeps only S = ||Vperp||_F^2, updated exactly in law:
// splitting xi_perp along Vperp and across it,
//   S' = (a sqrt(S) + sigma g)^2 + sigma^2 chi^2_{k - 1},  a = 1 - eta lambda, sigma = eta tauXi,
// with g ~ N(0, 1) and k = mV (d - 2) (at init, S = tau0^2 chi^2_k). In exact arithmetic (float64 is
// within round-off; float32 inputs sit ~1e-7 |x2| off the span) the trajectory of (W, Vspan, S)
// has the same distribution as the full model's (W, V B, ||V - V B B^T||^2); it is not the same
// draw (the full model draws mV d noise numbers for V, this one 2 mV + 2). Cost: V's share of a step
// falls from mV d to mV 2 multiply-adds per example, and its noise from mV d draws to 2 mV + 2.
import { Generator, Tensor, cat, chiSquared, keep, noGrad, randn, tensor, tidy, type DType } from '../engine/index.js';
import { Parameters } from '../nn/parameters.js';
import {
  addBlockWeights, blockWidths, checkInput, checkInputPair, noiseStd, reluUnit, qContrastOf, validateTwoLayerReluConfig, x2Unit,
  type BlockView, type ForwardOptions, type SyntheticModel, type TwoLayerReluConfig, type UpdateInfo,
} from './twoLayerRelu.js';

export interface ReducedBlockReluConfig extends Omit<TwoLayerReluConfig, 'form'> {
  /** Q's direction zv and offset zeta ([d], any float dtype): the span every x2 lies in. */
  zv: Tensor;
  zeta: Tensor;
}

/** An orthonormal basis [d, 2] of span(zv, zeta) (Gram-Schmidt in float64), in dtype. */
function spanBasis(zv: Tensor, zeta: Tensor, dtype: DType): Tensor {
  return tidy(() => {
    const a = zv.to({ dtype: 'float64' }).reshape([-1, 1]), b = zeta.to({ dtype: 'float64' }).reshape([-1, 1]);
    const e1 = a.div(a.norm().item());
    const rest = b.sub(e1.mul(e1.mul(b).sum().item()));
    const n2 = rest.norm().item();
    if (!(n2 > 0)) throw new Error('reducedBlockRelu: zeta must not be parallel to zv');
    return keep(cat([e1, rest.div(n2)], 1).to({ dtype }));
  });
}

export class ReducedBlockRelu implements SyntheticModel {
  readonly params = new Parameters();
  readonly config: Readonly<Omit<ReducedBlockReluConfig, 'zv' | 'zeta'> & { dtype: DType }>;
  /** Orthonormal basis of span(zv, zeta), [d, 2]. */
  private readonly basis: Tensor;
  /** Degrees of freedom of Vperp: mV (d - 2). */
  private readonly perpDim: number;

  /** Draws, in this order from gen: the second layer (w, then v), W, Vspan, then S = ||Vperp||^2. */
  constructor(cfg: ReducedBlockReluConfig, gen: Generator) {
    const { zv, zeta, ...rest } = cfg;
    validateTwoLayerReluConfig({ ...rest, form: 'block' });
    if (rest.d < 3) throw new Error(`reducedBlockRelu: d must be >= 3 (V has a complement to the 2-D span), got ${rest.d}`);
    const config = { ...rest, dtype: rest.dtype ?? 'float64' };
    this.config = config;
    const { d, tau0, dtype } = config;
    this.basis = spanBasis(zv, zeta, dtype);
    this.perpDim = blockWidths(config).mV * (d - 2);
    addBlockWeights(this.params, { ...config, form: 'block' }, gen, 'Vspan', 2);
    this.params.addBuffer('vPerpSq', tensor([tau0 * tau0 * chiSquared(this.perpDim, gen)], { dtype: 'float64' }));
  }

  /** The coordinates B^T x2 of Q inputs [n, d] in the span's basis, [n, 2] (what Vspan multiplies). */
  coordinates(x2: Tensor): Tensor { return x2.matmul(this.basis); }
  private readonly toCoordinates = (x2: Tensor) => this.coordinates(x2);

  /** Names of the weights acting on x1 and on x2 and the input the latter multiplies. */
  blockView(): BlockView {
    return { w: 'W', v: 'Vspan', vInput: this.toCoordinates, vBasis: this.basis };
  }

  private weights(): Record<string, Tensor> { return Object.fromEntries(this.params.named()); }

  private weight(weights: Record<string, Tensor>, name: string): Tensor {
    const t = weights[name];
    if (!(t instanceof Tensor)) throw new Error(`reducedBlockRelu: weights has no tensor '${name}'`);
    return t;
  }

  forward(x1: Tensor, x2: Tensor, opts: ForwardOptions = {}): Tensor { return this.forwardWith(this.weights(), x1, x2, opts); }

  forwardWith(weights: Record<string, Tensor>, x1: Tensor, x2: Tensor, opts: ForwardOptions = {}): Tensor {
    checkInputPair(x1, x2, this.config.d, this.config.dtype);
    const std = noiseStd('forward', opts);
    return tidy(() => reluUnit(x1, this.weight(weights, 'W'), this.params.get('uW'), std, opts)
      .add(x2Unit(x2, this.toCoordinates, this.weight(weights, 'Vspan'), this.params.get('uV'), std, opts)));
  }

  g(x2: Tensor, opts: ForwardOptions = {}): Tensor {
    checkInput('g', 'x2', x2, this.config.d, this.config.dtype);
    return tidy(() => x2Unit(x2, this.toCoordinates, this.params.get('Vspan'), this.params.get('uV'), noiseStd('g', opts), opts));
  }

  r(x1: Tensor, opts: ForwardOptions = {}): Tensor {
    checkInput('r', 'x1', x1, this.config.d, this.config.dtype);
    return tidy(() => reluUnit(x1, this.params.get('W'), this.params.get('uW'), noiseStd('r', opts), opts));
  }

  /** ||W||^2 + ||V||^2, V's complement entering as the constant S. */
  sqNorm(weights: Record<string, Tensor> = this.weights()): Tensor {
    return tidy(() => this.weight(weights, 'W').square().sum().add(this.weight(weights, 'Vspan').square().sum()).add(this.perpSq()));
  }

  /** S = ||Vperp||_F^2. */
  perpSq(): number { return this.params.get('vPerpSq').item(); }

  norms(): { W: number; V: number; U: number } {
    return noGrad(() => tidy(() => {
      const w = this.params.get('W').norm().item();
      const v = Math.sqrt(this.params.get('Vspan').square().sum().item() + this.perpSq());
      return { W: w, V: v, U: Math.hypot(w, v) };
    }));
  }

  /** The exact-in-law update of S after an update of the trained weights (see the header). */
  afterUpdate(u: UpdateInfo): void {
    const a = 1 - u.lr * u.weightDecay, sigma = u.lr * u.gradNoiseStd;
    const S = this.perpSq();
    let next = a * a * S;
    if (sigma > 0) {
      if (!u.gen) throw new Error('reducedBlockRelu.afterUpdate: gradient noise needs a gen');
      const g = tidy(() => randn([1], u.gen!, { dtype: 'float64' }).toFloat64Array()[0]!);
      next = (a * Math.sqrt(S) + sigma * g) ** 2 + sigma * sigma * chiSquared(this.perpDim - 1, u.gen);
    }
    noGrad(() => this.params.get('vPerpSq').fill_(next));
  }

  qContrast(zv: Tensor, zeta: Tensor): number { return qContrastOf(this, zv, zeta); }

  dispose(): void { this.params.dispose(); this.basis.dispose(); }
}
