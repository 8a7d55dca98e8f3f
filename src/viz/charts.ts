// Building blocks of the Vega-Lite charts that each experiment kind declares (its `view.charts`),
// shared by the report (rendered to SVG in Node) and the dashboard (compiled in the browser, rows
// streamed in). Every chart takes the raw metrics rows (plus a `series` name per row: the method, or
// 'run · method' when runs are overlaid) and computes the mean line and the ±std band over seeds in
// its own transforms, so appending rows updates it.

/** A shaded annealing period on an epoch axis: from `epoch` to `end`, labeled with the methods it applies to. */
export interface AnnealMark { epoch: number; at: number[]; end: number; label: string; series: string[] }

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

export const SERIES = { calculate: 'isValid(datum.series) ? datum.series : datum.method', as: 'series_' };

/** A nested value as a Vega expression: datum.group.key when it is a number, else null (skipped). */
export function nested(group: string, key: string, scale = 1): string {
  const v = `datum['${group}']['${key}']`;
  return `isObject(datum['${group}']) && isNumber(${v}) && isFinite(${v}) ? ${v} * ${scale} : null`;
}

export function colorEnc(ctx: ChartContext): VlSpec {
  return {
    field: 'series_', type: 'nominal', title: null,
    scale: { domain: ctx.series },
    legend: { orient: 'bottom', columns: Math.min(3, Math.max(1, ctx.series.length)), labelLimit: 360, symbolStrokeWidth: 3, symbolType: 'stroke' },
  };
}

export interface Panel {
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
export function meanBandPanel(ctx: ChartContext, p: Panel): VlSpec {
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
    // (vega's stdev of one value is undefined: the tooltip and the SVG's aria labels would say "NaN")
    { calculate: "isValid(datum.sd) ? format(datum.sd, '.4~f') : '- (one seed)'", as: 'sdText' },
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
        { field: 'mean', format: '.4~f' }, { field: 'sdText', title: 'std' }, { field: 'n', title: 'seeds' },
      ],
    },
  };
  return {
    title: { text: p.title, fontSize: 13 }, width: p.width, height: p.height,
    layer: [...(p.under ?? []), { transform, layer: [band, line] }, ...(p.over ?? [])],
  };
}

/** The shaded annealing periods and their start lines (image runs). */
export function annealLayers(ctx: ChartContext, withText: boolean): VlSpec[] {
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

export function top(ctx: ChartContext, body: VlSpec): VlSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: ctx.data,
    config: { font: 'Helvetica, Arial, sans-serif', view: { stroke: '#ddd' }, axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee' }, legend: { labelFontSize: 12, symbolOpacity: 1 } },
    ...body,
  };
}

