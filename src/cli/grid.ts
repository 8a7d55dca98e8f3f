// The grids of `lrlab sweep`: each --over is a key and its values, as a list (key=v1,v2,...) or a
// range (key=lin:a:b:n, n evenly spaced values from a to b; key=log:a:b:n, n values evenly spaced
// in log scale). The grid is the product of the axes; --sample N instead draws N points at random
// (seeded): uniform in a lin range, log-uniform in a log range, one of the values of a list.
import { UsageError, parseValue } from './command.js';
import type { Axis, SweepPoint } from '../runs/sweepFile.js';

export type { Axis, SweepPoint } from '../runs/sweepFile.js';

/** 12 significant digits: lin:0:1:11 gives 0.3, not 0.30000000000000004. */
const tidy = (x: number) => Number(x.toPrecision(12));

/** Parse one --over: 'key=v1,v2', 'key=lin:a:b:n', 'key=log:a:b:n' ('key=lin:a:b' with --sample). */
export function parseAxis(o: string, sampling = false): Axis {
  const i = o.indexOf('=');
  if (i <= 0) throw new UsageError(`--over expects key=v1,v2,... or key=lin:a:b:n or key=log:a:b:n, got '${o}'`);
  const key = o.slice(0, i).trim(), spec = o.slice(i + 1).trim();
  if (key === 'seed' || key === 'seeds') throw new UsageError(`--over ${key}: the sweep's seeds are not a grid axis; give --seeds N (seeds from the config's seed on)`);
  const m = /^(lin|log):(.*)$/.exec(spec);
  if (!m) {
    const values = spec.split(',').map((v) => parseValue(v.trim()));
    if (values.some((v) => v === '')) throw new UsageError(`--over ${key}: empty value in '${o}'`);
    const twice = values.find((v, j) => values.findIndex((w) => JSON.stringify(w) === JSON.stringify(v)) !== j);
    if (twice !== undefined) throw new UsageError(`--over ${key}: the value ${JSON.stringify(twice)} is given twice in '${spec}'`);
    return { key, kind: 'list', values };
  }
  const kind = m[1] as 'lin' | 'log';
  const parts = m[2]!.split(':');
  const form = `${kind}:a:b:n${sampling ? ` (or ${kind}:a:b with --sample)` : ''}`;
  if (parts.length !== 3 && !(sampling && parts.length === 2)) throw new UsageError(`--over ${key}: expected ${form}, got '${spec}'`);
  const [a, b] = parts.slice(0, 2).map((p) => (p.trim() === '' ? NaN : Number(p)));
  if (!Number.isFinite(a) || !Number.isFinite(b)) throw new UsageError(`--over ${key}: the ends of '${spec}' must be numbers`);
  if (kind === 'log' && !(a! > 0 && b! > 0)) throw new UsageError(`--over ${key}: a log range needs ends > 0, got '${spec}'`);
  let n: number | null = null;
  if (parts.length === 3) {
    n = Number(parts[2]);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--over ${key}: the number of values in '${spec}' must be a positive integer, got '${parts[2]}'`);
    if (n === 1 && a !== b) throw new UsageError(`--over ${key}: one value of a range from ${a} to ${b} is ambiguous; give ${kind}:${a}:${b}:2 or more, or the value itself`);
  }
  return { key, kind, a: a!, b: b!, n };
}

/** An axis's values on a grid. */
export function axisValues(ax: Axis): unknown[] {
  if (ax.kind === 'list') return ax.values;
  if (ax.n === null) throw new UsageError(`--over ${ax.key}: ${ax.kind}:${ax.a}:${ax.b} has no number of values; give ${ax.kind}:${ax.a}:${ax.b}:n, or use --sample`);
  const { a, b, n } = ax;
  if (n === 1) return [a];
  return Array.from({ length: n }, (_, i) => tidy(ax.kind === 'lin' ? a + ((b - a) * i) / (n - 1) : Math.exp(Math.log(a) + ((Math.log(b) - Math.log(a)) * i) / (n - 1))));
}

const label = (i: number) => `p${String(i).padStart(3, '0')}`;

/** The grid: every combination of the axes' values (the first axis outermost). */
export function gridPoints(axes: Axis[]): SweepPoint[] {
  let pts: Record<string, unknown>[] = [{}];
  for (const ax of axes) { const vs = axisValues(ax); pts = pts.flatMap((p) => vs.map((v) => ({ ...p, [ax.key]: v }))); }
  return pts.map((values, i) => ({ label: label(i), values }));
}

/** A small seeded generator (mulberry32): the same seed, the same points on any machine. */
function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random search: n points, each key drawn independently (lin: uniform, log: log-uniform, list: one of its values). */
export function samplePoints(axes: Axis[], n: number, seed: number): SweepPoint[] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const values: Record<string, unknown> = {};
    for (const ax of axes) {
      const u = rand();
      values[ax.key] = ax.kind === 'list' ? ax.values[Math.min(ax.values.length - 1, Math.floor(u * ax.values.length))]
        : ax.kind === 'lin' ? tidy(ax.a + (ax.b - ax.a) * u) : tidy(Math.exp(Math.log(ax.a) + (Math.log(ax.b) - Math.log(ax.a)) * u));
    }
    return { label: label(i), values };
  });
}

/** The points of a sweep spec: its sample when it has one, else the grid of its axes (or of `over`, in sweeps written before axes). */
export function specPoints(spec: { over: [string, unknown[]][]; axes?: Axis[]; sample?: { n: number; seed: number } }): SweepPoint[] {
  const axes = spec.axes ?? spec.over.map(([key, values]): Axis => ({ key, kind: 'list', values }));
  return spec.sample ? samplePoints(axes, spec.sample.n, spec.sample.seed) : gridPoints(axes);
}

/** `over` as sweep.json records it: each key and its values (a sampled range: its ends). */
export function overOf(axes: Axis[]): [string, unknown[]][] {
  return axes.map((ax) => [ax.key, ax.kind === 'list' ? ax.values : ax.n === null ? [ax.a, ax.b] : axisValues(ax)]);
}
