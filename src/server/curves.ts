// The dashboard's training curves of any kind, found in what its metrics rows hold: the losses per
// component (synthetic: p_only, q_only, ...) or per split (images: clean, mixed, patch_only), the
// accuracies the same way, and the learning-rate and noise schedules — each as the mean ± std band
// over seeds, or, with `perSeed`, also every seed's own line. Series names are the overlay's
// ('run · method'), the same as in the kind's own charts.
import { SERIES, colorEnc, meanBandPanel, nested, top, type ChartContext, type ChartSpec, type VlSpec } from '../viz/charts.js';

/** What the rows hold: scalar numbers (lr, noise) and groups of numbers (train_loss: {p_only, ...}). */
export interface RowShape { scalars: string[]; groups: Record<string, string[]> }

const ID_KEYS = new Set(['method', 'seed', 'step', 'epoch', 'seconds']);
const isNum = (v: unknown) => typeof v === 'number' || v === null;

/** The scalar and grouped numeric fields of metrics rows (union over `rows`, first-seen order). */
export function rowShape(rows: Record<string, unknown>[]): RowShape {
  const scalars: string[] = [];
  const groups: Record<string, string[]> = {};
  for (const r of rows) {
    for (const [k, v] of Object.entries(r)) {
      if (ID_KEYS.has(k)) continue;
      if (typeof v === 'number' && !scalars.includes(k)) scalars.push(k);
      else if (v && typeof v === 'object' && !Array.isArray(v)) {
        const g = (groups[k] ??= []);
        for (const [sk, sv] of Object.entries(v)) if (isNum(sv) && !g.includes(sk)) g.push(sk);
      }
    }
  }
  return { scalars, groups };
}

/** Every seed's own line (thin), under the mean line: the per-seed toggle. */
function seedLines(ctx: ChartContext, x: string, ys: [string, string][]): VlSpec {
  return {
    transform: [
      SERIES, ...ys.map(([label, expr]) => ({ calculate: expr, as: `v_${label}` })),
      { fold: ys.map(([label]) => `v_${label}`), as: ['set_', 'y'] }, { filter: 'isValid(datum.y)' },
      { calculate: 'slice(datum.set_, 2)', as: 'set' },
    ],
    mark: { type: 'line', strokeWidth: 1, opacity: 0.45 },
    encoding: {
      x: { field: x, type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, color: colorEnc(ctx),
      detail: [{ field: 'seed', type: 'nominal' }, { field: 'set', type: 'nominal' }],
      tooltip: [{ field: 'series_', title: 'series' }, { field: 'set' }, { field: 'seed' }, { field: x }, { field: 'y', format: '.4~f' }],
    },
  };
}

const label = (group: string) => group.replace(/_(loss|acc)$/, '');

/**
 * The curves of rows of this shape: losses and accuracies per component/split (a panel per
 * component, a line style per group: train / test / val), and the lr and noise schedules.
 */
export function curveCharts(ctx: ChartContext, shape: RowShape, clock: 'step' | 'epoch', perSeed: boolean): ChartSpec[] {
  const x = { field: clock, title: clock };
  const panel = (title: string, ys: [string, string][], yTitle: string, yDomain?: [number, number]) => meanBandPanel(ctx, {
    title, x, ys, yTitle, yDomain, width: 300, height: 190, over: perSeed ? [seedLines(ctx, clock, ys)] : [],
  });
  const out: ChartSpec[] = [];
  const how = perSeed ? 'mean over seeds (thick line) ± one standard deviation (band), and each seed (thin lines)' : 'mean over seeds (line) ± one standard deviation (band)';
  for (const kind of ['loss', 'acc'] as const) {
    const groups = Object.keys(shape.groups).filter((g) => g.endsWith(`_${kind}`));
    const comps = [...new Set(groups.flatMap((g) => shape.groups[g]!))];
    if (comps.length === 0) continue;
    const name = kind === 'loss' ? 'Loss' : 'Accuracy';
    const panels = comps.map((c) => panel(c, groups.filter((g) => shape.groups[g]!.includes(c)).map((g) => [label(g), nested(g, c)] as [string, string]), name.toLowerCase(), kind === 'acc' ? [0, 1] : undefined));
    out.push({
      id: `curves-${kind}`, title: `${name} per ${groups.some((g) => g.startsWith('val')) ? 'split' : 'component'} vs ${clock}`,
      caption: `${groups.map(label).join(' / ')} ${name.toLowerCase()} (line style) on each ${groups.some((g) => g.startsWith('val')) ? 'split' : 'component'}: ${how}.`,
      spec: top(ctx, { concat: panels, columns: 2, resolve: { scale: { color: 'shared' }, legend: { color: 'shared' } } }),
    });
  }
  const sched = ['lr', 'noise'].filter((k) => shape.scalars.includes(k));
  if (sched.length) {
    const titles: Record<string, string> = { lr: 'learning rate', noise: 'noise level' };
    out.push({
      id: 'curves-schedule', title: `Learning-rate and noise schedules vs ${clock}`,
      caption: `The learning rate and the noise each method used: ${how}.`,
      spec: top(ctx, {
        hconcat: sched.map((k) => panel(titles[k]!, [[k, `isNumber(datum['${k}']) && isFinite(datum['${k}']) ? datum['${k}'] : null`]], titles[k]!)),
        resolve: { scale: { color: 'shared' }, legend: { color: 'shared' } },
      }),
    });
  }
  return out;
}
