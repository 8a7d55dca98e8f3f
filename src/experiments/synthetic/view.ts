// What the report and the dashboard show for a synthetic run: per-component test accuracy and
// Q-contrast curves with the L-S anneal marked, the P and Q margins on the mixed training examples,
// the final table with the learning order (when P and Q were learned), the order statistics over
// seeds, the run's facts, and the figures an unfinished run's rows give.
import { meanStd, fmtMeanStd, fmtQuartiles, type MeanStd } from '../../util/stats.js';
import type { MetricsRow } from '../../runs/format.js';
import { SERIES, colorEnc, meanBandPanel, nested, top, type ChartContext, type ChartSpec, type VlSpec } from '../../viz/charts.js';
import { seedCount, seedsNote, partsCell, firstStepCell, type Table } from '../../viz/table.js';
import type { FinalStats } from '../../viz/finals.js';
import type { ExperimentView, LooseConfig } from '../experiment.js';
import { LEARNED_ACC, MARGIN_LEARNED, firstLearnedStep, orderStats, orderSteps, type SeedFraction, type StepDistribution } from './learned.js';

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
  const margins = top(ctx, meanBandPanel(ctx, {
    title: 'margins of the P and Q parts on the mixed training examples', x,
    ys: [['P part, y r(x1)', nested('margin', 'p')], ['Q part, y g(x2)', nested('margin', 'q')]],
    yTitle: 'mean margin', width: 640, height: 260, over: [syntheticAnnealLayer(ctx)],
  }));
  return [
    { id: 'components', title: 'Test accuracy per component vs step', caption: 'P-only and Q-only test accuracy: mean over seeds (line), ± one standard deviation (band). Dashed vertical line: where L-S annealed (mean over seeds of the first annealed evaluation step).', spec: components },
    { id: 'q-contrast', title: 'Q-contrast vs step', caption: 'How strongly the network separates the Q pattern (memorization of Q); dashed: the L-S anneal.', spec: contrast },
    { id: 'margins', title: 'Margins of the P and Q parts vs step (Lemmas 5.2-5.3)', caption: `On the training examples that have both components: the mean margin of the network's P part, y r(x1), and of its Q part, y g(x2). The part that grows first is the one the network fits these examples with; a part counts as learned at margin ${MARGIN_LEARNED}. Dashed vertical line: the L-S anneal.`, spec: margins },
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

const frac = (v: MeanStd | undefined) => {
  const f = v as SeedFraction | undefined;
  return f && f.mean !== null ? `${f.mean.toFixed(2)} [${f.lo!.toFixed(2)}, ${f.hi!.toFixed(2)}]` : '-';
};
/** `finished`: the run has ended, so a step not reached is 'never' (until then 'not yet'). */
const dist = (v: MeanStd | undefined, finished: boolean) => {
  const d = v as StepDistribution | undefined;
  if (!d || d.of === undefined) return '-';
  return d.median === null ? `${finished ? 'never' : 'not yet'} (0/${d.of})` : `${fmtQuartiles(d)} (${d.n}/${d.of})`;
};

/** The learning order over the population of seeds: which component each method learns first, and when. */
export function syntheticOrderTable(methods: string[], f: FinalStats): Table {
  const finished = f.source === 'summary';
  const rows = methods.map((m) => {
    const s = f.methods[m] ?? {};
    const o = (k: string) => s[`order.${k}`];
    return [m, String(o('p_before_q_test')?.n ?? 0), frac(o('p_before_q_test')), frac(o('q_before_p_test')), frac(o('p_before_q_margin')), frac(o('q_before_p_margin')),
      dist(o('step_p_test'), finished), dist(o('step_q_test'), finished), dist(o('step_p_margin'), finished), dist(o('step_q_margin'), finished)];
  });
  return {
    caption: `Learning order over seeds: the fraction of seeds that learn P strictly before Q (and Q before P), with 95% Wilson intervals, by test crossing (test accuracy >= ${LEARNED_ACC}) and by margins (the part's mean margin on the mixed training examples >= ${MARGIN_LEARNED}); and the steps: median [quartiles] over the seeds that got there (of all seeds)`,
    header: ['method', 'seeds', 'P before Q (test)', 'Q before P (test)', 'P before Q (margins)', 'Q before P (margins)', 'P test acc reached at step', 'Q test acc reached at step', 'P margin reached at step', 'Q margin reached at step'],
    paperCols: [], rows, notes: f.source === 'summary' ? [] : ['run not finished: from the rows so far'],
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
  const order = orderStats(seeds.map((rs) => orderSteps(rs as Parameters<typeof orderSteps>[0])));
  for (const [k, v] of Object.entries(order)) stats[`order.${k}`] = v;
  return stats;
}

export const syntheticView: ExperimentView = {
  clock: 'step',
  headline: { group: 'test_acc', keys: ['p_only', 'q_only', 'both', 'all'] },
  listColumn: { key: 'test_acc.p_only', label: 'P-only test acc', format: 'frac' },
  indexKeys: ['annealed_at_step'],
  methodNames: (c: LooseConfig) => (Array.isArray(c.methods) ? c.methods.map(String) : []),
  rowFinals: syntheticRowFinals,
  tables: (_c, methods, f) => [syntheticTable(methods, f), syntheticOrderTable(methods, f)],
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
