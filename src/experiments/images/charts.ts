// The image runs' figures: the paper's Figure 3 (clean and patch-only validation accuracy vs
// epoch) and Figure 1 (train and validation accuracy, annealing shaded).
import { annealLayers, meanBandPanel, nested, top, type ChartContext, type ChartSpec } from '../../viz/charts.js';

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
