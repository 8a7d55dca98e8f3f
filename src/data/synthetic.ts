// The synthetic P/Q distribution of the paper (Section 2, eqs. 2.1-2.5): a label y uniform in
// {-1,+1}; with probability p0 only x1 ~ P_y (x2 = 0), with probability q0 only x2 ~ Q_y (x1 = 0),
// otherwise both. P_y is a half Gaussian with margin gamma along a hidden unit direction w*;
// Q is supported on the three directions zv - zeta, zv, zv + zeta (labels -1, +1, -1).
import {
  Generator, Tensor, bernoulli, cat, full, keep, noGrad, outer, rand, randn, randperm, stack, tidy, where, zeros,
} from '../engine/index.js';
import type { X2Rays } from './rays.js';
import { fail, int, nonNegative, nonNegativeInt, num, object, parseConfig, positive, positiveInt, z } from '../util/schema.js';

/** Component tags of an example: P-only (eq. 2.2), Q-only (eq. 2.3), both (eq. 2.4). */
export const COMPONENT = { pOnly: 0, qOnly: 1, both: 2 } as const;
export type ComponentName = keyof typeof COMPONENT;

const probability = () => num('must be a probability in [0, 1]').min(0, { error: 'must be a probability in [0, 1]' }).max(1, { error: 'must be a probability in [0, 1]' });

export const syntheticTestSizesSchema = object({ pOnly: nonNegativeInt(), qOnly: nonNegativeInt(), both: nonNegativeInt() });
export type SyntheticTestSizes = z.infer<typeof syntheticTestSizesSchema>;

/** The data section of a synthetic experiment's config: the distribution (2.1-2.5) and the split sizes. */
export const syntheticDataSchema = object({
  /** Dimension of each of x1 and x2. */
  d: int('must be an integer >= 2').min(2, { error: 'must be an integer >= 2' }),
  /** Training set size N. */
  n: positiveInt(),
  /** Probability of a P-only example (x2 = 0). */
  p0: probability(),
  /** Probability of a Q-only example (x1 = 0). */
  q0: probability(),
  /** ||zeta||: the (small) offset that separates the -1 directions zv +- zeta from zv. */
  r: nonNegative(),
  /** Margin of P along w* (the paper: gamma = 1/sqrt(d)). */
  gamma: nonNegative(),
  /** The scale a of a Q example is uniform on [aMin, 1] (the paper: aMin = 0). */
  aMin: num('must be in [0, 1]').min(0, { error: 'must be in [0, 1]' }).max(1, { error: 'must be in [0, 1]' }),
  /** Multiplies every Q input x2 (the paper: 1; the reference experiments on a 2-core CPU use 60, so that Q is fitted much faster than P). */
  qScale: positive(),
  /**
   * zv and zeta live in the last `qSupport` coordinates of x2 (default d: anywhere). Appendix F.2
   * assumes they are supported on the last d/k coordinates for the convolutional net.
   */
  qSupport: int('must be an integer in [2, d]').min(2, { error: 'must be an integer in [2, d]' }),
  /** true: exactly floor(n/2) or ceil(n/2) labels +1 per draw; false (default): y iid uniform, as the paper. */
  balancedLabels: z.boolean(),
  /** Sizes of the per-component test sets made by makeSplits. */
  testSizes: syntheticTestSizesSchema,
  /** Element type of the drawn x1, x2 and y (the hidden directions are always float64). */
  dtype: z.enum(['float32', 'float64']),
}).superRefine((c, ctx) => {
  // p0, q0 and 1 - p0 - q0 are the three components' probabilities (with slack for decimal rounding)
  if (c.p0 + c.q0 > 1 + 1e-12) fail(ctx, ['q0'], `must satisfy p0 + q0 <= 1 (p0 is ${c.p0})`, c.q0);
  if (c.qSupport > c.d) fail(ctx, ['qSupport'], `must be an integer in [2, d=${c.d}]`, c.qSupport);
});
export type SyntheticDataConfig = z.infer<typeof syntheticDataSchema>;

/**
 * The paper's scalings (Assumption 3.3) for dimension d: gamma = 1/sqrt(d), r = d^(-3/4),
 * N = d / kappa^2 and p0 = kappa^2 / 2 (so p0 * N = d/2 P-only examples, "pN < d/2" in Section 5),
 * q0 = 0.2 (the paper only says q0 = Theta(1)), a ~ U[0, 1], no Q scaling.
 */
export function defaultSyntheticDataConfig(d: number, kappa = 0.5): SyntheticDataConfig {
  if (!Number.isInteger(d) || d < 2) throw new Error(`defaultSyntheticDataConfig: d must be an integer >= 2, got ${d}`);
  if (!(kappa > 0 && kappa < 1)) throw new Error(`defaultSyntheticDataConfig: kappa must be in (0, 1), got ${kappa}`);
  return {
    d, n: Math.round(d / kappa ** 2), p0: kappa ** 2 / 2, q0: 0.2, r: d ** -0.75,
    gamma: 1 / Math.sqrt(d), aMin: 0, qScale: 1, qSupport: d, balancedLabels: false,
    testSizes: { pOnly: 1000, qOnly: 1000, both: 1000 }, dtype: 'float64',
  };
}

/** Check a data config; returns it parsed or throws a one-line ConfigError naming the dotted key under `prefix`. */
export function validateSyntheticDataConfig(cfg: SyntheticDataConfig, prefix = 'data'): SyntheticDataConfig {
  return parseConfig(syntheticDataSchema, cfg, prefix);
}

/** A drawn dataset: rows are examples. */
export interface SyntheticDataset {
  /** P inputs [n, d] (rows of Q-only examples are exactly 0). */
  x1: Tensor;
  /** Q inputs [n, d] (rows of P-only examples are exactly 0). */
  x2: Tensor;
  /** Labels [n] in {-1, +1}, in the config's float dtype. */
  y: Tensor;
  /** Component tag [n] (int64): COMPONENT.pOnly, .qOnly or .both. */
  component: Tensor;
  /**
   * x2 as rays (as drawn): x2[i] = scale[i] directions[index[i]] up to x2's rounding, the directions
   * zv, zv + zeta, zv - zeta ([3, d]), the scale qScale a (0 for a P-only row). A block net computes
   * its V block on the three directions only where no noise is added (models' X2Rays).
   */
  rays?: X2Rays;
}

/** Every tensor of a dataset (to keep or dispose them). */
export function datasetTensors(ds: SyntheticDataset): Tensor[] {
  return [ds.x1, ds.x2, ds.y, ds.component, ...(ds.rays ? [ds.rays.directions, ds.rays.index, ds.rays.scale] : [])];
}

export interface SampleOptions {
  /** Force every example to this component (test sets); default: drawn with p0, q0. */
  component?: ComponentName;
}

export interface SyntheticProblem {
  readonly config: SyntheticDataConfig;
  /** Hidden unit direction of P, [d] float64. */
  readonly wStar: Tensor;
  /** Hidden unit direction z of Q, [d] float64. */
  readonly zv: Tensor;
  /** Offset zeta of Q, orthogonal to zv with norm r, [d] float64. */
  readonly zeta: Tensor;
  /** Draw n iid examples from the distribution with gen. */
  sample(n: number, gen: Generator, opts?: SampleOptions): SyntheticDataset;
  /** The three Q directions as rows [3, d] (config dtype): zv, zv + zeta, zv - zeta (times qScale if scaled). */
  qDirections(opts?: { scaled?: boolean }): Tensor;
  /** Free the hidden directions. */
  dispose(): void;
}


const F64 = { dtype: 'float64' } as const;
const I64 = { dtype: 'int64' } as const;

/**
 * Draw the hidden directions once from gen (in this order): w* uniform on the unit sphere of R^d;
 * zv uniform on the unit sphere of the last qSupport coordinates; zeta uniform among vectors of that
 * support orthogonal to zv, scaled to norm r.
 */
export function makeSyntheticProblem(cfg: SyntheticDataConfig, gen: Generator): SyntheticProblem {
  validateSyntheticDataConfig(cfg);
  const { d, qSupport } = cfg;
  const dirs = noGrad(() => tidy(() => {
    const unit = (v: Tensor) => v.div(v.norm());
    const wStar = unit(randn([d], gen, F64));
    const zs = unit(randn([qSupport], gen, F64));
    const g = randn([qSupport], gen, F64);
    // Gram-Schmidt, twice, so that <zeta, zv> = 0 to machine precision.
    let zt = g.sub(zs.mul(g.mul(zs).sum()));
    zt = zt.sub(zs.mul(zt.mul(zs).sum()));
    const zetaS = unit(zt).mul(cfg.r);
    const pad = (v: Tensor) => (qSupport === d ? v : cat([zeros([d - qSupport], F64), v]));
    return { wStar, zv: pad(zs), zeta: pad(zetaS) };
  }));
  const { wStar, zv, zeta } = dirs;
  keep(wStar); keep(zv); keep(zeta);

  const sample = (n: number, sgen: Generator, opts: SampleOptions = {}): SyntheticDataset => {
    if (!Number.isInteger(n) || n < 0) throw new Error(`sample: n must be a non-negative integer, got ${n}`);
    if (opts.component !== undefined && !Object.hasOwn(COMPONENT, opts.component)) {
      throw new Error(`sample: component must be one of ${Object.keys(COMPONENT).join(', ')}, got ${JSON.stringify(opts.component)}`);
    }
    return noGrad(() => tidy(() => drawDataset(cfg, wStar, zv, zeta, n, sgen, opts.component)));
  };

  const qDirections = (opts: { scaled?: boolean } = {}): Tensor => noGrad(() => tidy(() => {
    const m = stack([zv, zv.add(zeta), zv.sub(zeta)]);
    return (opts.scaled ? m.mul(cfg.qScale) : m).to({ dtype: cfg.dtype });
  }));

  return {
    config: cfg, wStar, zv, zeta, sample, qDirections,
    dispose: () => { wStar.dispose(); zv.dispose(); zeta.dispose(); },
  };
}

/** Labels in {-1,+1}: iid fair coins, or (balanced) a random arrangement of floor/ceil(n/2) of each. */
function drawLabels(n: number, balanced: boolean, gen: Generator): Tensor {
  if (!balanced) return bernoulli(0.5, gen, [n], F64).mul(2).sub(1);
  let nPos = Math.floor(n / 2);
  if (n % 2 === 1) nPos += bernoulli(0.5, gen, [1], F64).item();
  return randperm(n, gen).lt(nPos).to(F64).mul(2).sub(1);
}

/**
 * One dataset. Draw order (fixed, so a seed fixes the data): y, component, z, a, b.
 * x1 = y*gamma*w* + z with z ~ N(0, I/d) conditioned on y<w*, z> >= 0: the component of z along w*
 * is replaced by y|.|, which is exactly that conditional law, so y<w*, x1> >= gamma.
 * x2 = qScale * a * (zv + [y = -1] b zeta), a ~ U[aMin, 1), b uniform in {-1, +1}.
 */
function drawDataset(cfg: SyntheticDataConfig, wStar: Tensor, zv: Tensor, zeta: Tensor,
  n: number, gen: Generator, forced?: ComponentName): SyntheticDataset {
  const { d } = cfg;
  const y = drawLabels(n, cfg.balancedLabels, gen);
  let component: Tensor;
  if (forced !== undefined) component = full([n], COMPONENT[forced], I64);
  else {
    const u = rand([n], gen, F64);
    component = u.ge(cfg.p0).to(I64).add(u.ge(cfg.p0 + cfg.q0).to(I64));
  }
  const z = randn([n, d], gen, F64).mul(1 / Math.sqrt(d));
  const zPar = z.matmul(wStar);
  const shift = y.mul(zPar.abs()).sub(zPar).add(y.mul(cfg.gamma));
  const x1 = where(component.ne(COMPONENT.qOnly).unsqueeze(1), z.add(outer(shift, wStar)), 0);

  const a = rand([n], gen, F64).mul(1 - cfg.aMin).add(cfg.aMin);
  const b = bernoulli(0.5, gen, [n], F64).mul(2).sub(1);
  const zetaCoef = a.mul(b).mul(y.lt(0).to(F64));
  const q = outer(a, zv).add(outer(zetaCoef, zeta)).mul(cfg.qScale);
  const x2 = where(component.ne(COMPONENT.pOnly).unsqueeze(1), q, 0);

  const dt = { dtype: cfg.dtype };
  // the rays of x2: zv for y = +1, zv + b zeta for y = -1 (index 1 for b = +1, 2 for b = -1), scale qScale a
  const rays = {
    directions: stack([zv, zv.add(zeta), zv.sub(zeta)]).to(dt),
    index: where(y.lt(0), where(b.gt(0), 1, 2), 0).to(I64),
    scale: where(component.ne(COMPONENT.pOnly), a.mul(cfg.qScale), 0).to(dt),
  };
  return { x1: x1.to(dt), x2: x2.to(dt), y: y.to(dt), component, rays };
}

export interface SyntheticSplits {
  train: SyntheticDataset;
  /** One test set per component, of the configured sizes. */
  test: Record<ComponentName, SyntheticDataset>;
}

/** Every tensor of the splits (the training set's and each test set's: to keep or dispose them). */
export function splitsTensors(s: SyntheticSplits): Tensor[] {
  return [s.train, ...Object.values(s.test)].flatMap(datasetTensors);
}

/** The training set (size cfg.n, drawn first) then the test sets pOnly, qOnly, both, all from gen. */
export function makeSplits(problem: SyntheticProblem, gen: Generator): SyntheticSplits {
  const { n, testSizes } = problem.config;
  const train = problem.sample(n, gen);
  const test = {
    pOnly: problem.sample(testSizes.pOnly, gen, { component: 'pOnly' }),
    qOnly: problem.sample(testSizes.qOnly, gen, { component: 'qOnly' }),
    both: problem.sample(testSizes.both, gen, { component: 'both' }),
  };
  return { train, test };
}
