// Summary statistics over seeds.
export interface MeanStd { mean: number | null; std: number | null; n: number }

/** Mean and sample standard deviation (n - 1) of the finite values; std is 0 for a single value. */
export function meanStd(values: (number | null | undefined)[]): MeanStd {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  const n = v.length;
  if (n === 0) return { mean: null, std: null, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

/** "0.931 ± 0.012", "0.931" for a single value, "-" when empty. */
export function fmtMeanStd(m: MeanStd | null | undefined, digits = 3): string {
  if (!m || m.mean === null) return '-';
  // one value has no spread: "0.839", not "0.839 ± 0.000"
  if (m.n === 1) return m.mean.toFixed(digits);
  return `${m.mean.toFixed(digits)} ± ${(m.std ?? 0).toFixed(digits)}`;
}

/** A binomial proportion with its Wilson score interval (Wilson 1927). */
export interface Proportion { k: number; n: number; p: number | null; lo: number | null; hi: number | null }

/**
 * The Wilson score interval of k successes in n trials at normal quantile z (1.96: 95%). Unlike the
 * normal (Wald) interval it stays inside [0, 1] and is sensible at k = 0 or k = n; null when n = 0.
 */
export function wilson(k: number, n: number, z = 1.96): Proportion {
  if (!Number.isInteger(k) || !Number.isInteger(n) || n < 0 || k < 0 || k > n) throw new Error(`wilson: need integers 0 <= k <= n, got k ${k}, n ${n}`);
  if (n === 0) return { k, n, p: null, lo: null, hi: null };
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { k, n, p, lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}

/** "0.80 [0.58, 0.92] (16/20)", "-" when n = 0. */
export function fmtProportion(p: Proportion | null | undefined, digits = 2): string {
  if (!p || p.p === null) return '-';
  return `${p.p.toFixed(digits)} [${p.lo!.toFixed(digits)}, ${p.hi!.toFixed(digits)}] (${p.k}/${p.n})`;
}

/** The q-quantile (0..1) of the finite values, linearly interpolated between order statistics (R type 7, numpy's default); null when empty. */
export function quantile(values: (number | null | undefined)[], q: number): number | null {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const h = (v.length - 1) * q;
  const lo = Math.floor(h);
  return v[lo]! + (h - lo) * ((v[Math.min(lo + 1, v.length - 1)] ?? v[lo]!) - v[lo]!);
}

/** Median and quartiles of the finite values, and how many there were. */
export interface Quartiles { median: number | null; q1: number | null; q3: number | null; n: number }
export function quartiles(values: (number | null | undefined)[]): Quartiles {
  const n = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).length;
  return { median: quantile(values, 0.5), q1: quantile(values, 0.25), q3: quantile(values, 0.75), n };
}

/** "1200 [800, 1500]" (median [Q1, Q3]), "-" when empty. */
export function fmtQuartiles(q: Quartiles | null | undefined, digits = 0): string {
  if (!q || q.median === null) return '-';
  return `${q.median.toFixed(digits)} [${q.q1!.toFixed(digits)}, ${q.q3!.toFixed(digits)}]`;
}

/** Ranks 1..n of the values, ties given the mean of the ranks they span (Infinity ranks last). */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]! || 0);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && values[idx[j + 1]!] === values[idx[i]!]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[idx[k]!] = r;
    i = j + 1;
  }
  return ranks;
}

/**
 * Spearman's rank correlation of paired values: the Pearson correlation of their average ranks (the
 * tie-corrected form). null when fewer than 2 pairs or when either side is constant.
 */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number | null {
  if (a.length !== b.length) throw new Error(`spearman: ${a.length} values against ${b.length}`);
  const n = a.length;
  if (n < 2) return null;
  const ra = averageRanks(a), rb = averageRanks(b);
  const m = (n + 1) / 2;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) { const x = ra[i]! - m, y = rb[i]! - m; sab += x * y; saa += x * x; sbb += y * y; }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : null;
}
