// The engine settings a run uses: its intra-op threads, chosen by what its kind says about its ops
// (Experiment.opSize; LRLAB_NUM_THREADS wins), and the record of them (with the BLAS kernels) that
// the run folder keeps in runtime.json, so that `lrlab resume` can say when a result will not be
// bit-identical.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { blasThreadsAt, runtimeDifferences, runtimeRecord, threadsFor, useThreadsFor, type RuntimeRecord } from '../engine/runtime.js';
import { readRuntimeSessions } from '../runs/runFolder.js';
import type { AnyExperiment, BaseConfig } from './experiment.js';

/** Set this process's threads for a run of `cfg` and return what the run will use. */
export function useRuntimeFor(exp: AnyExperiment, cfg: BaseConfig): RuntimeRecord {
  useThreadsFor(exp.opSize?.(cfg));
  return runtimeRecord();
}

/**
 * How the settings a resume of the run in `dir` would use differ from those of its last session
 * ("kernels Zen -> Prescott"); [] when they are the same or the folder has no runtime.json.
 * `fields`: the settings to compare (default: all that change rounding).
 */
export function runtimeChanges(dir: string, exp: AnyExperiment, cfg: BaseConfig, fields?: (keyof RuntimeRecord)[]): string[] {
  const last = readRuntimeSessions(dir).at(-1);
  if (!last) return [];
  const threads = threadsFor(exp.opSize?.(cfg)).threads;
  const now = { ...runtimeRecord(), threads, openblasThreads: blasThreadsAt(threads) };
  const before = fields ? Object.fromEntries(fields.map((f) => [f, last[f]])) : last;
  return runtimeDifferences(before as Partial<RuntimeRecord>, now);
}

/** The warning for a resume with other settings, or null. */
export function runtimeWarning(dir: string, changes: string[]): string | null {
  if (changes.length === 0) return null;
  return `lrlab: warning: ${dir} was run with other engine settings (${changes.join(', ')}); the resumed result will not be `
    + 'bit-identical to an uninterrupted run (set OPENBLAS_CORETYPE and LRLAB_NUM_THREADS as before to make it so)';
}

/** For a sweep: how the BLAS kernels of its run folders differ from this process's (its workers run single-threaded). */
export function sweepRuntimeChanges(dir: string): string[] {
  const now = runtimeRecord();
  for (const name of existsSync(dir) ? readdirSync(dir).sort() : []) {
    const last = readRuntimeSessions(join(dir, name)).at(-1);
    if (!last) continue;
    const ch = runtimeDifferences({ kernels: last.kernels as string | null, cpuCapability: last.cpuCapability as string }, now);
    if (ch.length) return ch;
  }
  return [];
}
