// Vega-Lite specs of the paper's figures, shared by the report (rendered to SVG in Node) and the
// dashboard (compiled in the browser, rows streamed in). Every chart takes the raw metrics rows
// (plus a `series` name per row: the method, or 'run · method' when runs are overlaid) and computes
// the mean line and the ±std band over seeds in its own transforms, so appending rows updates it.
import type { AnnealMark } from './annealing.js';

export type VlSpec = Record<string, unknown>;
export interface ChartSpec { id: string; title: string; caption: string; spec: VlSpec }

export interface ChartContext {
  /** {name: 'rows'} for a dataset filled later, or {values: rows}. */
  data: { name: string } | { values: unknown[] };
  /** Every series name, in legend order (fixes each method's colour across charts). */
  series: string[];
  /** Image runs: the annealing periods to shade. */
  anneal?: AnnealMark[];
}

const SERIES = { calculate: 'isValid(datum.series) ? datum.series : datum.method', as: 'series_' };

/** A nested value as a Vega expression: datum.group.key when it is a number, else null (skipped). */
function nested(group: string, key: string, scale = 1): string {
  const v = `datum['${group}']['${key}']`;
  return `isObject(datum['${group}']) && isNumber(${v}) && isFinite(${v}) ? ${v} * ${scale} : null`;
}

function colorEnc(ctx: ChartContext): VlSpec {
  return {
    field: 'series_', type: 'nominal', title: null,
    scale: { domain: ctx.series },
    legend: { orient: 'bottom', columns: Math.min(3, Math.max(1, ctx.series.length)), labelLimit: 360, symbolStrokeWidth: 3, symbolType: 'stroke' },
  };
}

interface Panel {
  title: string;
  x: { field: 'epoch' | 'step'; title: string };
  /** Value lines: [label, expression]; several get a strokeDash per label. */
  ys: [string, string][];
  yTitle: string;
  yDomain?: [number, number];
  width: number;
  height: number;
  /** Extra layers drawn under (annotations) the band and line. */
  under?: VlSpec[];
  over?: VlSpec[];
}

/** One panel: per series (and value line), the mean over seeds as a line and mean ± std as a band. */
function meanBandPanel(ctx: ChartContext, p: Panel): VlSpec {
  const many = p.ys.length > 1;
  const groupby = ['series_', p.x.field, ...(many ? ['set'] : [])];
  const transform: VlSpec[] = [
    SERIES,
    ...p.ys.map(([label, expr]) => ({ calculate: expr, as: `v_${label}` })),
    { fold: p.ys.map(([label]) => `v_${label}`), as: ['set_', 'y'] },
    { filter: 'isValid(datum.y)' },
    { calculate: "slice(datum.set_, 2)", as: 'set' },
    { aggregate: [{ op: 'mean', field: 'y', as: 'mean' }, { op: 'stdev', field: 'y', as: 'sd' }, { op: 'count', as: 'n' }], groupby },
    { calculate: 'datum.mean - (isValid(datum.sd) ? datum.sd : 0)', as: 'lo' },
    { calculate: 'datum.mean + (isValid(datum.sd) ? datum.sd : 0)', as: 'hi' },
  ];
  const x = { field: p.x.field, type: 'quantitative', title: p.x.title, axis: { tickMinStep: 1, tickCount: Math.max(4, Math.round(p.width / 70)), labelOverlap: true } };
  const yScale = p.yDomain ? { domain: p.yDomain, clamp: true } : { zero: false };
  const detail = many ? [{ field: 'set', type: 'nominal' }] : [];
  const band: VlSpec = {
    mark: { type: 'area', opacity: 0.18 },
    encoding: { x, y: { field: 'lo', type: 'quantitative', scale: yScale, title: p.yTitle }, y2: { field: 'hi' }, color: colorEnc(ctx), detail },
  };
  const line: VlSpec = {
    mark: { type: 'line', strokeWidth: 2 },
    encoding: {
      x, y: { field: 'mean', type: 'quantitative', scale: yScale, title: p.yTitle }, color: colorEnc(ctx),
      ...(many ? { strokeDash: { field: 'set', type: 'nominal', title: null, legend: { orient: 'bottom' } } } : {}),
      tooltip: [
        { field: 'series_', title: 'series' }, ...(many ? [{ field: 'set' }] : []), { field: p.x.field },
        { field: 'mean', format: '.4~f' }, { field: 'sd', title: 'std', format: '.4~f' }, { field: 'n', title: 'seeds' },
      ],
    },
  };
  return {
    title: { text: p.title, fontSize: 13 }, width: p.width, height: p.height,
    layer: [...(p.under ?? []), { transform, layer: [band, line] }, ...(p.over ?? [])],
  };
}

/** The shaded annealing periods and their start lines (image runs). */
function annealLayers(ctx: ChartContext, withText: boolean): VlSpec[] {
  const marks = ctx.anneal ?? [];
  if (marks.length === 0) return [];
  const values = marks.map((m, i) => ({ start: m.epoch, end: m.end, label: m.label, short: `lr annealed (epoch ${m.epoch})`, ypx: 2 + 13 * i }));
  const x = { field: 'start', type: 'quantitative' };
  const rules = marks.flatMap((m) => m.at.map((e) => ({ start: e, label: m.label })));
  return [
    { data: { values }, mark: { type: 'rect', color: '#9e9e9e', opacity: 0.14 }, encoding: { x, x2: { field: 'end' }, tooltip: [{ field: 'label' }] } },
    { data: { values: rules }, mark: { type: 'rule', color: '#616161', strokeDash: [5, 3] }, encoding: { x, tooltip: [{ field: 'label' }] } },
    ...(withText ? [{
      data: { values },
      mark: { type: 'text', align: 'left', baseline: 'top', dx: 4, dy: 4, fontSize: 10, color: '#424242' },
      encoding: { x, y: { field: 'ypx', type: 'quantitative', scale: null }, text: { field: 'short' } },
    }] : []),
  ];
}

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

function top(ctx: ChartContext, body: VlSpec): VlSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: ctx.data,
    config: { font: 'Helvetica, Arial, sans-serif', view: { stroke: '#ddd' }, axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee' }, legend: { labelFontSize: 12, symbolOpacity: 1 } },
    ...body,
  };
}

/** Figure 3 (clean and patch-only validation accuracy vs epoch) and Figure 1 (train and validation accuracy, annealing shaded). */
export function imageCharts(ctx: ChartContext): ChartSpec[] {
  const x = { field: 'epoch' as const, title: 'epoch' };
  const pct: [number, number] = [0, 100];
  const fig3 = top(ctx, {
    hconcat: [
      meanBandPanel(ctx, { title: 'clean validation accuracy', x, ys: [['clean', nested('val_acc', 'clean', 100)]], yTitle: 'accuracy (%)', yDomain: pct, width: 340, height: 240, under: annealLayers(ctx, false) }),
      meanBandPanel(ctx, { title: 'patch-only validation accuracy', x, ys: [['patch_only', nested('val_acc', 'patch_only', 100)]], yTitle: 'accuracy (%)', yDomain: pct, width: 340, height: 240, under: annealLayers(ctx, false) }),
    ],
    resolve: { scale: { color: 'shared' }, legend: { color: 'shared' } },
  });
  const fig1 = top(ctx, meanBandPanel(ctx, {
    title: 'train and clean validation accuracy', x,
    ys: [['train', nested('train_acc', 'all', 100)], ['val', nested('val_acc', 'clean', 100)]],
    yTitle: 'accuracy (%)', yDomain: pct, width: 640, height: 300, under: annealLayers(ctx, true),
  }));
  return [
    { id: 'figure3', title: 'Figure 3: validation accuracy on clean and patch-only images', caption: 'Mean over seeds (line) and ± one standard deviation (band); the grey area is the time after the learning rate was annealed.', spec: fig3 },
    { id: 'figure1', title: 'Figure 1: train and validation accuracy, annealing shaded', caption: 'Solid: training accuracy (all training batches, as trained, with noise); dashed: clean validation accuracy. Grey: after the lr anneal, from the methods\' lr schedules.', spec: fig1 },
  ];
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
