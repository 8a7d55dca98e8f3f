// What the report and the dashboard show for an image run: the paper's Figure 3 and Figure 1, the
// Table 1 / Table 2 layout with the paper's numbers beside ours, the detail table (last-5 means,
// when the patch was memorized), the per-example learning events' tables, the run's facts, and the figures an unfinished run's rows give.
import { fmtMeanStd, meanStd, type MeanStd } from '../../util/stats.js';
import { firstEpochAbove, lastRowsMean } from '../../metrics/imageMetrics.js';
import type { MetricsRow } from '../../runs/format.js';
import { pick, type FinalStats } from '../../viz/finals.js';
import { notReached, partsCell, pct, seedCount, seedsNote, type Table } from '../../viz/table.js';
import type { ExperimentView, LooseConfig } from '../experiment.js';
import { imageAnnealMarks } from './annealing.js';
import { imageCharts } from './charts.js';
import { classEventsTable, hasEvents, learningEventsTable, orderAgreementTable } from './eventTables.js';
import { PAPER_ORDER, PAPER_TABLE1, PAPER_TABLE2, paperComparison, paperMethod } from './paper.js';

const SETS = ['clean', 'mixed', 'patch_only'] as const;
type LooseMethod = { name?: unknown; lr?: unknown; noise?: unknown; subset?: unknown };
const methodsOf = (c: LooseConfig): LooseMethod[] => (Array.isArray(c.methods) ? c.methods as LooseMethod[] : []);

/** Methods in the paper's row order first (those that correspond to one), then the rest in config order. */
function orderMethods(methods: string[], table: 1 | 2): string[] {
  const rank = (m: string) => { const p = paperMethod(m); return p ? PAPER_ORDER[table].indexOf(p) : 99; };
  return methods.map((m, i) => [m, i] as const).sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1]).map(([m]) => m);
}

/** Table 1 (clean val accuracy) or Table 2 (mixed / clean val accuracy) layout for an image run. */
export function imageMainTable(cfg: LooseConfig, methods: string[], f: FinalStats): Table {
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
    const dataset = (cfg.dataset as { name?: unknown } | undefined)?.name;
    notes.push(`The paper's numbers are WRN-16-10 on CIFAR-10 (Table ${cmp.table}); this run is ${String(dataset ?? 'another setting')}, preset '${String(cfg.preset)}': shown for orientation, not directly comparable.`);
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
    return [m, pct(s['val_acc_last5_mean.clean']), ...(patched ? [pct(s['val_acc_last5_mean.mixed']), pct(s['val_acc.patch_only']), fit && fit.mean !== null ? `${fmtMeanStd(fit, 1)} (${fit.n} seed${fit.n === 1 ? '' : 's'})` : notReached(f)] : []), partsCell(f, m)];
  });
  return {
    caption: 'Validation accuracy (%) averaged over each seed\'s last 5 evaluations (final accuracy can swing between epochs), the final patch-only accuracy, and the first epoch with patch-only accuracy above 50% (the patch memorized)',
    header, paperCols: [], rows, notes: [],
  };
}

/** A short description of an lr or noise schedule ('0.1, x0.04 at epoch 30'). */
export function describeSchedule(s: unknown): string {
  const o = (s ?? {}) as Record<string, unknown>;
  const v = o.lr ?? o.std ?? o.lr1;
  switch (o.kind) {
    case 'off': return 'off';
    case 'constant': return `${String(v)} constant`;
    case 'step': return `${String(v)}, x${String(o.factor)} at ${String(o.unit)} ${(o.at as number[]).join(', ')}`;
    case 'multistep': return `${String(v)}, x${String(o.gamma)} at ${String(o.unit ?? 'epoch')} ${(o.milestones as number[]).join(', ')}`;
    case 'cosine': return `${String(v)}, cosine over ${String(o.total)} ${String(o.unit ?? 'epoch')}s`;
    case 'exponential': return `${String(v)}, x${String(o.rate)} per ${String(o.every)}`;
    case 'annealAtLoss': return `${String(o.lr1)} until loss < ${String(o.threshold)}, then ${String(o.lr2)}`;
    default: return JSON.stringify(s);
  }
}

/** The last-5 means and the patch-fit epoch of one method's rows (one array per seed, in epoch order). */
export function imageRowFinals(seeds: MetricsRow[][]): Record<string, MeanStd> {
  // the same functions as the part files' (summary.json's) figures, so both show the same numbers
  const histories = seeds.map((rs) => rs.map((r) => ({ epoch: r.epoch ?? 0, val_acc: { clean: pick(r, 'val_acc', 'clean'), mixed: pick(r, 'val_acc', 'mixed'), patch_only: pick(r, 'val_acc', 'patch_only') } })));
  const stats: Record<string, MeanStd> = {};
  const last5 = histories.map((h) => lastRowsMean(h, 5));
  for (const k of SETS) stats[`val_acc_last5_mean.${k}`] = meanStd(last5.map((m) => m[k]));
  const fit = histories.map((h) => firstEpochAbove(h, 0.5));
  if (fit.some((e) => e !== null)) stats.patch_only_above_50_epoch = meanStd(fit);
  return stats;
}

export const imagesView: ExperimentView = {
  clock: 'epoch',
  headline: { group: 'val_acc', keys: SETS },
  listColumn: { key: 'val_acc.clean', label: 'clean val %', format: 'pct' },
  indexKeys: ['val_acc_last5_mean.clean', 'patch_only_above_50_epoch'],
  methodNames: (c) => methodsOf(c).map((m) => String(m.name)),
  rowFinals: imageRowFinals,
  tables: (c, methods, f) => [
    imageMainTable(c, methods, f), imageDetailTable(methods, f, (c.patch as { enabled?: boolean } | undefined)?.enabled !== false),
    ...(hasEvents(methods, f) ? [learningEventsTable(methods, f), classEventsTable(methods, f), orderAgreementTable(methods, f)] : []),
  ],
  charts: (ctx, configs, seriesOf) => imageCharts({ ...ctx, anneal: imageAnnealMarks(configs.map((config) => ({ config })), seriesOf) }),
  facts(run) {
    const c = run.config;
    const s = run.summary as { patchMode?: string | null; recalibratedBn?: boolean } | null;
    const patch = (c.patch ?? {}) as { enabled?: boolean; mode?: string };
    const model = (c.model ?? {}) as Record<string, unknown>;
    const out: [string, string][] = [['data set', String((c.dataset as { name?: unknown } | undefined)?.name ?? '?')], ['model', String(model.arch ?? '?')]];
    const mode = s?.patchMode ?? patch.mode;
    out.push(['patch', patch.enabled === false ? 'none' : `${mode ?? '?'} (the patch ${mode === 'add' ? 'is added to' : 'replaces'} the centre pixels)`]);
    const recal = s?.recalibratedBn ?? (c.train as { recalibrateBn?: boolean } | undefined)?.recalibrateBn;
    if (recal !== undefined) out.push(['BatchNorm statistics', recal ? 'recalibrated before each evaluation' : 'running averages']);
    for (const m of methodsOf(c)) out.push([String(m.name), `lr ${describeSchedule(m.lr)}; noise ${describeSchedule(m.noise)}; trains on ${String(m.subset ?? '?')}`]);
    return out;
  },
};
