// Learning-order measures of the synthetic experiment: accuracy and loss on each component subset
// (P-only, Q-only, both), the Q contrast g(zv+zeta) + g(zv-zeta) - 2g(zv), the norms of W and V, and
// the component margins on the mixed training examples (the order measure of Lemmas 5.2-5.3).
import { Tensor, getNumThreads, logisticLoss, noGrad, tidy } from '../engine/index.js';
import { COMPONENT, type SyntheticDataset } from '../data/synthetic.js';
import { narrowRays } from '../data/rays.js';
import type { SyntheticModel } from '../models/twoLayerRelu.js';

export const SUBSETS = ['p_only', 'q_only', 'both', 'all'] as const;
export type Subset = (typeof SUBSETS)[number];
export type PerSubset = Record<Subset, number | null>;

export interface SyntheticMetrics {
  train_loss: PerSubset;
  train_acc: PerSubset;
  test_loss: PerSubset;
  test_acc: PerSubset;
  q_contrast: number;
  /** Mean margins of the two parts of the network on the training examples that have both components: p = mean y r(x1), q = mean y g(x2). */
  margin: ComponentMargins;
  norm_W: number | null;
  norm_V: number | null;
  norm_U: number;
}

/**
 * Examples per forward pass of an evaluation: a test set's hidden activations ([n, width], 8 MB for
 * 2000 examples of the order preset's 64 + 1024 neurons in float32) then stay in the cache, which made
 * its evaluation ~3x faster than one pass over the whole set.
 */
export const EVAL_CHUNK = 384;
/** The hidden activations per forward pass that EVAL_CHUNK examples of that net make (1.7 MB in float32). */
const EVAL_ACTIVATIONS = EVAL_CHUNK * 1088;

/**
 * Examples per forward pass of `ds`: EVAL_CHUNK, or for a block net on data with rays at one thread
 * more, as many as make EVAL_ACTIVATIONS hidden activations: there the V block runs once per ray's
 * direction, and a row's activations are W's block only (64 of the order preset's 1088 neurons: its
 * test sets in one pass each, instead of 3-6 passes of the same ~20 ops). At one thread a row of the
 * W product does not depend on the number of rows with the kernels measured (the metrics rows of the
 * order preset stayed byte-identical); with more threads the BLAS splits the rows among them by
 * their number, and some rows' last bits move, so there the passes stay as they were.
 */
export function evalChunk(model: SyntheticModel, ds: SyntheticDataset): number {
  const view = ds.rays && getNumThreads() === 1 ? model.blockView?.() : undefined;
  if (!view) return EVAL_CHUNK;
  return Math.max(EVAL_CHUNK, Math.floor(EVAL_ACTIVATIONS / model.params.get(view.w).shape[0]!));
}

/** Per-example logistic loss and correctness (sign(f) == y) of a dataset, as arrays (the forward pass evalChunk examples at a time). */
function perExample(model: SyntheticModel, ds: SyntheticDataset): { loss: Float64Array; correct: Float64Array } {
  const n = ds.y.shape[0]!;
  const loss = new Float64Array(n), correct = new Float64Array(n);
  const chunk = evalChunk(model, ds);
  noGrad(() => {
    for (let i = 0; i < n; i += chunk) {
      const len = Math.min(chunk, n - i);
      tidy(() => {
        const y = ds.y.narrow(0, i, len);
        const f = model.forward(ds.x1.narrow(0, i, len), ds.x2.narrow(0, i, len), ds.rays ? { x2Rays: narrowRays(ds.rays, i, len) } : {});
        loss.set(logisticLoss(f, y, 'none').toFloat64Array(), i);
        correct.set(f.mul(y).gt(0).toFloat64Array(), i);
      });
    }
  });
  return { loss, correct };
}

function mean(a: Float64Array, mask?: (i: number) => boolean): number | null {
  let s = 0, n = 0;
  for (let i = 0; i < a.length; i++) if (!mask || mask(i)) { s += a[i]!; n++; }
  return n ? s / n : null;
}

/** The mean margins of the P part and of the Q part (null when there are no such examples). */
export interface ComponentMargins { p: number | null; q: number | null }

/**
 * On the training examples that carry both components, the mean margin of each part of the network
 * (without noise): p = mean y r(x1) (the P part, the paper's r_t), q = mean y g(x2) (the Q part, g_t).
 * Which part fits these examples first is the learning order of Lemmas 5.2-5.3: with a small lr the
 * Q part grows first and W learns P from the P-only examples only.
 */
export function componentMargins(model: SyntheticModel, train: SyntheticDataset): ComponentMargins {
  const comp = train.component.toInt32Array();
  const [yr, yg] = noGrad(() => tidy(() => [model.r(train.x1).mul(train.y).toFloat64Array(), model.g(train.x2, train.rays ? { x2Rays: train.rays } : {}).mul(train.y).toFloat64Array()]));
  const both = (i: number) => comp[i] === COMPONENT.both;
  return { p: mean(yr!, both), q: mean(yg!, both) };
}

/** Loss and accuracy of the training set split by component tag. */
export function trainMetrics(model: SyntheticModel, train: SyntheticDataset): { loss: PerSubset; acc: PerSubset } {
  const { loss, correct } = perExample(model, train);
  const comp = train.component.toInt32Array();
  const by = (c: number) => (i: number) => comp[i] === c;
  return {
    loss: { p_only: mean(loss, by(COMPONENT.pOnly)), q_only: mean(loss, by(COMPONENT.qOnly)), both: mean(loss, by(COMPONENT.both)), all: mean(loss) },
    acc: { p_only: mean(correct, by(COMPONENT.pOnly)), q_only: mean(correct, by(COMPONENT.qOnly)), both: mean(correct, by(COMPONENT.both)), all: mean(correct) },
  };
}

/**
 * Loss and accuracy on the per-component test sets; 'all' is their mixture with the distribution's
 * weights p0, q0 and 1 - p0 - q0, i.e. the expected value on a test set drawn from the distribution.
 */
export function testMetrics(model: SyntheticModel, test: Record<'pOnly' | 'qOnly' | 'both', SyntheticDataset>, p0: number, q0: number): { loss: PerSubset; acc: PerSubset } {
  const r = { pOnly: perExample(model, test.pOnly), qOnly: perExample(model, test.qOnly), both: perExample(model, test.both) };
  const loss = { p_only: mean(r.pOnly.loss), q_only: mean(r.qOnly.loss), both: mean(r.both.loss) };
  const acc = { p_only: mean(r.pOnly.correct), q_only: mean(r.qOnly.correct), both: mean(r.both.correct) };
  const mix = (v: { p_only: number | null; q_only: number | null; both: number | null }) => {
    const w: [number, number | null][] = [[p0, v.p_only], [q0, v.q_only], [1 - p0 - q0, v.both]];
    let s = 0, z = 0;
    for (const [wi, vi] of w) if (wi > 0 && vi !== null) { s += wi * vi; z += wi; }
    return z > 0 ? s / z : null;
  };
  return { loss: { ...loss, all: mix(loss) }, acc: { ...acc, all: mix(acc) } };
}

export function syntheticMetrics(model: SyntheticModel, train: SyntheticDataset,
  test: Record<'pOnly' | 'qOnly' | 'both', SyntheticDataset>, p0: number, q0: number, zv: Tensor, zeta: Tensor): SyntheticMetrics {
  const tr = trainMetrics(model, train);
  const te = testMetrics(model, test, p0, q0);
  const norms = model.norms();
  return {
    train_loss: tr.loss, train_acc: tr.acc, test_loss: te.loss, test_acc: te.acc,
    q_contrast: model.qContrast(zv, zeta), margin: componentMargins(model, train), norm_W: norms.W ?? null, norm_V: norms.V ?? null, norm_U: norms.U,
  };
}
