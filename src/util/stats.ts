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
