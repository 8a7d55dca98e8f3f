// A sweep folder's own files, shared by the sweep command (writer) and the report, export and
// dashboard (readers): sweep.json (the sweep's spec: base config, the swept keys and their values,
// seeds, how the points were drawn; and the grid points), and where each point's run lives
// (points/<label>/seed<i>/, a run folder of its own).
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from '../util/schema.js';

export const SWEEP_FILE = 'sweep.json';

/** One swept axis as written: a list of values, or a lin/log range of n values (n: null when only sampled). */
export type Axis =
  | { key: string; kind: 'list'; values: unknown[] }
  | { key: string; kind: 'lin' | 'log'; a: number; b: number; n: number | null };

/** One grid point: its label (p000, p001, ...) and the value of each swept key. */
export interface SweepPoint { label: string; values: Record<string, unknown> }

/** The spec of a sweep (sweep.json's `spec`); `base` is a complete config of the experiment kind. */
export interface SweepSpecFile {
  base: { kind: string; seed: number; seeds: number; preset?: string; [key: string]: unknown };
  /** The grid: each key and its values (ranges expanded); for a random search, each key's values or range. */
  over: [string, unknown[]][];
  seeds: number;
  workers: number;
  /** The axes as the user wrote them (lin/log ranges kept), when known. */
  axes?: Axis[];
  /** A random search: n points drawn with this seed from `axes`, instead of the grid of `over`. */
  sample?: { n: number; seed: number };
  /** Whether finished parts of earlier runs are reused (default true). */
  reuse?: boolean;
}

const axisSchema = z.union([
  z.looseObject({ key: z.string(), kind: z.literal('list'), values: z.array(z.unknown()) }),
  z.looseObject({ key: z.string(), kind: z.enum(['lin', 'log']), a: z.number(), b: z.number(), n: z.int().nullable() }),
]);

export const sweepFileSchema = z.looseObject({
  kind: z.literal('sweep'),
  spec: z.looseObject({
    base: z.looseObject({ kind: z.string(), seed: z.int(), seeds: z.int() }),
    over: z.array(z.tuple([z.string(), z.array(z.unknown())])),
    seeds: z.int(),
    workers: z.int(),
    axes: z.array(axisSchema).optional(),
    sample: z.looseObject({ n: z.int(), seed: z.int() }).optional(),
    reuse: z.boolean().optional(),
  }),
  points: z.array(z.looseObject({ label: z.string(), values: z.record(z.string(), z.unknown()) })),
});
export interface SweepFile { kind: 'sweep'; spec: SweepSpecFile; points: SweepPoint[] }

/** Whether `dir` is a sweep folder (it has a sweep.json). */
export const isSweepDir = (dir: string) => existsSync(join(dir, SWEEP_FILE));

/** Read a sweep folder's sweep.json; null when there is none or it does not have the sweep format. */
export function readSweepFile(dir: string): SweepFile | null {
  const p = join(dir, SWEEP_FILE);
  if (!existsSync(p)) return null;
  try {
    const r = sweepFileSchema.safeParse(JSON.parse(readFileSync(p, 'utf8')));
    return r.success ? (r.data as unknown as SweepFile) : null;
  } catch { return null; }
}

/** The run folder of one grid point and seed in a sweep folder. */
export const pointRunDir = (sweepDir: string, label: string, seed: number) => join(sweepDir, 'points', label, `seed${seed}`);

/** The sweep folder a run folder belongs to (…/<sweep>/points/<label>/seed<i> with a sweep.json), or null. */
export function sweepOfRun(runDir: string): { dir: string; label: string; seed: number } | null {
  const m = /^seed(\d+)$/.exec(basename(runDir));
  const point = dirname(runDir), points = dirname(point), sweep = dirname(points);
  if (!m || basename(points) !== 'points' || !isSweepDir(sweep)) return null;
  return { dir: sweep, label: basename(point), seed: Number(m[1]) };
}
