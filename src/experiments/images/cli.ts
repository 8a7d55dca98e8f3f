// `lrlab images`: the command's help and --data option, the --dry-run plan and the final table.
import { resolve } from 'node:path';
import { alignedTable } from '../../util/textTable.js';
import { fmtMeanStd } from '../../util/stats.js';
import type { SummaryEnvelope } from '../../runs/format.js';
import type { ExperimentCli } from '../experiment.js';
import { mergeImageConfig, type ImageExperimentConfig } from './config.js';
import type { ImageSummary } from './summary.js';

/** The summary as a table: final val acc (and mean of the last 5 epochs) per set, and when patch-only passes 50%. */
export function formatImageTable(s: ImageSummary): string {
  const sets = ['clean', 'mixed', 'patch_only'] as const;
  const head = ['method', ...sets.map((c) => `val acc ${c}`), ...sets.map((c) => `last-5 ${c}`), 'patch-only > 50% at epoch'];
  const rows = Object.entries(s.methods).map(([m, r]) => [
    m, ...sets.map((c) => fmtMeanStd(r.val_acc[c])), ...sets.map((c) => fmtMeanStd(r.val_acc_last5_mean[c])),
    r.patch_only_above_50_epoch ? `${fmtMeanStd(r.patch_only_above_50_epoch, 1)} (${r.patch_only_above_50_seeds}/${s.seeds.length} seeds)` : 'never',
  ]);
  const notes = [
    `images preset '${s.preset}', seeds ${s.seeds.join(', ')} (accuracy as a fraction, mean ± std over seeds)`,
    `patch: ${s.patchMode ?? 'none'}; BatchNorm statistics ${s.recalibratedBn ? 'recalibrated on training batches before each evaluation' : 'as trained (running averages)'}`,
    'last-5: the mean over the last 5 evaluated epochs from epoch 1 (all of them in a shorter run; the evaluation before training is left out)',
  ];
  const bad = Object.entries(s.methods).filter(([, r]) => (r.statuses['diverged'] ?? 0) > 0).map(([m, r]) => `${m}: ${r.statuses['diverged']} of ${s.seeds.length} seed(s) diverged (left out of the accuracies)`);
  return [...notes, ...alignedTable(head, rows), ...learningOrder(s), ...bad].join('\n');
}

/**
 * The learning order the paper is about (Section 6): which method memorizes the patch when, i.e. the
 * first epoch its patch-only validation accuracy passes 50%, earliest first.
 */
export function learningOrder(s: ImageSummary): string[] {
  if (s.patchMode === null) return [];
  const order = Object.entries(s.methods).map(([m, r]) => ({ m, e: r.patch_only_above_50_epoch?.mean ?? null, n: r.patch_only_above_50_seeds }))
    .sort((a, b) => (a.e ?? Infinity) - (b.e ?? Infinity));
  const seeds = s.seeds.length;
  return [`learning order (first epoch with patch-only validation accuracy > 50%, i.e. the patch memorized): ${order.map(({ m, e, n }) =>
    (e === null ? `${m} not within the run` : `${m} at epoch ${e.toFixed(seeds > 1 ? 1 : 0)}${n < seeds ? ` (${n}/${seeds} seeds)` : ''}`)).join('; ')}`];
}

export const imagesCli: ExperimentCli<ImageExperimentConfig> = {
  summary: 'the image experiments: patch-augmented / clean data, large vs small lr vs small lr + noise (paper Section 6)',
  help: `Runs an image experiment of the paper (Section 6, Appendix H): each method (a learning-rate schedule,
a pre-activation noise schedule and a training subset) on each seed, evaluating every epoch on the
clean, mixed and patch-only validation sets; prints the final validation accuracies (mean ± std over
seeds) and the first epoch at which patch-only accuracy passes 50%.
Config keys, methods by index, e.g.: --set train.epochs=1 --set methods.0.lr.lr=0.05 --set train.device=cuda

Data: Fashion-MNIST comes with Debian's dataset-fashion-mnist package (apt-get install
dataset-fashion-mnist) or from https://github.com/zalandoresearch/fashion-mnist; CIFAR-10 (binary
version) from https://www.cs.toronto.edu/~kriz/cifar.html. The CIFAR-10 presets are GPU-size.`,
  options: {
    data: {
      type: 'string',
      description: 'the data folder (Fashion-MNIST default: /usr/share/datasets/fashion-mnist;\n                    CIFAR-10: the folder holding data_batch_1.bin ... test_batch.bin, required)',
    },
  },
  merge: mergeImageConfig,
  applyOptions(c, values) {
    // absolute: the saved config works from any folder
    if (typeof values.data === 'string') return { ...c, dataset: { ...c.dataset, dir: resolve(values.data) } };
    return c;
  },
  plan: (c) => `would run ${c.methods.map((m) => m.name).join(', ')} on ${c.seeds} seed(s) from seed ${c.seed}: ${c.seeds * c.methods.length} part(s) of ${c.train.epochs} epochs on ${c.train.device}`,
  ready: 'data and device: found',
  table: (s: SummaryEnvelope) => formatImageTable(s as unknown as ImageSummary),
};
