// The paper's two-layer relu network f(x) = u^T relu(U x) (Section 2), with the second layer u
// random and FIXED ("the second layer weight vector u is random initialized and fixed throughout
// this paper", Section 2), entries iid uniform in {-1/sqrt(m), +1/sqrt(m)} (Lemma A.8).
//
// Two structures of U in R^{m x 2d}:
// - 'block' (the main text): U = [W; V] stacked by ROWS, W acting on x1 only and V on x2 only,
//   so each neuron sees one block and "the model can be decomposed into
//   N_U(u,U;x) = N_W(w,W;x1) + N_V(v,V;x2)" (Section 2): f = w^T relu(W x1) + v^T relu(V x2),
//   with u = (w, v). W and V have m/2 rows each (the proof of Lemma 4.1, eq. D.8, sums the W
//   part over i = 1..m/2) unless mW and mV say otherwise (the reference experiments put 64 neurons
//   on x1 and 1024 on x2, with second-layer entries +-1/sqrt(block width): secondLayerScale 'block').
// - 'full': one U acting on concat(x1, x2), f = u^T relu(U [x1; x2]).
//
// Cost note (Q block): every Q input is x2 = s a (zv + c zeta), so V x2 = s a (V zv + c V zeta)
// depends only on V's projection onto span(zv, zeta), an [m/2, 2] matrix. The gradient of the
// logistic loss w.r.t. V lies in that span too (rows are multiples of x2), so the component of V
// orthogonal to it only shrinks by (1 - eta lambda) and takes the spherical noise xi: it never
// affects g. ReducedBlockRelu (reducedBlockRelu.ts) trains the 2 columns and keeps the complement
// as an exact statistic (its squared norm).
import {
  Generator, Tensor, bernoulli, cat, linear, noGrad, randn, tidy, zeros, type DType,
} from '../engine/index.js';
import { Parameters } from '../nn/parameters.js';
import type { X2Rays } from '../data/rays.js';

/** Options of one forward pass. */
export interface ForwardOptions {
  /**
   * Std of Gaussian noise added to every pre-activation, inside the relu and its activation
   * pattern (Appendix F.1): u^T relu(U x + Xi), Xi fresh at each call. 0 or absent: no noise.
   */
  preActivationNoise?: number;
  /** Generator of the noise (required when preActivationNoise > 0). */
  gen?: Generator;
  /**
   * false (default): an independent draw per example and neuron. true: one draw per neuron shared
   * by the whole batch, the literal reading of F.1's Xi_t ~ N(0, tau_t^2 I_m) per iteration.
   */
  noisePerBatch?: boolean;
  /**
   * x2's rows as rays (X2Rays): a block net then computes its V block on the rays' directions, once
   * each, wherever no noise is added (preActivationNoise 0); with noise, on the rows themselves.
   */
  x2Rays?: X2Rays;
}

/** u^T relu(A x2) per row of x2 given as rays, the unit evaluated on each direction once (`input` maps the directions to what A multiplies). */
export function rayUnit(rays: X2Rays, input: (x: Tensor) => Tensor, A: Tensor, u: Tensor): Tensor {
  return linear(input(rays.directions), A).relu().matmul(u).indexSelect(0, rays.index).mul(rays.scale);
}

/**
 * A block net's V block on x2: on its rays where they are given and no noise is added (rayUnit), else
 * on the rows (reluUnit of input(x2)).
 */
export function x2Unit(x2: Tensor, input: (x: Tensor) => Tensor, A: Tensor, u: Tensor, std: number, opts: ForwardOptions): Tensor {
  const rays = opts.x2Rays;
  if (rays && std === 0) {
    const n = x2.shape[0]!;
    if (rays.index.ndim !== 1 || rays.index.shape[0] !== n || rays.scale.ndim !== 1 || rays.scale.shape[0] !== n) {
      throw new Error(`x2Rays: index and scale must be [${n}] (one per row of x2), got [${rays.index.shape.join(', ')}] and [${rays.scale.shape.join(', ')}]`);
    }
    return rayUnit(rays, input, A, u);
  }
  return reluUnit(input(x2), A, u, std, opts);
}

/** One update of the trained weights, as the trainer made it: w <- w - lr (grad + weightDecay w + gradNoiseStd xi). */
export interface UpdateInfo { lr: number; weightDecay: number; gradNoiseStd: number; gen: Generator | null }

/**
 * A block net's weight acting on x1 (w), the one acting on x2 (v), and the input v multiplies:
 * vInput(x2), which is x2 itself, or x2 vBasis (one matmul) where vBasis [d, k] is given (a batched
 * program multiplies each part's stacked minibatch by it, as vInput would multiply that minibatch).
 */
export interface BlockView { w: string; v: string; vInput(x2: Tensor): Tensor; vBasis?: Tensor }

/** The interface shared by the synthetic experiment's models. */
export interface SyntheticModel {
  /** Trainable weights (W, V or U) and the fixed second layer as buffers. */
  readonly params: Parameters;
  /** f(x1, x2): [n] outputs from x1, x2 [n, d]. */
  forward(x1: Tensor, x2: Tensor, opts?: ForwardOptions): Tensor;
  /** forward with the given weight tensors in place of the model's parameters (same names). */
  forwardWith(weights: Record<string, Tensor>, x1: Tensor, x2: Tensor, opts?: ForwardOptions): Tensor;
  /** The network restricted to the Q part: g(x2), the paper's g_t (eqs. 3.5, F.6). */
  g(x2: Tensor, opts?: ForwardOptions): Tensor;
  /** The network restricted to the P part: r(x1), the paper's r_t (eqs. 3.6, F.7). */
  r(x1: Tensor, opts?: ForwardOptions): Tensor;
  /** ||U||_F^2 over the trainable weights, with autograd (for the (lambda/2)||U||_F^2 term). */
  sqNorm(weights?: Record<string, Tensor>): Tensor;
  /** Frobenius norms of all of U, and of the parts acting on x1 (W) and x2 (V) where U splits so. */
  norms(): { U: number; W?: number; V?: number };
  /**
   * Block nets: the names of the weights acting on x1 and on x2, and the input the latter multiplies
   * (x2 itself, or its coordinates in a reduced basis). Absent: not a block net.
   */
  blockView?(): BlockView | undefined;
  /**
   * After each update of the trained weights: the update of the state the loss never sees (the
   * reduced Q block's complement), from the same generator as the gradient noise. Absent: nothing to do.
   */
  afterUpdate?(u: UpdateInfo): void;
  /** Lemma 4.2's Q contrast g(zv + zeta) + g(zv - zeta) - 2 g(zv), without noise. */
  qContrast(zv: Tensor, zeta: Tensor): number;
  dispose(): void;
}

/**
 * The init std tau0 that makes the noise stationary (Assumption 3.1):
 * (1 - eta1 lambda)^2 tau0^2 + eta1^2 tauXi^2 = tau0^2, i.e.
 * tau0 = eta1 tauXi / sqrt(eta1 lambda (2 - eta1 lambda)). Needs 0 < eta1 lambda < 2.
 */
export function stationaryInitStd(eta1: number, lambda: number, tauXi: number): number {
  if (!(eta1 > 0 && Number.isFinite(eta1))) throw new Error(`stationaryInitStd: eta1 must be a positive number, got ${eta1}`);
  if (!(lambda > 0 && Number.isFinite(lambda))) throw new Error(`stationaryInitStd: lambda must be a positive number, got ${lambda}`);
  if (!(tauXi >= 0 && Number.isFinite(tauXi))) throw new Error(`stationaryInitStd: tauXi must be a finite number >= 0, got ${tauXi}`);
  const el = eta1 * lambda;
  if (!(el < 2)) throw new Error(`stationaryInitStd: eta1*lambda must be < 2 for a stationary solution, got ${el}`);
  return (eta1 * tauXi) / Math.sqrt(el * (2 - el));
}

/** Second-layer weights: `count` entries iid uniform in {-1/sqrt(m), +1/sqrt(m)} (Lemma A.8). */
export function randomSigns(count: number, m: number, gen: Generator, dtype: DType): Tensor {
  return tidy(() => bernoulli(0.5, gen, [count], { dtype }).mul(2).sub(1).mul(1 / Math.sqrt(m)));
}

/** Check the noise options; return the std (0 when off). */
export function noiseStd(where: string, opts: ForwardOptions): number {
  const std = opts.preActivationNoise ?? 0;
  if (!(std >= 0 && Number.isFinite(std))) throw new Error(`${where}: preActivationNoise must be a finite number >= 0, got ${std}`);
  if (std > 0 && !(opts.gen instanceof Generator)) throw new Error(`${where}: preActivationNoise > 0 needs a gen`);
  return std;
}

/** pre + noise (fresh draws from opts.gen) when std > 0; per-example or shared along dim 0. */
export function addPreActivationNoise(pre: Tensor, std: number, opts: ForwardOptions): Tensor {
  if (std === 0) return pre;
  const shape = opts.noisePerBatch ? [1, ...pre.shape.slice(1)] : pre.shape;
  return pre.add(randn(shape, opts.gen!, { dtype: pre.dtype, device: pre.device }).mul(std));
}

/** u^T relu(x A^T + noise) for x [n, d_in], A [h, d_in], u [h]: one matmul. */
export function reluUnit(x: Tensor, A: Tensor, u: Tensor, std: number, opts: ForwardOptions): Tensor {
  return addPreActivationNoise(linear(x, A), std, opts).relu().matmul(u);
}

const identity = (x: Tensor) => x;

export type ReluForm = 'block' | 'full';
export type SecondLayerScale = 'm' | 'block';

export interface TwoLayerReluConfig {
  /** Dimension of x1 and of x2. */
  d: number;
  /** Hidden width m (the block form gives m/2 neurons to W and m/2 to V unless mW, mV are given). */
  m: number;
  /** Block form: neurons on x1 (W) and on x2 (V); both or neither, adding up to m. Default m/2 each. */
  mW?: number;
  mV?: number;
  /** Second-layer entries +-1/sqrt(m) ('m', the default, Lemma A.8) or +-1/sqrt(block width) ('block'). */
  secondLayerScale?: SecondLayerScale;
  /** 'block' (U = [W; V], the main text) or 'full' (U acts on concat(x1, x2)). */
  form: ReluForm;
  /** Std tau0 of the iid Gaussian init of U (see stationaryInitStd). */
  tau0: number;
  /** Weights' dtype (default float64); inputs must match. */
  dtype?: 'float32' | 'float64';
}

export function validateTwoLayerReluConfig(cfg: TwoLayerReluConfig): void {
  const fail = (key: string, msg: string, v: unknown): never => { throw new Error(`twoLayerRelu config: ${key} ${msg}, got ${JSON.stringify(v)}`); };
  if (!Number.isInteger(cfg.d) || cfg.d < 1) fail('d', 'must be a positive integer', cfg.d);
  if (cfg.form !== 'block' && cfg.form !== 'full') fail('form', "must be 'block' or 'full'", cfg.form);
  if (!Number.isInteger(cfg.m) || cfg.m < 1) fail('m', 'must be a positive integer', cfg.m);
  if (cfg.form === 'block' && cfg.mW === undefined && cfg.m % 2 !== 0) fail('m', 'must be even in the block form (m/2 rows each for W and V) unless mW and mV are given', cfg.m);
  if (!(cfg.tau0 >= 0 && Number.isFinite(cfg.tau0))) fail('tau0', 'must be a finite number >= 0', cfg.tau0);
  if (cfg.dtype !== undefined && cfg.dtype !== 'float32' && cfg.dtype !== 'float64') fail('dtype', "must be 'float32' or 'float64'", cfg.dtype);
  if ((cfg.mW === undefined) !== (cfg.mV === undefined)) fail('mW, mV', 'must be given both or neither', [cfg.mW, cfg.mV]);
  if (cfg.mW !== undefined) {
    if (cfg.form !== 'block') fail('mW, mV', "are only for the block form", [cfg.mW, cfg.mV]);
    if (!Number.isInteger(cfg.mW) || cfg.mW < 1 || !Number.isInteger(cfg.mV) || cfg.mV! < 1) fail('mW, mV', 'must be positive integers', [cfg.mW, cfg.mV]);
    if (cfg.mW + cfg.mV! !== cfg.m) fail('mW + mV', `must equal m (${cfg.m})`, cfg.mW + cfg.mV!);
  }
  if (cfg.secondLayerScale !== undefined && cfg.secondLayerScale !== 'm' && cfg.secondLayerScale !== 'block') fail('secondLayerScale', "must be 'm' or 'block'", cfg.secondLayerScale);
}

/** The block form's widths (W's rows, V's rows) and the scales 1/sqrt(.) of their second-layer entries. */
export function blockWidths(cfg: Pick<TwoLayerReluConfig, 'm' | 'mW' | 'mV' | 'secondLayerScale'>): { mW: number; mV: number; scaleW: number; scaleV: number } {
  const mW = cfg.mW ?? cfg.m / 2, mV = cfg.mV ?? cfg.m / 2;
  const perBlock = cfg.secondLayerScale === 'block';
  return { mW, mV, scaleW: perBlock ? mW : cfg.m, scaleV: perBlock ? mV : cfg.m };
}

/**
 * The block form's weights, drawn from gen in this order (both block nets draw them so): the second
 * layer w then v, W [mW, d] and the weight on x2, `vName` [mV, vCols], each of the last two iid N(0, tau0^2).
 */
export function addBlockWeights(
  params: Parameters, cfg: TwoLayerReluConfig & { dtype: DType }, gen: Generator, vName: string, vCols: number,
): void {
  const { d, tau0, dtype } = cfg;
  const { mW, mV, scaleW, scaleV } = blockWidths(cfg);
  const init = (rows: number, cols: number) => noGrad(() => randn([rows, cols], gen, { dtype }).mul(tau0));
  params.addBuffer('uW', randomSigns(mW, scaleW, gen, dtype));
  params.addBuffer('uV', randomSigns(mV, scaleV, gen, dtype));
  params.add('W', init(mW, d));
  params.add(vName, init(mV, vCols));
}

/** Throw unless x is [n, d] of the given dtype; return n. */
export function checkInput(where: string, name: string, x: Tensor, d: number, dtype: DType): number {
  if (!(x instanceof Tensor)) throw new Error(`${where}: ${name} must be a Tensor`);
  if (x.ndim !== 2 || x.shape[1] !== d) throw new Error(`${where}: ${name} must be [n, d=${d}], got [${x.shape.join(', ')}]`);
  if (x.dtype !== dtype) throw new Error(`${where}: ${name} is ${x.dtype} but the model is ${dtype}`);
  return x.shape[0]!;
}

/** Throw unless x1 and x2 are both [n, d] of dtype with the same n. */
export function checkInputPair(x1: Tensor, x2: Tensor, d: number, dtype: DType): void {
  const n1 = checkInput('forward', 'x1', x1, d, dtype);
  const n2 = checkInput('forward', 'x2', x2, d, dtype);
  if (n1 !== n2) throw new Error(`forward: x1 and x2 have different numbers of rows (${n1} and ${n2})`);
}

/** The two-layer relu network of Section 2 (block or full form). */
export class TwoLayerRelu implements SyntheticModel {
  readonly params = new Parameters();
  readonly config: Readonly<TwoLayerReluConfig & { dtype: DType }>;

  /** Draws, in this order from gen: the second layer u, then U (W then V in the block form). */
  constructor(cfg: TwoLayerReluConfig, gen: Generator) {
    validateTwoLayerReluConfig(cfg);
    const config = { ...cfg, dtype: cfg.dtype ?? 'float64' };
    this.config = config;
    const { d, m, tau0, dtype } = config;
    if (config.form === 'block') {
      addBlockWeights(this.params, config, gen, 'V', d);
    } else {
      this.params.addBuffer('u', randomSigns(m, m, gen, dtype));
      this.params.add('U', noGrad(() => randn([m, 2 * d], gen, { dtype }).mul(tau0)));
    }
  }

  blockView(): BlockView | undefined {
    return this.config.form === 'block' ? { w: 'W', v: 'V', vInput: (x2) => x2 } : undefined;
  }

  private weights(): Record<string, Tensor> { return Object.fromEntries(this.params.named()); }

  private weight(weights: Record<string, Tensor>, name: string): Tensor {
    const t = weights[name];
    if (!(t instanceof Tensor)) throw new Error(`twoLayerRelu: weights has no tensor '${name}' (form '${this.config.form}')`);
    return t;
  }

  forward(x1: Tensor, x2: Tensor, opts: ForwardOptions = {}): Tensor {
    return this.forwardWith(this.weights(), x1, x2, opts);
  }

  forwardWith(weights: Record<string, Tensor>, x1: Tensor, x2: Tensor, opts: ForwardOptions = {}): Tensor {
    checkInputPair(x1, x2, this.config.d, this.config.dtype);
    const std = noiseStd('forward', opts);
    return tidy(() => {
      if (this.config.form === 'full') {
        return reluUnit(cat([x1, x2], 1), this.weight(weights, 'U'), this.params.get('u'), std, opts);
      }
      const r = reluUnit(x1, this.weight(weights, 'W'), this.params.get('uW'), std, opts);
      return r.add(x2Unit(x2, identity, this.weight(weights, 'V'), this.params.get('uV'), std, opts));
    });
  }

  g(x2: Tensor, opts: ForwardOptions = {}): Tensor {
    const { d, dtype } = this.config;
    const n = checkInput('g', 'x2', x2, d, dtype);
    if (this.config.form === 'full') return tidy(() => this.forward(zeros([n, d], { dtype }), x2, opts));
    return tidy(() => x2Unit(x2, identity, this.params.get('V'), this.params.get('uV'), noiseStd('g', opts), opts));
  }

  r(x1: Tensor, opts: ForwardOptions = {}): Tensor {
    const { d, dtype } = this.config;
    const n = checkInput('r', 'x1', x1, d, dtype);
    if (this.config.form === 'full') return tidy(() => this.forward(x1, zeros([n, d], { dtype }), opts));
    return tidy(() => reluUnit(x1, this.params.get('W'), this.params.get('uW'), noiseStd('r', opts), opts));
  }

  sqNorm(weights: Record<string, Tensor> = this.weights()): Tensor {
    const names = this.config.form === 'block' ? ['W', 'V'] : ['U'];
    return tidy(() => names.map((k) => this.weight(weights, k).square().sum()).reduce((a, b) => a.add(b)));
  }

  norms(): { W: number; V: number; U: number } {
    const d = this.config.d;
    return noGrad(() => tidy(() => {
      const [W, V] = this.config.form === 'block'
        ? [this.params.get('W'), this.params.get('V')]
        : [this.params.get('U').narrow(1, 0, d), this.params.get('U').narrow(1, d, d)];
      const w = W.norm().item(), v = V.norm().item();
      return { W: w, V: v, U: Math.hypot(w, v) };
    }));
  }

  qContrast(zv: Tensor, zeta: Tensor): number {
    return qContrastOf(this, zv, zeta);
  }

  dispose(): void { this.params.dispose(); }
}

/** g(zv + zeta) + g(zv - zeta) - 2 g(zv) of a model, without noise (Lemma 4.2, F.23). */
export function qContrastOf(model: SyntheticModel, zv: Tensor, zeta: Tensor): number {
  return noGrad(() => tidy(() => {
    const dtype = model.params.list()[0]!.dtype;
    const row = (t: Tensor) => t.to({ dtype }).reshape([1, -1]);
    const x = cat([row(zv.add(zeta)), row(zv.sub(zeta)), row(zv)], 0);
    const [gp, gm, g0] = Array.from(model.g(x).toFloat64Array());
    return gp! + gm! - 2 * g0!;
  }));
}
