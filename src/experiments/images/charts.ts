// The image runs' figures: the paper's Figure 3 (clean and patch-only validation accuracy vs
// epoch) and Figure 1 (train and validation accuracy, annealing shaded); from the per-example
// learning events (events.ts), the fraction of each group learned vs epoch and the learning-order map.
import { ORDER_SAMPLE } from './events.js';
import { SERIES, annealLayers, meanBandPanel, nested, top, type ChartContext, type ChartSpec, type VlSpec } from '../../viz/charts.js';

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
  const events = learningEventCharts(ctx);
  return [
    { id: 'figure3', title: 'Figure 3: validation accuracy on clean and patch-only images', caption: 'Mean over seeds (line) and ± one standard deviation (band); the grey area is the time after the learning rate was annealed.', spec: fig3 },
    { id: 'figure1', title: 'Figure 1: train and validation accuracy, annealing shaded', caption: 'Solid: training accuracy (all training batches, as trained, with noise); dashed: clean validation accuracy. Grey: after the lr anneal, from the methods\' lr schedules.', spec: fig1 },
    ...events,
  ];
}

/**
 * The learning-event figures (shown only when the rows have them): per group the fraction of its
 * examples learned so far vs epoch, as trained and on the clean images; and the learning-order map.
 */
export function learningEventCharts(ctx: ChartContext): ChartSpec[] {
  const rows = 'values' in ctx.data ? ctx.data.values as Record<string, unknown>[] : null;
  if (rows && !rows.some((r) => r.learned_as_trained)) return [];
  const x = { field: 'epoch' as const, title: 'epoch' };
  const panel = (signal: string, group: string, title: string) => meanBandPanel(ctx, {
    title, x, ys: [[`${signal}_${group}`, nested(`learned_${signal}`, group, 100)]], yTitle: 'learned (%)', yDomain: [0, 100], width: 220, height: 180, under: annealLayers(ctx, false),
  });
  const learned = top(ctx, {
    vconcat: [
      { hconcat: [panel('as_trained', 'patched', 'patched, as trained'), panel('as_trained', 'unpatched', 'unpatched, as trained'), panel('as_trained', 'patch_only_loads', 'patch-only loads, as trained')] },
      { hconcat: [panel('clean', 'patched', 'patched examples, clean image'), panel('clean', 'unpatched', 'unpatched, clean image'), panel('patched', 'unpatched', 'unpatched examples, with patch')] },
    ],
    resolve: { scale: { color: 'shared' }, legend: { color: 'shared' } },
  });
  return [
    {
      id: 'learned-by-group', title: 'Learning events: fraction of each group learned vs epoch',
      caption: "The fraction of a group's training examples learned by each epoch (classified correctly at least once so far). Top: as trained (on the input shown in that epoch, augmented as it was; patch-only loads: a patched example on the epochs it was loaded patch-only). Bottom: at each evaluation (eval mode) on the example's clean image, and an unpatched example with its class's patch. Mean over seeds, ± one std.",
      spec: learned,
    },
    {
      id: 'learning-order-map', title: 'Learning-order map: when each example is learned, per method',
      caption: `A sample of training examples (the first ${ORDER_SAMPLE} of each group the methods train on; first seed), sorted (earliest at the top) by the mean over methods of the epoch each is first classified correctly as trained; colour: that epoch for each method (darkest: never). Matching columns mean the methods learn the examples in the same order.`,
      spec: top(ctx, orderMap(ctx)),
    },
  ];
}

/** The heatmap of the final rows' order_sample: one column per series, one row per sampled example. */
function orderMap(ctx: ChartContext): VlSpec {
  const transform: VlSpec[] = [
    SERIES,
    { filter: 'isObject(datum.order_sample)' },
    { joinaggregate: [{ op: 'min', field: 'seed', as: 'first_seed' }] },
    { filter: 'datum.seed === datum.first_seed' },
    { calculate: 'datum.order_sample.example', as: 'ex' },
    { calculate: 'datum.order_sample.patched', as: 'pt' },
    { calculate: 'datum.order_sample.as_trained', as: 'first' },
    { flatten: ['ex', 'pt', 'first'] },
    { calculate: "datum.pt === 1 ? 'patched' : 'unpatched'", as: 'group' },
    { joinaggregate: [{ op: 'mean', field: 'first', as: 'mean_first' }], groupby: ['ex'] },
    { window: [{ op: 'dense_rank', as: 'order' }], sort: [{ field: 'mean_first' }, { field: 'ex' }], groupby: ['series_', 'group'] },
  ];
  return {
    transform,
    facet: { column: { field: 'group', type: 'nominal', title: null, sort: ['patched', 'unpatched'] } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: { step: 60 }, height: 300,
      mark: { type: 'rect' },
      encoding: {
        x: { field: 'series_', type: 'nominal', title: null, scale: { domain: ctx.series }, axis: { labelAngle: -30, labelLimit: 160 } },
        y: { field: 'order', type: 'quantitative', title: 'examples (sorted by mean first-learned epoch)', scale: { nice: false, zero: false, reverse: true }, axis: { labels: false, ticks: false, grid: false } },
        y2: { field: 'order_end' },
        color: { field: 'first', type: 'quantitative', title: 'first learned at epoch', scale: { scheme: 'viridis', reverse: true } },
        tooltip: [{ field: 'series_', title: 'series' }, { field: 'ex', title: 'example' }, { field: 'first', title: 'first learned (as trained)' }],
      },
      transform: [{ calculate: 'datum.order + 1', as: 'order_end' }],
    },
  };
}
