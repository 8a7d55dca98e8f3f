// Central finite-difference gradient checking in float64: compares the gradient that autograd
// computes for a function of tensors with (f(x + eps e_j) - f(x - eps e_j)) / (2 eps), element by
// element. Used by the engine's tests and reusable for any lrlab model.
import { Tensor } from './tensor.js';
import { tensor, randn } from './creation.js';
import { Generator } from './random.js';
import { tidy } from './scope.js';
import { noGrad, enableGrad } from './autograd.js';
import { isFloating } from './dtype.js';

export interface GradCheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance, against the numeric gradient (default 1e-3). */
  rtol?: number;
  /** Seed of the fixed random weights that reduce a non-scalar output to a scalar (default 0). */
  seed?: number;
  /** Stop listing mismatches after this many (default 5). */
  maxReported?: number;
}

export interface GradCheckMismatch { input: number; index: number[]; analytic: number; numeric: number }

export interface GradCheckResult {
  ok: boolean;
  /** Number of gradient entries compared. */
  checked: number;
  maxAbsError: number;
  mismatches: GradCheckMismatch[];
  /** One line per reported mismatch, or 'ok'. */
  message: string;
}

type Fn = (...inputs: Tensor[]) => Tensor;

function unravel(flat: number, shape: number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    const s = shape[d]!;
    idx[d] = flat % s;
    flat = Math.floor(flat / s);
  }
  return idx;
}

/**
 * Check autograd's gradient of `fn` at `inputs` against central finite differences in float64.
 * A non-scalar output y is reduced to sum(w * y) with fixed random weights w, so every output
 * element takes part. `fn` must be deterministic (reset any Generator it uses inside it).
 * The inputs are copied to float64 leaves; they are not modified. Entry j of input i fails when
 * |analytic - numeric| > atol + rtol * |numeric|.
 */
export function gradCheck(fn: Fn, inputs: Tensor[], opts: GradCheckOptions = {}): GradCheckResult {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-3;
  const maxReported = opts.maxReported ?? 5;
  if (!(eps > 0)) throw new Error(`gradCheck: eps must be positive, got ${eps}`);
  if (!(atol >= 0) || !(rtol >= 0)) throw new Error(`gradCheck: atol and rtol must be non-negative, got ${atol}, ${rtol}`);
  if (!Array.isArray(inputs) || inputs.length === 0) throw new Error('gradCheck: inputs must be a non-empty array of tensors');
  inputs.forEach((x, i) => {
    if (!(x instanceof Tensor)) throw new Error(`gradCheck: inputs[${i}] is not a Tensor`);
    if (!isFloating(x.dtype)) throw new Error(`gradCheck: inputs[${i}] must be floating point, got ${x.dtype}`);
  });

  return tidy(() => {
    const shapes = inputs.map((x) => x.shape);
    const data = inputs.map((x) => x.toFloat64Array());
    const base = () => data.map((d, i) => tensor(d, { shape: shapes[i]!, dtype: 'float64' }));
    let weights: Tensor | null = null;
    let outShape: number[] = [];

    const project = (out: Tensor): Tensor => {
      if (!(out instanceof Tensor)) throw new Error('gradCheck: fn must return a Tensor');
      if (!isFloating(out.dtype)) throw new Error(`gradCheck: fn must return a floating-point tensor, got ${out.dtype}`);
      if (weights === null) {
        outShape = out.shape;
        weights = randn(outShape, new Generator(opts.seed ?? 0), { dtype: 'float64' });
      } else if (out.shape.join(',') !== outShape.join(',')) {
        throw new Error(`gradCheck: fn returned shape [${out.shape.join(',')}] after [${outShape.join(',')}]`);
      }
      return out.numel === 1 ? out.double().sum() : out.double().mul(weights).sum();
    };

    // Analytic gradient by autograd.
    const analytic = enableGrad(() => {
      const leaves = base().map((t) => t.requiresGrad_(true));
      const s = project(fn(...leaves));
      if (s.requiresGrad) s.backward();
      return leaves.map((l, i) => {
        const g = l.grad;
        return g === null ? new Float64Array(data[i]!.length) : g.toFloat64Array();
      });
    });

    // Numeric gradient by central differences.
    const value = (i: number, pert: Float64Array): number => tidy(() => {
      const xs = base();
      xs[i] = tensor(pert, { shape: shapes[i]!, dtype: 'float64' });
      return project(fn(...xs)).item();
    });
    const mismatches: GradCheckMismatch[] = [];
    let maxAbsError = 0;
    let checked = 0;
    let failed = 0;
    noGrad(() => {
      data.forEach((d, i) => {
        const pert = Float64Array.from(d);
        for (let j = 0; j < d.length; j++) {
          pert[j] = d[j]! + eps;
          const fp = value(i, pert);
          pert[j] = d[j]! - eps;
          const fm = value(i, pert);
          pert[j] = d[j]!;
          const numeric = (fp - fm) / (2 * eps);
          const a = analytic[i]![j]!;
          const err = Math.abs(a - numeric);
          checked++;
          if (Number.isFinite(err)) maxAbsError = Math.max(maxAbsError, err);
          if (!(err <= atol + rtol * Math.abs(numeric))) {
            failed++;
            if (mismatches.length < maxReported) mismatches.push({ input: i, index: unravel(j, shapes[i]!), analytic: a, numeric });
          }
        }
      });
    });

    const message = failed === 0 ? 'ok' : [
      `gradCheck: ${failed} of ${checked} gradient entries differ (eps ${eps}, atol ${atol}, rtol ${rtol})`,
      ...mismatches.map((m) => `  input ${m.input} at [${m.index.join(',')}]: analytic ${m.analytic} vs numeric ${m.numeric}`),
    ].join('\n');
    return { ok: failed === 0, checked, maxAbsError, mismatches, message };
  });
}

/** gradCheck that throws an Error with the mismatch report when the gradients differ. */
export function assertGradCheck(fn: Fn, inputs: Tensor[], opts: GradCheckOptions = {}): GradCheckResult {
  const r = gradCheck(fn, inputs, opts);
  if (!r.ok) throw new Error(r.message);
  return r;
}
