// The report's tables as plain data (header + rows of strings): the paper's Table 1 / Table 2 layout
// for image runs, with the paper's numbers beside ours where the preset corresponds to one of the
// paper's, and the final test accuracy per component for synthetic runs.
import { fmtMeanStd, type MeanStd } from '../util/stats.js';
import type { FinalStats } from './finals.js';
import { PAPER_ORDER, PAPER_TABLE1, PAPER_TABLE2, paperComparison, paperMethod } from './paper.js';
import type { RunConfig } from './runData.js';
import { LEARNED_ACC } from '../experiments/learned.js';

export interface Table {
  caption: string;
  header: string[];
  /** Header cells (by index) that hold the paper's numbers. */
  paperCols: number[];
  rows: string[][];
  notes: string[];
}

/** Accuracy as a percentage, "87.61 ± 0.42"; values up to 1.5 are taken as fractions. */
export function pct(m: MeanStd | undefined): string {
  if (!m || m.mean === null) return '-';
  const k = Math.abs(m.mean) <= 1.5 ? 100 : 1;
  return fmtMeanStd({ mean: m.mean * k, std: (m.std ?? 0) * k, n: m.n }, 2);
}

const seedsNote = (f: FinalStats, n: number) => f.source === 'summary'
  ? `mean ± std over ${n} seed${n === 1 ? '' : 's'} (summary.json)`
  : 'run not finished: mean ± std over seeds of each seed\'s latest evaluation (metrics.jsonl)';

/** Methods in the paper's row order first (those that correspond to one), then the rest in config order. */
function orderMethods(methods: string[], table: 1 | 2): string[] {
  const rank = (m: string) => { const p = paperMethod(m); return p ? PAPER_ORDER[table].indexOf(p) : 99; };
  return methods.map((m, i) => [m, i] as const).sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1]).map(([m]) => m);
}

function seedCount(f: FinalStats, methods: string[], key: string): number {
  return Math.max(0, ...methods.map((m) => f.methods[m]?.[key]?.n ?? 0));
}

/** Table 1 (clean val accuracy) or Table 2 (mixed / clean val accuracy) layout for an image run. */
export function imageMainTable(cfg: RunConfig, methods: string[], f: FinalStats): Table {
  const cmp = paperComparison(cfg);
  const order = orderMethods(methods, cmp.table);
  const n = seedCount(f, order, 'val_acc.clean');
  const ours = cmp.table === 2 ? ['ours: mixed', 'ours: clean'] : ['ours: clean'];
  const paper = cmp.label ? (cmp.table === 2 ? [`${cmp.label}: mixed`, `${cmp.label}: clean`] : [`${cmp.label}: clean`]) : [];
  const header = ['method', ...ours, ...paper];
  const rows = order.map((m) => {
    const s = f.methods[m] ?? {};
    const p = paperMethod(m);
    const mine = cmp.table === 2 ? [pct(s['val_acc.mixed']), pct(s['val_acc.clean'])] : [pct(s['val_acc.clean'])];
    const theirs = !cmp.label ? [] : !p ? paper.map(() => '-')
      : cmp.table === 2 ? [PAPER_TABLE2[p].mixed.toFixed(2), PAPER_TABLE2[p].clean.toFixed(2)] : [PAPER_TABLE1[p].clean.toFixed(2)];
    return [m, ...mine, ...theirs];
  });
  const what = cmp.table === 2 ? 'validation accuracy (%) on mixed / clean images' : 'clean validation accuracy (%)';
  const notes: string[] = [];
  if (cmp.label && !cmp.comparable) {
    notes.push(`The paper's numbers are WRN-16-10 on CIFAR-10 (Table ${cmp.table}); this run is ${cfg.dataset?.name ?? 'another setting'}, preset '${cfg.preset}': shown for orientation, not directly comparable.`);
  }
  if (cmp.label && rows.some((r) => r[r.length - 1] === '-')) notes.push('Reference methods (other training sets) have no counterpart in the paper\'s table.');
  return {
    caption: `Table ${cmp.table} layout: ${what}, ${seedsNote(f, n)}`,
    header, paperCols: paper.map((_, i) => ours.length + 1 + i), rows, notes,
  };
}

/** Further image numbers: mean of the last 5 evaluations, patch-only accuracy, when the patch was fitted. */
export function imageDetailTable(methods: string[], f: FinalStats, patched: boolean): Table {
  const header = ['method', 'clean (last 5 evals)', ...(patched ? ['mixed (last 5 evals)', 'patch-only (final)', 'patch-only > 50% at epoch'] : []), 'parts'];
  const rows = methods.map((m) => {
    const s = f.methods[m] ?? {};
    const fit = s.patch_only_above_50_epoch;
    const parts = Object.entries(f.statuses[m] ?? {}).map(([k, v]) => `${v} ${k}`).join(', ') || '-';
    return [m, pct(s['val_acc_last5_mean.clean']), ...(patched ? [pct(s['val_acc_last5_mean.mixed']), pct(s['val_acc.patch_only']), fit && fit.mean !== null ? `${fmtMeanStd(fit, 1)} (${fit.n} seed${fit.n === 1 ? '' : 's'})` : 'never'] : []), parts];
  });
  return {
    caption: 'Validation accuracy (%) averaged over each seed\'s last 5 evaluations (final accuracy can swing between epochs), the final patch-only accuracy, and the first epoch with patch-only accuracy above 50% (the patch memorized)',
    header, paperCols: [], rows, notes: [],
  };
}

/** "mean ± std (k/n seeds)" of a first-step statistic, "never" when no seed reached it, "-" when not recorded (older summaries). */
function firstStep(m: MeanStd | undefined, seeds: number): string {
  if (!m) return '-';
  if (m.mean === null || m.n === 0) return 'never';
  return m.n < seeds ? `${fmtMeanStd(m, 0)} (${m.n}/${seeds} seeds)` : fmtMeanStd(m, 0);
}

/** Final test accuracy per component per method and when P and Q were learned (synthetic runs). */
export function syntheticTable(methods: string[], f: FinalStats): Table {
  const comps = ['p_only', 'q_only', 'both', 'all'];
  const n = seedCount(f, methods, 'test_acc.p_only');
  const rows = methods.map((m) => {
    const s = f.methods[m] ?? {};
    const parts = Object.entries(f.statuses[m] ?? {}).map(([k, v]) => `${v} ${k}`).join(', ') || '-';
    const k = s['test_acc.p_only']?.n ?? 0;
    return [m, ...comps.map((c) => fmtMeanStd(s[`test_acc.${c}`])), firstStep(s['learned_at_step.p_only'], k), firstStep(s['learned_at_step.q_only'], k),
      fmtMeanStd(s.steps, 0), s.annealed_at_step ? fmtMeanStd(s.annealed_at_step, 0) : '-', parts];
  });
  return {
    caption: `Final test accuracy per component, ${seedsNote(f, n)}; "learned at": the first evaluated step with test accuracy >= ${LEARNED_ACC} on that component (learning order)`,
    header: ['method', 'P-only', 'Q-only', 'both', 'all', 'P learned at step', 'Q learned at step', 'steps', 'annealed at step', 'parts'], paperCols: [], rows, notes: [],
  };
}
