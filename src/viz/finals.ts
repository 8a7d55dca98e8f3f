// A run's final numbers per method (mean ± std over seeds), as the report, the dashboard and the
// runs index show them: from summary.json when the run finished (flattened to 'group.key' names),
// else from each seed's latest metrics row (a running or interrupted run), with whatever extra
// figures the experiment kind derives from a seed's rows.
import { meanStd, type MeanStd } from '../util/stats.js';
import type { MetricsRow, SummaryEnvelope } from '../runs/format.js';

export interface FinalStats {
  source: 'summary' | 'metrics';
  /** method -> metric ('val_acc.clean', 'val_acc_last5_mean.clean', 'steps', ...) -> mean ± std over seeds. */
  methods: Record<string, Record<string, MeanStd>>;
  /** method -> part status -> count (summary only). */
  statuses: Record<string, Record<string, number>>;
}

/** A kind's headline numbers in its rows: an accuracy group and its subsets ('test_acc' × p_only, ...). */
export interface Headline { group: string; keys: readonly string[] }

const isMeanStd = (v: unknown): v is MeanStd =>
  v !== null && typeof v === 'object' && 'mean' in v && 'n' in v;

/** Flatten a summary's per-method entries into 'group.subset' keys. */
export function finalsFromSummary(s: Pick<SummaryEnvelope, 'methods'>): FinalStats {
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

/** Rows grouped by method, then seed, each seed's rows in clock order. */
export function bySeed(rows: MetricsRow[], clock: (r: MetricsRow) => number): Map<string, Map<number, MetricsRow[]>> {
  const out = new Map<string, Map<number, MetricsRow[]>>();
  for (const r of rows) {
    let m = out.get(r.method);
    if (!m) out.set(r.method, (m = new Map()));
    let s = m.get(r.seed);
    if (!s) m.set(r.seed, (s = []));
    s.push(r);
  }
  for (const m of out.values()) for (const s of m.values()) s.sort((a, b) => clock(a) - clock(b));
  return out;
}

/**
 * Final numbers from the metrics rows: the headline values of each seed's latest row, plus the
 * kind's `extra` figures computed from all seeds' rows of a method.
 */
export function finalsFromRows(rows: MetricsRow[], methods: string[], o: {
  headline: Headline; clock: (r: MetricsRow) => number; extra?: (seeds: MetricsRow[][]) => Record<string, MeanStd>;
}): FinalStats {
  const { group, keys } = o.headline;
  const grouped = bySeed(rows, o.clock);
  const out: FinalStats['methods'] = {};
  const names = [...methods, ...[...grouped.keys()].filter((m) => !methods.includes(m))];
  for (const m of names) {
    const seeds = [...(grouped.get(m)?.values() ?? [])];
    if (seeds.length === 0) continue;
    const stats: Record<string, MeanStd> = {};
    for (const k of keys) stats[`${group}.${k}`] = meanStd(seeds.map((rs) => pick(rs[rs.length - 1]!, group, k)));
    out[m] = { ...stats, ...(o.extra?.(seeds) ?? {}) };
  }
  return { source: 'metrics', methods: out, statuses: {} };
}
