// Test helper: what must be equal between two sweeps (batched or not, interrupted or not): every
// point run's rows and part files (wall-clock seconds dropped), the summary, the statuses; and
// between two runs of one config (in one process or side by side, interrupted or not): runResults.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { findRunDirs } from '../runs/runScan.js';
import { readJson, readJsonl } from '../runs/runFolder.js';

type Part = { seconds?: number; partId: string; reusedFrom?: { run: string; method: string } };

/** Every point run's rows (wall-clock seconds dropped; `order`: in file order, else by part) and part files (without seconds, reusedFrom relative to the sweep). */
export function points(sweep: string, order = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const run of findRunDirs(join(sweep, 'points'))) {
    const d = join(sweep, 'points', run);
    const rows = readJsonl<{ method: string; seed: number; seconds?: number }>(join(d, 'metrics.jsonl')).rows.map(({ seconds: _s, ...r }) => r);
    if (order) out[`${run}/rows`] = rows;
    else for (const r of rows) ((out[`${run}/rows ${r.method}`] ??= []) as unknown[]).push(r);
    for (const f of readdirSync(join(d, 'parts')).sort()) {
      const { seconds: _s, ...p } = readJson<Part>(join(d, 'parts', f));
      out[`${run}/${f}`] = p.reusedFrom ? { ...p, reusedFrom: { ...p.reusedFrom, run: relative(sweep, p.reusedFrom.run) } } : p;
    }
  }
  return out;
}

/** The part files of a sweep that were trained (not copied). */
export const trained = (sweep: string) => findRunDirs(join(sweep, 'points')).flatMap((run) => readdirSync(join(sweep, 'points', run, 'parts'))
  .map((f) => readJson<Part>(join(sweep, 'points', run, 'parts', f))).filter((p) => !p.reusedFrom));

export const status = (d: string) => readJson<{ state: string; pid: number; parts_run?: number; parts_reused?: number }>(join(d, 'status.json'));
export const summary = (d: string) => readFileSync(join(d, 'summary.json'), 'utf8');


/**
 * What must be equal between two runs of one config (one process or side by side, interrupted or
 * not): the rows of each part in file order (the parts' rows interleave by timing), every file in
 * parts/ (JSON without wall-clock seconds at any depth; other files byte for byte) and the summary.
 */
export function runResults(dir: string): Record<string, unknown> {
  const out: Record<string, unknown> = { summary: summary(dir) };
  for (const { seconds: _s, ...r } of readJsonl<{ method: string; seed: number; seconds?: number }>(join(dir, 'metrics.jsonl')).rows) {
    ((out[`rows ${r.method} ${r.seed}`] ??= []) as unknown[]).push(r);
  }
  for (const f of readdirSync(join(dir, 'parts')).sort()) {
    const path = join(dir, 'parts', f);
    out[f] = f.endsWith('.json') ? JSON.parse(readFileSync(path, 'utf8'), (k, v: unknown) => (k === 'seconds' ? undefined : v)) : readFileSync(path).toString('base64');
  }
  return out;
}
