// The paper's published numbers (Table 1: clean CIFAR-10; Table 2: the patch experiment) and which of
// them a run can be set beside: preset 'clean' -> Table 1, 'patch' -> Table 2; the Fashion-MNIST
// presets get the same numbers labeled as a different setting.
import type { LooseConfig } from '../experiment.js';

export type PaperMethod = 'large LR + anneal' | 'small LR' | 'small LR + noise';

/** Table 1: clean validation accuracy (%) on CIFAR-10, WRN-16-10, 200 epochs. */
export const PAPER_TABLE1: Record<PaperMethod, { clean: number }> = {
  'large LR + anneal': { clean: 90.41 },
  'small LR + noise': { clean: 89.65 },
  'small LR': { clean: 84.93 },
};

/** Table 2: mixed / clean validation accuracy (%) of the patch experiment, 60 epochs. */
export const PAPER_TABLE2: Record<PaperMethod, { mixed: number; clean: number }> = {
  'large LR + anneal': { mixed: 95.35, clean: 87.61 },
  'small LR': { mixed: 92.83, clean: 69.89 },
  'small LR + noise': { mixed: 94.43, clean: 81.36 },
};

/** The paper's row order of each table. */
export const PAPER_ORDER: Record<1 | 2, PaperMethod[]> = {
  1: ['large LR + anneal', 'small LR + noise', 'small LR'],
  2: ['large LR + anneal', 'small LR', 'small LR + noise'],
};

export interface PaperComparison {
  /** Which table's layout the run's numbers take. */
  table: 1 | 2;
  /** The paper column's header, or null when the run has nothing to be set beside. */
  label: string | null;
  /** False when the paper's numbers come from another setting (shown for orientation only). */
  comparable: boolean;
}

/**
 * The paper method a run's method corresponds to, or null (references such as 'small LR (clean only)').
 * Matches 'large LR + anneal', 'large-lr', 'small-lr+noise', ... case- and punctuation-insensitively.
 */
export function paperMethod(name: string): PaperMethod | null {
  const k = name.toLowerCase().replace(/[^a-z0-9+]/g, '');
  if (k === 'largelr+anneal' || k === 'largelranneal' || k === 'largelr') return 'large LR + anneal';
  if (k === 'smalllr') return 'small LR';
  if (k === 'smalllr+noise' || k === 'smalllrnoise') return 'small LR + noise';
  return null;
}

/** Which of the paper's tables an image run corresponds to, and how its numbers compare. */
export function paperComparison(cfg: LooseConfig): PaperComparison {
  const preset = String(cfg.preset ?? '');
  const patch = cfg.patch as { enabled?: boolean } | undefined;
  const patched = patch?.enabled ?? /patch/i.test(preset);
  const table: 1 | 2 = preset === 'patch' || (preset !== 'clean' && patched) ? 2 : 1;
  const dataset = String((cfg.dataset as { name?: unknown } | undefined)?.name ?? '');
  const fashion = dataset === 'fashion-mnist' || /fmnist|fashion/i.test(preset);
  if (fashion) return { table, label: 'paper (CIFAR-10, different setting)', comparable: false };
  if ((preset === 'clean' || preset === 'patch') && (dataset === '' || dataset === 'cifar10')) {
    return { table, label: `paper (Table ${table})`, comparable: true };
  }
  return { table, label: null, comparable: false };
}
