// Reading a run folder for reports and the dashboard: config.json, metrics.jsonl (a broken line is
// skipped with a warning naming it), summary.json and status.json. The run folder is the source of
// truth; nothing here writes to it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { findRunDirs } from '../runs/runScan.js';
import { liveRunProcess, readJsonl } from '../runs/runFolder.js';

import { metricsRowSchema, runStatusSchema, summaryEnvelopeSchema, type RunState as FileState, type SummaryEnvelope } from '../runs/format.js';
import type { AnyExperiment, LooseConfig } from '../experiments/experiment.js';
import { experimentKinds, findExperiment } from '../experiments/registry.js';
import type { MetricsRow } from '../runs/format.js';
import { RunFolderError } from '../util/errors.js';

export type { MetricsRow } from '../runs/format.js';
/** A registered experiment kind's name. */
export type RunKind = string;
/** status.json's state, or 'unknown' when it is missing or unreadable. */
export type RunState = FileState | 'unknown';
/** A run's config.json as written by any version: the common keys, the kind's own sections unchecked. */
export type RunConfig = LooseConfig & { preset: string; methods: unknown[] };
export type RunSummary = SummaryEnvelope;

export interface RunStatus { state: RunState; pid?: number; updated?: string; /** Why a 'running' status is shown as interrupted. */ stale?: string }

export interface RunData {
  /** Absolute path of the run folder. */
  dir: string;
  /** The folder's name. */
  name: string;
  config: RunConfig;
  kind: RunKind;
  /** The kind's Experiment (its view: charts, tables, facts). */
  experiment: AnyExperiment;
  preset: string;
  /** Method names in config order. */
  methods: string[];
  rows: MetricsRow[];
  summary: RunSummary | null;
  status: RunStatus;
  /** One line per problem that was skipped (bad JSONL lines, unreadable summary). */
  warnings: string[];
}

/** A run folder that cannot be read at all (missing, or not a run folder): a one-line message (defined in util/errors.ts). */
export { RunFolderError };

/** The method names of a run's config (the kind knows how its config lists them). */
export function methodNames(cfg: RunConfig): string[] {
  return findExperiment(cfg.kind)?.view.methodNames(cfg) ?? [];
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
  if (!findExperiment(cfg.kind)) {
    throw new RunFolderError(`${shown}/config.json has kind ${JSON.stringify(cfg.kind)}; expected one of ${experimentKinds().map((k) => `'${k}'`).join(', ')}`);
  }
  if (!Array.isArray(cfg.methods)) throw new RunFolderError(`${shown}/config.json has no methods list`);
  return cfg;
}

/** Read status.json ({state: 'unknown'} when missing or unreadable). */
export function readRunStatus(abs: string): RunStatus {
  const s = runStatusSchema.safeParse(readJsonOrNull<unknown>(join(abs, 'status.json'), [], 'status.json'));
  if (!s.success) return { state: 'unknown' };
  // 'running' written by a process that is gone (killed without a chance to say so), its side-by-side
  // workers too: interrupted, never live
  if (s.data.state === 'running' && typeof s.data.pid === 'number' && liveRunProcess(s.data) === null) {
    return { ...s.data, state: 'interrupted', stale: `status.json says running, but process ${s.data.pid} is gone` };
  }
  return s.data;
}

/** Is this a metrics row (an object with a method name, a seed and a step)? */
export function isMetricsRow(r: unknown): r is MetricsRow {
  return metricsRowSchema.safeParse(r).success;
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
  const raw2 = readJsonOrNull<unknown>(join(abs, 'summary.json'), warnings, 'summary.json');
  const parsed = raw2 === null ? null : summaryEnvelopeSchema.safeParse(raw2);
  if (parsed && !parsed.success) warnings.push('summary.json does not have the summary format; ignored');
  const experiment = findExperiment(config.kind)!;
  return {
    dir: abs, name: runName(abs), config, kind: config.kind, experiment, preset: String(config.preset ?? 'custom'), methods: experiment.view.methodNames(config),
    rows, summary: parsed?.success ? parsed.data : null, status: readRunStatus(abs), warnings,
  };
}
