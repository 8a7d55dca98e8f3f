// A run's final numbers per method (mean ± std over seeds): from summary.json when the run finished,
// else from the latest metrics rows of each seed (a running or interrupted run).
import { meanStd, type MeanStd } from '../util/stats.js';
import type { MetricsRow, RunKind, RunSummary } from './runData.js';
import { firstLearnedStep } from '../experiments/learned.js';

/** The headline numbers of each kind: the accuracy group and its subsets. */
export const HEADLINE: Record<RunKind, { group: string; keys: readonly string[] }> = {
  images: { group: 'val_acc', keys: ['clean', 'mixed', 'patch_only'] },
  synthetic: { group: 'test_acc', keys: ['p_only', 'q_only', 'both', 'all'] },
};

export interface FinalStats {
  source: 'summary' | 'metrics';
  /** method -> metric ('val_acc.clean', 'val_acc_last5_mean.clean', 'steps', ...) -> mean ± std over seeds. */
  methods: Record<string, Record<string, MeanStd>>;
  /** method -> part status -> count (summary only). */
  statuses: Record<string, Record<string, number>>;
}

const isMeanStd = (v: unknown): v is MeanStd =>
  v !== null && typeof v === 'object' && 'mean' in v && 'n' in v;

/** Flatten a summary's per-method entries into 'group.subset' keys. */
export function finalsFromSummary(s: RunSummary): FinalStats {
  const methods: FinalStats['methods'] = {};
  const statuses: FinalStats['statuses'] = {};
  for (const [m, entry] of Object.entries(s.methods)) {
    const out: Record<string, MeanStd> = {};
    for (const [k, v] of Object.entries(entry ?? {})) {
      if (k === 'statuses') { statuses[m] = v as Record<string, number>; continue; }
      if (isMeanStd(v)) out[k] = v;
      else if (v !== null && typeof v === 'object') {
        for (const [sub, w] of Object.entries(v)) if (isMeanStd(w)) out[`${k}.${sub}`] = w;
      }
    }
    methods[m] = out;
  }
  return { source: 'summary', methods, statuses };
}

/** A nested number such as row.val_acc.clean (null when missing or not finite). */
export function pick(row: Record<string, unknown>, group: string, key: string): number | null {
  const g = row[group] as Record<string, unknown> | undefined;
  const v = g && typeof g === 'object' ? g[key] : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** The clock of a row: epoch for image runs, step for synthetic ones. */
export const clock = (kind: RunKind, r: MetricsRow): number => (kind === 'images' ? (r.epoch ?? 0) : r.step);

/** Rows grouped by method, then seed, each seed's rows in clock order. */
export function bySeed(kind: RunKind, rows: MetricsRow[]): Map<string, Map<number, MetricsRow[]>> {
  const out = new Map<string, Map<number, MetricsRow[]>>();
  for (const r of rows) {
    let m = out.get(r.method);
    if (!m) out.set(r.method, (m = new Map()));
    let s = m.get(r.seed);
    if (!s) m.set(r.seed, (s = []));
    s.push(r);
  }
  for (const m of out.values()) for (const s of m.values()) s.sort((a, b) => clock(kind, a) - clock(kind, b));
  return out;
}

/** Final numbers from the metrics rows: each seed's latest row (plus the image runs' last-5 mean and patch-fit epoch). */
export function finalsFromRows(kind: RunKind, rows: MetricsRow[], methods: string[]): FinalStats {
  const { group, keys } = HEADLINE[kind];
  const grouped = bySeed(kind, rows);
  const out: FinalStats['methods'] = {};
  const names = [...methods, ...[...grouped.keys()].filter((m) => !methods.includes(m))];
  for (const m of names) {
    const seeds = [...(grouped.get(m)?.values() ?? [])];
    if (seeds.length === 0) continue;
    const stats: Record<string, MeanStd> = {};
    for (const k of keys) {
      stats[`${group}.${k}`] = meanStd(seeds.map((rs) => pick(rs[rs.length - 1]!, group, k)));
      if (kind === 'images') {
        stats[`val_acc_last5_mean.${k}`] = meanStd(seeds.map((rs) => meanStd(rs.slice(-5).map((r) => pick(r, group, k))).mean));
      }
    }
    if (kind === 'images') {
      const fit = seeds.map((rs) => rs.find((r) => (pick(r, 'val_acc', 'patch_only') ?? 0) > 0.5)?.epoch ?? null);
      if (fit.some((e) => e !== null)) stats.patch_only_above_50_epoch = meanStd(fit);
    } else {
      stats.steps = meanStd(seeds.map((rs) => rs[rs.length - 1]!.step));
      const ann = seeds.map((rs) => rs.find((r) => r.annealed === true)?.step ?? null);
      if (ann.some((s) => s !== null)) stats.annealed_at_step = meanStd(ann);
      for (const k of ['p_only', 'q_only']) {
        stats[`learned_at_step.${k}`] = meanStd(seeds.map((rs) => firstLearnedStep(rs as { step: number; test_acc?: Record<string, number | null> }[], k)));
      }
    }
    out[m] = stats;
  }
  return { source: 'metrics', methods: out, statuses: {} };
}

/** The run's final numbers: summary.json when present, else the latest metrics rows. */
export function finalStats(run: { kind: RunKind; methods: string[]; rows: MetricsRow[]; summary: RunSummary | null }): FinalStats {
  return run.summary ? finalsFromSummary(run.summary) : finalsFromRows(run.kind, run.rows, run.methods);
}
