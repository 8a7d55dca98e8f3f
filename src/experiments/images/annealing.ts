// When a method's learning rate is annealed: the image runs read it from the method's lr schedule
// (the `at` epochs of a step schedule, the milestones of a multistep one); the synthetic runs record
// it in the metrics rows (`annealed: true` from the L-S anneal on).
import type { RunConfig, MetricsRow } from './runData.js';
import { meanStd } from '../util/stats.js';

/** A shaded annealing period on an epoch axis: from `epoch` to `end`, labeled with the methods it applies to. */
export interface AnnealMark { epoch: number; at: number[]; end: number; label: string; series: string[] }

/** The epochs at which an lr schedule (src/train/schedules.ts) lowers the learning rate; [] when it never steps. */
export function annealEpochs(lr: unknown): number[] {
  if (lr === null || typeof lr !== 'object') return [];
  const s = lr as { kind?: string; at?: unknown; milestones?: unknown; unit?: string; factor?: number; gamma?: number };
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)) : []);
  if (s.kind === 'step' && (s.unit ?? 'epoch') === 'epoch' && (s.factor ?? 0) < 1) return list(s.at);
  if (s.kind === 'multistep' && (s.unit ?? 'epoch') === 'epoch' && (s.gamma ?? 0) < 1) return [...new Set(list(s.milestones))];
  return [];
}

/**
 * The annealing marks of image runs: one per distinct first-annealing epoch, shaded to the end of
 * training. `seriesOf(run, method)` names a method's line (the method, or 'run · method' in overlays).
 */
export function imageAnnealMarks(runs: { config: RunConfig }[], seriesOf: (runIndex: number, method: string) => string): AnnealMark[] {
  const byEpoch = new Map<number, AnnealMark>();
  runs.forEach(({ config }, ri) => {
    const end = Number((config.train as { epochs?: number } | undefined)?.epochs ?? 0);
    for (const m of config.methods) {
      if (typeof m === 'string') continue;
      const at = annealEpochs(m.lr);
      if (at.length === 0) continue;
      const epoch = at[0]!;
      const mark = byEpoch.get(epoch) ?? { epoch, at: [], end: Math.max(end, epoch), label: '', series: [] };
      mark.end = Math.max(mark.end, end);
      mark.at = [...new Set([...mark.at, ...at])].sort((a, b) => a - b);
      mark.series.push(seriesOf(ri, m.name));
      byEpoch.set(epoch, mark);
    }
  });
  const marks = [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
  for (const m of marks) m.label = `lr annealed at epoch ${m.at.join(', ')} (${m.series.join(', ')})`;
  return marks;
}

/** The synthetic runs' annealing step of each method: the mean over seeds of the first `annealed: true` row's step. */
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
