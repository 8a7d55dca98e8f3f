// The charts of a sweep (Vega-Lite specs with their data inline, in viz/charts.ts's conventions):
// the headline gap and each method's value versus the swept parameter, with ± one std error bars
// over seeds. One swept key: a line per method; two keys on a grid: a heatmap of the gap (and the
// gap vs the first key, a line per value of the second); a random search over two keys: a scatter
// coloured by the gap; more keys: the gap vs each key.
import { top, type ChartSpec, type VlSpec } from '../viz/charts.js';
import type { MeanStd } from '../util/stats.js';
import type { SweepRow, SweepTable } from './sweepTable.js';

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const cell = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** The x axis of one swept key: quantitative (log when written as log: or spanning 2+ decades of positive values), else ordinal. */
function axisOf(t: SweepTable, key: string): { field: string; enc: VlSpec; numeric: boolean } {
  const vals = t.rows.map((r) => r.values[key]);
  const numeric = vals.every(num);
  if (!numeric) return { field: 'x', numeric, enc: { field: 'x', type: 'ordinal', title: key, sort: null } };
  const ax = t.axes.find((a) => a.key === key);
  const pos = (vals as number[]).every((v) => v > 0);
  const span = pos ? Math.max(...(vals as number[])) / Math.min(...(vals as number[])) : 0;
  const log = pos && (ax?.kind === 'log' || (ax?.kind !== 'lin' && span >= 100));
  return { field: 'x', numeric, enc: { field: 'x', type: 'quantitative', title: key, scale: log ? { type: 'log' } : { zero: false } } };
}

/** mean, lo, hi (mean ± std; the mean alone for one seed) of a MeanStd, or null when there is no value. */
function band(m: MeanStd | undefined): { mean: number; lo: number; hi: number; n: number } | null {
  if (!m || m.mean === null) return null;
  const s = m.std ?? 0;
  return { mean: m.mean, lo: m.mean - s, hi: m.mean + s, n: m.n };
}

const xOf = (r: SweepRow, key: string) => (num(r.values[key]) ? r.values[key] : cell(r.values[key]));

/** Error bars, a line through the means (unless `points`) and points, coloured by `color` when given. */
function barsAndLine(x: VlSpec, yTitle: string, color: VlSpec | null, points: boolean, tooltip: VlSpec[]): VlSpec[] {
  const y = { field: 'mean', type: 'quantitative', title: yTitle, scale: { zero: false } };
  const c = color ? { color } : {};
  return [
    { mark: { type: 'errorbar', ticks: true }, encoding: { x, y: { field: 'lo', type: 'quantitative', title: yTitle }, y2: { field: 'hi' }, ...c } },
    ...(points ? [] : [{ mark: { type: 'line', strokeWidth: 2 }, encoding: { x, y, ...c } }]),
    { mark: { type: 'point', filled: true, size: 40 }, encoding: { x, y, ...c, tooltip } },
  ];
}

const BASE_TIP = [{ field: 'label', title: 'point' }, { field: 'mean', format: '.4~f' }, { field: 'sdText', title: 'std' }, { field: 'n', title: 'seeds' }];

/** A std for the tooltips (and the SVGs' aria labels), as d3's '.4~f' writes it; one seed has none (not "NaN"). */
export function sdText(sd: number | null | undefined): string {
  return sd === null || sd === undefined || !Number.isFinite(sd) ? '- (one seed)' : String(Number(sd.toFixed(4)));
}

function gapVs(t: SweepTable, key: string, points: boolean, by?: string): ChartSpec {
  const ax = axisOf(t, key);
  const values = t.rows.flatMap((r) => {
    const b = band(r.gap);
    return b ? [{ label: r.label, x: xOf(r, key), ...b, sd: r.gap.std, sdText: sdText(r.gap.std), ...(by ? { by: cell(r.values[by]) } : {}) }] : [];
  });
  const color = by ? { field: 'by', type: 'nominal', title: by, legend: { orient: 'bottom' } } : null;
  const spec = top({ data: { values }, series: [] }, {
    title: { text: `gap (${t.gapLabel}) vs ${key}`, fontSize: 13 }, width: 460, height: 260,
    layer: [
      { mark: { type: 'rule', color: '#9e9e9e', strokeDash: [4, 3] }, encoding: { y: { datum: 0 } } },
      ...barsAndLine(ax.enc, `gap (${t.what} accuracy)`, color, points, [...BASE_TIP, ...(by ? [{ field: 'by', title: by }] : [])]),
    ],
  });
  return {
    id: by ? `sweep-gap-${slugKey(key)}-by-${slugKey(by)}` : `sweep-gap-${slugKey(key)}`,
    title: `Gap vs ${key}${by ? `, a line per ${by}` : ''}`,
    caption: `${t.gapLabel} (final ${t.what} accuracy) at each grid point: mean over seeds (point${points ? '' : ', line'}) ± one standard deviation (error bar); dashed: no gap.`,
    spec,
  };
}

function methodsVs(t: SweepTable, key: string): ChartSpec {
  const ax = axisOf(t, key);
  const col = t.gap.column;
  const values = t.rows.flatMap((r) => t.methods.flatMap((m) => {
    const b = band(r.methods[m]?.[col]);
    return b ? [{ label: r.label, x: xOf(r, key), method: m, ...b, sd: r.methods[m]![col]!.std, sdText: sdText(r.methods[m]![col]!.std) }] : [];
  }));
  const color = { field: 'method', type: 'nominal', title: null, scale: { domain: t.methods }, legend: { orient: 'bottom' } };
  const spec = top({ data: { values }, series: t.methods }, {
    title: { text: `${col} ${t.what} accuracy vs ${key}`, fontSize: 13 }, width: 460, height: 260,
    layer: barsAndLine(ax.enc, `${col} ${t.what} accuracy`, color, false, [{ field: 'method' }, ...BASE_TIP]),
  });
  return {
    id: `sweep-methods-${slugKey(key)}`, title: `Each method's ${col} ${t.what} accuracy vs ${key}`,
    caption: `A line per method: final ${col} ${t.what} accuracy, mean over seeds ± one standard deviation (error bars).`, spec,
  };
}

function heatmap(t: SweepTable, kx: string, ky: string): ChartSpec {
  const values = t.rows.flatMap((r) => {
    const b = band(r.gap);
    return b ? [{ label: r.label, x: cell(r.values[kx]), y: cell(r.values[ky]), ...b, sd: r.gap.std, sdText: sdText(r.gap.std), text: `${b.mean.toFixed(3)}${r.gap.n > 1 ? ` ± ${(r.gap.std ?? 0).toFixed(3)}` : ''}` }] : [];
  });
  const order = (k: string) => [...new Set(t.rows.map((r) => cell(r.values[k])))];
  const maxAbs = Math.max(0, ...values.map((v) => Math.abs(v.mean)));
  const x = { field: 'x', type: 'ordinal', title: kx, sort: order(kx) };
  const y = { field: 'y', type: 'ordinal', title: ky, sort: order(ky).reverse() };
  const spec = top({ data: { values }, series: [] }, {
    title: { text: `gap (${t.gapLabel}) over ${kx} × ${ky}`, fontSize: 13 }, width: Math.max(240, 90 * order(kx).length), height: Math.max(160, 44 * order(ky).length),
    layer: [
      { mark: 'rect', encoding: { x, y, color: { field: 'mean', type: 'quantitative', title: 'gap', scale: { scheme: 'redblue', domainMid: 0 } }, tooltip: BASE_TIP } },
      { mark: { type: 'text', fontSize: 11 }, encoding: { x, y, text: { field: 'text' }, color: { condition: { test: `abs(datum.mean) > ${0.6 * maxAbs}`, value: '#ffffff' }, value: '#212121' } } },
    ],
  });
  return {
    id: `sweep-heatmap-${slugKey(kx)}-${slugKey(ky)}`, title: `Gap over ${kx} × ${ky}`,
    caption: `${t.gapLabel} (final ${t.what} accuracy) at each grid point: mean ± std over seeds (text), mean (colour; blue: the first method ahead).`, spec,
  };
}

function scatter(t: SweepTable, kx: string, ky: string): ChartSpec {
  const values = t.rows.flatMap((r) => {
    const b = band(r.gap);
    return b && num(r.values[kx]) && num(r.values[ky]) ? [{ label: r.label, x: r.values[kx], y: r.values[ky], ...b, sd: r.gap.std, sdText: sdText(r.gap.std) }] : [];
  });
  const ex = axisOf(t, kx).enc, ey = { ...axisOf(t, ky).enc, field: 'y' };
  const spec = top({ data: { values }, series: [] }, {
    title: { text: `gap (${t.gapLabel}) over ${kx} × ${ky}`, fontSize: 13 }, width: 420, height: 300,
    mark: { type: 'circle', size: 140, stroke: '#616161', strokeWidth: 0.5 },
    encoding: { x: ex, y: ey, color: { field: 'mean', type: 'quantitative', title: 'gap', scale: { scheme: 'redblue', domainMid: 0 } }, tooltip: BASE_TIP },
  });
  return { id: `sweep-scatter-${slugKey(kx)}-${slugKey(ky)}`, title: `Gap over ${kx} × ${ky} (sampled points)`, caption: `Each sampled point coloured by ${t.gapLabel}, mean over seeds.`, spec };
}

const slugKey = (k: string) => k.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase();

/** Whether the points are the full product of each key's distinct values (a grid). */
function isGrid(t: SweepTable): boolean {
  const distinct = t.keys.map((k) => new Set(t.rows.map((r) => cell(r.values[k]))).size);
  return t.sample === null && distinct.reduce((a, b) => a * b, 1) === t.rows.length;
}

/** The sweep's charts: see the top of this file. */
export function sweepCharts(t: SweepTable): ChartSpec[] {
  const k = t.keys;
  if (k.length === 0 || t.rows.length === 0) return [];
  if (k.length === 1) return [gapVs(t, k[0]!, false), methodsVs(t, k[0]!)];
  if (k.length === 2 && isGrid(t)) return [heatmap(t, k[0]!, k[1]!), gapVs(t, k[0]!, false, k[1]!)];
  if (k.length === 2 && t.rows.every((r) => num(r.values[k[0]!]) && num(r.values[k[1]!]))) return [scatter(t, k[0]!, k[1]!), ...k.map((key) => gapVs(t, key, true))];
  return k.map((key) => gapVs(t, key, true));
}
