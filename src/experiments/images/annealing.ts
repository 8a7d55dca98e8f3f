// When an image method's learning rate is annealed, read from its lr schedule (the `at` epochs of a
// step schedule, the milestones of a multistep one): the shaded periods of the figures.
import type { AnnealMark } from '../../viz/charts.js';
import type { LooseConfig } from '../experiment.js';

type Method = { name?: unknown; lr?: unknown };

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
export function imageAnnealMarks(runs: { config: LooseConfig }[], seriesOf: (runIndex: number, method: string) => string): AnnealMark[] {
  const byEpoch = new Map<number, AnnealMark>();
  runs.forEach(({ config }, ri) => {
    const end = Number((config.train as { epochs?: number } | undefined)?.epochs ?? 0);
    for (const m of (Array.isArray(config.methods) ? config.methods : []) as Method[]) {
      if (m === null || typeof m !== 'object') continue;
      const at = annealEpochs(m.lr);
      if (at.length === 0) continue;
      const epoch = at[0]!;
      const mark = byEpoch.get(epoch) ?? { epoch, at: [], end: Math.max(end, epoch), label: '', series: [] };
      mark.end = Math.max(mark.end, end);
      mark.at = [...new Set([...mark.at, ...at])].sort((a, b) => a - b);
      mark.series.push(seriesOf(ri, String(m.name)));
      byEpoch.set(epoch, mark);
    }
  });
  const marks = [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
  for (const m of marks) m.label = `lr annealed at epoch ${m.at.join(', ')} (${m.series.join(', ')})`;
  return marks;
}
