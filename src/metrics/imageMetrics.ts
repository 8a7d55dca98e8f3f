// Learning-order measures of the image experiments (paper Section 6, Figure 3, Table 2): loss and
// accuracy of the training batches split by example kind (clean / mixed / patch-only), and of the
// model in eval mode (running BatchNorm statistics, no noise) on the three validation sets: clean
// (the test set), mixed (the test set with the training patch mix) and patch-only.
import { arange, crossEntropy, noGrad, stack, tidy, type Tensor } from '../engine/index.js';
import type { ImageModel } from '../models/types.js';

/** Training subsets: the example kinds 0, 1, 2 of the batch iterator, and all examples. */
export const TRAIN_KINDS = ['clean', 'mixed', 'patch_only', 'all'] as const;
export type TrainKind = (typeof TRAIN_KINDS)[number];
export const VAL_SETS = ['clean', 'mixed', 'patch_only'] as const;
export type ValSet = (typeof VAL_SETS)[number];

export type PerTrainKind = Record<TrainKind, number | null>;
export type PerValSet = Record<ValSet, number | null>;

/**
 * One row of metrics.jsonl: the state after `epoch` finished epochs (epoch 0: the initial model) and
 * `step` optimizer steps. lr and noise: the values used by the last step of the epoch (epoch 0: those
 * of the first step). train_*: means over the training batches since the previous row, as trained
 * (training mode, with the noise); null where a kind had no examples. val_*: eval mode; null for
 * the patched sets when the patch is disabled. seconds: wall-clock seconds of the part so far.
 */
export interface ImageMetricsRow {
  method: string;
  seed: number;
  epoch: number;
  step: number;
  lr: number;
  noise: number;
  train_loss: PerTrainKind;
  train_acc: PerTrainKind;
  val_loss: PerValSet;
  val_acc: PerValSet;
  seconds: number;
}

/** Per-example cross-entropy losses and correctness (argmax === label) of logits [B, K]. */
export function perExample(logits: Tensor, y: Tensor): { loss: Tensor; correct: Tensor } {
  return { loss: crossEntropy(logits, y, 'none'), correct: logits.argmax(1).eq(y) };
}

/**
 * Running sums of the training batches by kind: count, loss sum and correct count for kinds 0, 1, 2.
 * One host read per batch (a 3 x 3 table).
 */
export class KindAccumulator {
  /** [count, loss sum, correct] for kinds 0, 1, 2. */
  private sums = new Float64Array(9);

  /**
   * A batch's table: per-example losses [B] (float), correct [B] (bool) and kinds [B] (int64) ->
   * [count, loss sum, correct] for kinds 0, 1, 2 (9 numbers, one host read).
   */
  static tally(loss: Tensor, correct: Tensor, kind: Tensor): Float64Array {
    return noGrad(() => tidy(() => {
      const onehot = kind.unsqueeze(1).eq(arange(3, undefined, 1, { device: kind.device })).to({ dtype: 'float64' });
      const rows = [loss, correct].map((v) => v.to({ dtype: 'float64' }).unsqueeze(0).matmul(onehot).squeeze(0));
      return stack([onehot.sum(0), ...rows], 1).to({ device: 'cpu' }).toFloat64Array();
    }));
  }

  /** Add a batch's table (from tally). */
  addTally(t: Float64Array): void { for (let i = 0; i < 9; i++) this.sums[i]! += t[i]!; }

  /** Add a batch (see tally). */
  add(loss: Tensor, correct: Tensor, kind: Tensor): void { this.addTally(KindAccumulator.tally(loss, correct, kind)); }

  get count(): number { return this.sums[0]! + this.sums[3]! + this.sums[6]!; }

  /** Mean loss and accuracy per kind and overall; null where there were no examples. */
  result(): { loss: PerTrainKind; acc: PerTrainKind } {
    const s = this.sums;
    const mean = (num: number, n: number) => (n > 0 ? num / n : null);
    const of = (j: 1 | 2) => ({
      clean: mean(s[j]!, s[0]!), mixed: mean(s[3 + j]!, s[3]!), patch_only: mean(s[6 + j]!, s[6]!),
      all: mean(s[j]! + s[3 + j]! + s[6 + j]!, this.count),
    });
    return { loss: of(1), acc: of(2) };
  }

  reset(): void { this.sums.fill(0); }
  /** The sums, for checkpoints (JSON numbers round-trip doubles exactly). */
  state(): number[] { return Array.from(this.sums); }
  restore(s: number[]): void {
    if (!Array.isArray(s) || s.length !== 9 || s.some((v) => typeof v !== 'number')) throw new Error('KindAccumulator.restore: expected 9 numbers');
    this.sums = Float64Array.from(s);
  }
}

/** Mean loss and accuracy of the model in eval mode (no noise) on x [n, ...], y int64 [n], in batches. */
export function evaluateSet(model: ImageModel, x: Tensor, y: Tensor, batchSize: number): { loss: number; acc: number } {
  const n = x.shape[0]!;
  if (n === 0) throw new Error('evaluateSet: the set is empty');
  if (y.shape[0] !== n) throw new Error(`evaluateSet: ${n} images but ${y.shape[0]} labels`);
  let loss = 0, correct = 0;
  noGrad(() => {
    for (let i = 0; i < n; i += batchSize) {
      const len = Math.min(batchSize, n - i);
      const [l, c] = tidy(() => {
        const yb = y.narrow(0, i, len);
        const logits = model.forward(x.narrow(0, i, len), { training: false });
        const e = perExample(logits, yb);
        return stack([e.loss.to({ dtype: 'float64' }).sum(), e.correct.to({ dtype: 'float64' }).sum()]).to({ device: 'cpu' }).toFloat64Array();
      });
      loss += l!;
      correct += c!;
    }
  });
  return { loss: loss / n, acc: correct / n };
}

/**
 * Per-example correctness (1: argmax === label) of the model in eval mode (no noise) on x [n, ...],
 * y int64 [n], in batches; `transform` may replace each batch's inputs (e.g. patch them) first.
 */
export function exampleCorrect(model: ImageModel, x: Tensor, y: Tensor, batchSize: number,
  transform?: (xb: Tensor, yb: Tensor, start: number, len: number) => Tensor): Uint8Array {
  const n = x.shape[0]!;
  const out = new Uint8Array(n);
  noGrad(() => {
    for (let i = 0; i < n; i += batchSize) {
      const len = Math.min(batchSize, n - i);
      out.set(tidy(() => {
        const yb = y.narrow(0, i, len);
        const xb = transform ? transform(x.narrow(0, i, len), yb, i, len) : x.narrow(0, i, len);
        return model.forward(xb, { training: false }).argmax(1).eq(yb).to({ dtype: 'uint8', device: 'cpu' }).toUint8Array();
      }), i);
    }
  });
  return out;
}

/** A labelled evaluation set. */
export interface EvalSet { x: Tensor; y: Tensor }

/** Loss and accuracy on each validation set (null for an absent set). */
export function validationMetrics(model: ImageModel, sets: Record<ValSet, EvalSet | null>, batchSize: number): { loss: PerValSet; acc: PerValSet } {
  const loss = { clean: null, mixed: null, patch_only: null } as PerValSet;
  const acc = { ...loss };
  for (const s of VAL_SETS) {
    const set = sets[s];
    if (!set) continue;
    const r = evaluateSet(model, set.x, set.y, batchSize);
    loss[s] = r.loss;
    acc[s] = r.acc;
  }
  return { loss, acc };
}

/** Mean of each validation accuracy over the last k rows with epoch >= 1 (all of them if fewer). */
export function lastRowsMean(history: { epoch: number; val_acc: PerValSet }[], k = 5): PerValSet {
  const rows = history.filter((h) => h.epoch >= 1).slice(-k);
  const out = { clean: null, mixed: null, patch_only: null } as PerValSet;
  for (const s of VAL_SETS) {
    const v = rows.map((r) => r.val_acc[s]).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
    out[s] = v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
  }
  return out;
}

/** The first epoch whose patch-only validation accuracy is above `level` (null if none). */
export function firstEpochAbove(history: { epoch: number; val_acc: PerValSet }[], level = 0.5): number | null {
  for (const h of history) if (h.val_acc.patch_only !== null && h.val_acc.patch_only > level) return h.epoch;
  return null;
}
