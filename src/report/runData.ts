// Reading a run folder for reports and the dashboard: config.json, metrics.jsonl (a broken line is
// skipped with a warning naming it), summary.json and status.json. The run folder is the source of
// truth; nothing here writes to it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { findRunDirs } from '../runs/runScan.js';
import { readJsonl } from '../runs/runFolder.js';

export type RunKind = 'synthetic' | 'images';
export type RunState = 'running' | 'done' | 'interrupted' | 'unknown';

/** The parts of a run's config.json the reports use (synthetic methods are names, image methods objects). */
export interface RunConfig {
  kind: RunKind;
  preset: string;
  seed?: number;
  seeds?: number;
  methods: (string | { name: string; lr?: unknown; noise?: unknown; subset?: string })[];
  dataset?: { name?: string };
  patch?: { enabled?: boolean; mode?: string };
  train?: Record<string, unknown>;
  [key: string]: unknown;
}

/** A metrics.jsonl row: common keys plus the kind's nested per-subset numbers. */
export interface MetricsRow {
  method: string;
  seed: number;
  step: number;
  epoch?: number;
  annealed?: boolean;
  [key: string]: unknown;
}

export interface RunSummary {
  kind: RunKind;
  preset: string;
  seeds: number[];
  recalibratedBn?: boolean;
  patchMode?: string;
  methods: Record<string, Record<string, unknown>>;
}

export interface RunStatus { state: RunState; pid?: number; updated?: string }

export interface RunData {
  /** Absolute path of the run folder. */
  dir: string;
  /** The folder's name. */
  name: string;
  config: RunConfig;
  kind: RunKind;
  preset: string;
  /** Method names in config order. */
  methods: string[];
  rows: MetricsRow[];
  summary: RunSummary | null;
  status: RunStatus;
  /** One line per problem that was skipped (bad JSONL lines, unreadable summary). */
  warnings: string[];
}

/** A run folder that cannot be read at all (missing, or not a run folder): a one-line message. */
export class RunFolderError extends Error {}

/** A method's name, whether the config lists names (synthetic) or objects (images). */
export function methodName(m: RunConfig['methods'][number]): string {
  return typeof m === 'string' ? m : m.name;
}

/**
 * The run folders that `dirs` name: a run folder as is; a folder without a config.json that holds run
 * folders (a sweep, or a runs folder) becomes those, in order. Anything else is left for checkRunDir
 * to refuse.
 */
export function expandRunDirs(dirs: string[]): string[] {
  return dirs.flatMap((d) => {
    if (!existsSync(d) || !statSync(d).isDirectory() || existsSync(join(d, 'config.json'))) return [d];
    const found = findRunDirs(d);
    return found.length ? found.map((rel) => join(d, rel)) : [d];
  });
}

/** A run's name in reports: its folder's name, or sweep/point/seed for a sweep's run (points/<p>/seed<i>). */
export function runName(abs: string): string {
  const point = dirname(abs), points = dirname(point);
  return /^seed\d+$/.test(basename(abs)) && basename(points) === 'points'
    ? `${basename(dirname(points))}/${basename(point)}/${basename(abs)}` : basename(abs);
}

/** Check that `dir` is an lrlab run folder; returns its absolute path or throws RunFolderError. */
export function checkRunDir(dir: string): string {
  const abs = resolve(dir);
  if (!existsSync(abs)) throw new RunFolderError(`${dir} does not exist`);
  if (!statSync(abs).isDirectory()) throw new RunFolderError(`${dir} is not a folder`);
  if (!existsSync(join(abs, 'config.json'))) throw new RunFolderError(`${dir} is not an lrlab run folder (no config.json)`);
  return abs;
}

function readJsonOrNull<T>(path: string, warnings: string[], what: string): T | null {
  if (!existsSync(path)) return null;
  try { return JSON.parse(readFileSync(path, 'utf8')) as T; } catch {
    warnings.push(`${what} is not valid JSON; ignored`);
    return null;
  }
}

/** Read the run's config.json; throws RunFolderError when it is unreadable or has no known kind. */
export function readRunConfig(abs: string, shown = abs): RunConfig {
  let cfg: RunConfig;
  try { cfg = JSON.parse(readFileSync(join(abs, 'config.json'), 'utf8')) as RunConfig; } catch (e) {
    throw new RunFolderError(`${shown}/config.json is not valid JSON (${(e as Error).message})`);
  }
  if (cfg === null || typeof cfg !== 'object') throw new RunFolderError(`${shown}/config.json is not a JSON object`);
  if (cfg.kind !== 'synthetic' && cfg.kind !== 'images') {
    throw new RunFolderError(`${shown}/config.json has kind ${JSON.stringify(cfg.kind)}; expected 'synthetic' or 'images'`);
  }
  if (!Array.isArray(cfg.methods)) throw new RunFolderError(`${shown}/config.json has no methods list`);
  return cfg;
}

/** Read status.json ({state: 'unknown'} when missing or unreadable). */
export function readRunStatus(abs: string): RunStatus {
  const s = readJsonOrNull<RunStatus>(join(abs, 'status.json'), [], 'status.json');
  return s && typeof s.state === 'string' ? s : { state: 'unknown' };
}

/** Is this a metrics row (an object with a method name, a seed and a step)? */
export function isMetricsRow(r: unknown): r is MetricsRow {
  const o = r as MetricsRow;
  return o !== null && typeof o === 'object' && typeof o.method === 'string' && typeof o.seed === 'number' && typeof o.step === 'number';
}

/** Load a run folder. Broken metrics lines are skipped and named in `warnings`. */
export function loadRun(dir: string): RunData {
  const abs = checkRunDir(dir);
  const config = readRunConfig(abs, dir);
  const warnings: string[] = [];
  const { rows: raw, bad } = readJsonl<unknown>(join(abs, 'metrics.jsonl'));
  for (const b of bad) warnings.push(`metrics.jsonl line ${b.line} is not valid JSON; skipped`);
  const rows: MetricsRow[] = [];
  raw.forEach((r) => { if (isMetricsRow(r)) rows.push(r); });
  if (rows.length < raw.length) warnings.push(`metrics.jsonl: ${raw.length - rows.length} row(s) without method/seed/step; skipped`);
  const summary = readJsonOrNull<RunSummary>(join(abs, 'summary.json'), warnings, 'summary.json');
  const methods = config.methods.map(methodName);
  return {
    dir: abs, name: runName(abs), config, kind: config.kind, preset: String(config.preset ?? 'custom'), methods,
    rows, summary: summary && typeof summary.methods === 'object' ? summary : null, status: readRunStatus(abs), warnings,
  };
}
