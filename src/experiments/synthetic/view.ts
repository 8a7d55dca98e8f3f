// What the report and the dashboard show for a synthetic run: per-component test accuracy and
// Q-contrast curves with the L-S anneal marked, the final table with the learning order (when P
// and Q were learned), the run's facts, and the figures an unfinished run's rows give.
import { meanStd, fmtMeanStd, type MeanStd } from '../../util/stats.js';
import type { MetricsRow } from '../../runs/format.js';
import { SERIES, colorEnc, meanBandPanel, nested, top, type ChartContext, type ChartSpec, type VlSpec } from '../../viz/charts.js';
import { seedCount, seedsNote, partsCell, firstStepCell, type Table } from '../../viz/table.js';
import type { FinalStats } from '../../viz/finals.js';
import type { ExperimentView, LooseConfig } from '../experiment.js';
import { LEARNED_ACC, firstLearnedStep } from './learned.js';

/** The synthetic runs' anneal marker: per series, the mean over seeds of the first `annealed` row's step. */
function syntheticAnnealLayer(ctx: ChartContext): VlSpec {
  return {
    transform: [
      SERIES,
      { filter: 'datum.annealed === true' },
      { aggregate: [{ op: 'min', field: 'step', as: 'first' }], groupby: ['series_', 'seed'] },
      { aggregate: [{ op: 'mean', field: 'first', as: 'anneal_step' }], groupby: ['series_'] },
      { calculate: "'annealed at step ' + format(datum.anneal_step, ',.0f')", as: 'label' },
    ],
    layer: [
      { mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 1.5 }, encoding: { x: { field: 'anneal_step', type: 'quantitative' }, color: colorEnc(ctx), tooltip: [{ field: 'series_', title: 'series' }, { field: 'label' }] } },
      { mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, dy: 3, fontSize: 10 }, encoding: { x: { field: 'anneal_step', type: 'quantitative' }, y: { value: 0 }, text: { value: 'anneal' }, color: colorEnc(ctx) } },
    ],
  };
}

/** Per-component test accuracy (P-only, Q-only) vs step and the Q-contrast vs step, L-S annealing marked. */
export function syntheticCharts(ctx: ChartContext): ChartSpec[] {
  const x = { field: 'step' as const, title: 'step' };
  const acc = (key: string, title: string) => meanBandPanel(ctx, {
    title, x, ys: [[key, nested('test_acc', key)]], yTitle: 'test accuracy', yDomain: [0, 1], width: 340, height: 240, over: [syntheticAnnealLayer(ctx)],
  });
  const components = top(ctx, {
    hconcat: [acc('p_only', 'P-only test accuracy'), acc('q_only', 'Q-only test accuracy')],
    resolve: { scale: { color: 'shared' }, legend: { color: 'shared' } },
  });
  const contrast = top(ctx, meanBandPanel(ctx, {
    title: 'Q-contrast', x, ys: [['q_contrast', 'isNumber(datum.q_contrast) && isFinite(datum.q_contrast) ? datum.q_contrast : null']],
    yTitle: 'Q-contrast', width: 640, height: 260, over: [syntheticAnnealLayer(ctx)],
  }));
  return [
    { id: 'components', title: 'Test accuracy per component vs step', caption: 'P-only and Q-only test accuracy: mean over seeds (line), ± one standard deviation (band). Dashed vertical line: where L-S annealed (mean over seeds of the first annealed evaluation step).', spec: components },
    { id: 'q-contrast', title: 'Q-contrast vs step', caption: 'How strongly the network separates the Q pattern (memorization of Q); dashed: the L-S anneal.', spec: contrast },
  ];
}

/** Final test accuracy per component per method and when P and Q were learned. */
export function syntheticTable(methods: string[], f: FinalStats): Table {
  const comps = ['p_only', 'q_only', 'both', 'all'];
  const n = seedCount(f, methods, 'test_acc.p_only');
  const rows = methods.map((m) => {
    const s = f.methods[m] ?? {};
    const k = s['test_acc.p_only']?.n ?? 0;
    return [m, ...comps.map((c) => fmtMeanStd(s[`test_acc.${c}`])), firstStepCell(s['learned_at_step.p_only'], k, f), firstStepCell(s['learned_at_step.q_only'], k, f),
      fmtMeanStd(s.steps, 0), s.annealed_at_step ? fmtMeanStd(s.annealed_at_step, 0) : '-', partsCell(f, m)];
  });
  return {
    caption: `Final test accuracy per component, ${seedsNote(f, n)}; "learned at": the first evaluated step with test accuracy >= ${LEARNED_ACC} on that component (learning order)`,
    header: ['method', 'P-only', 'Q-only', 'both', 'all', 'P learned at step', 'Q learned at step', 'steps', 'annealed at step', 'parts'], paperCols: [], rows, notes: [],
  };
}

/** Each method's annealing step: the mean over seeds of the first `annealed: true` row's step. */
export function syntheticAnnealSteps(rows: MetricsRow[]): Record<string, number> {
  const first = new Map<string, Map<number, number>>();
  for (const r of rows) {
    if (r.annealed !== true) continue;
    const m = first.get(r.method) ?? new Map<number, number>();
    const prev = m.get(r.seed);
    if (prev === undefined || r.step < prev) m.set(r.seed, r.step);
    first.set(r.method, m);
  }
  const out: Record<string, number> = {};
  for (const [method, seeds] of first) out[method] = meanStd([...seeds.values()]).mean!;
  return out;
}

/** The figures of one method's rows (one array per seed, in step order) that summary.json would hold. */
export function syntheticRowFinals(seeds: MetricsRow[][]): Record<string, MeanStd> {
  const stats: Record<string, MeanStd> = { steps: meanStd(seeds.map((rs) => rs[rs.length - 1]!.step)) };
  const ann = seeds.map((rs) => rs.find((r) => r.annealed === true)?.step ?? null);
  if (ann.some((s) => s !== null)) stats.annealed_at_step = meanStd(ann);
  for (const k of ['p_only', 'q_only']) {
    stats[`learned_at_step.${k}`] = meanStd(seeds.map((rs) => firstLearnedStep(rs as { step: number; test_acc?: Record<string, number | null> }[], k)));
  }
  return stats;
}

export const syntheticView: ExperimentView = {
  clock: 'step',
  headline: { group: 'test_acc', keys: ['p_only', 'q_only', 'both', 'all'] },
  listColumn: { key: 'test_acc.p_only', label: 'P-only test acc', format: 'frac' },
  indexKeys: ['annealed_at_step'],
  methodNames: (c: LooseConfig) => (Array.isArray(c.methods) ? c.methods.map(String) : []),
  rowFinals: syntheticRowFinals,
  tables: (_c, methods, f) => [syntheticTable(methods, f)],
  charts: (ctx) => syntheticCharts(ctx),
  facts(run) {
    const t = (run.config.train ?? {}) as Record<string, unknown>;
    const out: [string, string][] = [];
    if (t.eta1 !== undefined) out.push(['learning rates', `large ${String(t.eta1)}, small ${String(t.eta2)}; ${String(t.update ?? '')}`]);
    const ann = syntheticAnnealSteps(run.rows);
    if (Object.keys(ann).length) out.push(['annealed at step (mean over seeds)', Object.entries(ann).map(([m, s]) => `${m} ${Math.round(s)}`).join(', ')]);
    return out;
  },
};
