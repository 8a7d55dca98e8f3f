// A run folder's files of one part, shared by the part runner (partRunner.ts), the batch runner
// (batchRunner.ts), run groups (runGroup.ts), reuse and the queue: the part's file name, its
// checkpoint (read, checked, restored), its rows in metrics.jsonl (read, counted, cut back to a
// checkpoint), and its finished part file.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RefusedError, loadCheckpointFile, readJson, readJsonl, writeFileAtomic, writeJsonAtomic } from '../runs/runFolder.js';
import { partFileSchema, type MetricsRow, type PartFile } from '../runs/format.js';
import { CODE_VERSION } from '../util/version.js';
import type { BaseConfig, PartKey, PartWork } from './experiment.js';

/**
 * What a checkpoint file holds: which code and config wrote it, where metrics.jsonl ended and how
 * many rows of this part it held then (absent in checkpoints of lrlab before 2026-12-01), the part's state.
 */
export interface PartCheckpoint { codeVersion: string; config: unknown; partId: string; metricsBytes: number; metricsRows?: number; seconds: number; state: unknown }

/** A method's name in file names ('+' as 'plus'). */
export const methodFileName = (method: string) => method.replace(/\+/g, 'plus');
export const partName = (k: PartKey) => `${methodFileName(k.method)}-seed${k.seed}`;

/** Read and check a part's checkpoint: intact, same code version, same config. */
export function loadPartCheckpoint(path: string, cfg: unknown): PartCheckpoint {
  return loadCheckpointFile<PartCheckpoint>(path, JSON.parse(JSON.stringify(cfg)), CODE_VERSION,
    (ck) => ck.state !== null && typeof ck.state === 'object' && typeof ck.seconds === 'number');
}

/** Restore `work` from its checkpoint file; a checkpoint that does not fit the part is refused. */
export function restoreFromCheckpoint(work: PartWork, ckptPath: string, cfg: BaseConfig): PartCheckpoint {
  const ck = loadPartCheckpoint(ckptPath, cfg);
  try { work.restore(ck.state); } catch (e) {
    throw new RefusedError(`checkpoint ${ckptPath} does not fit this run (${(e as Error).message}); remove it to restart that part from scratch`);
  }
  return ck;
}

/** A checkpoint of a part, as its file holds it (`metricsBytes`: the size of its run's metrics.jsonl, synced; `metricsRows`: the part's rows in it). */
export function partCheckpointText(cfg: BaseConfig, partId: string, metricsBytes: number, metricsRows: number, seconds: number, work: PartWork): string {
  const ck: PartCheckpoint = { codeVersion: CODE_VERSION, config: cfg, partId, metricsBytes, metricsRows, seconds, state: work.state() };
  return JSON.stringify(ck);
}

/** Write a checkpoint of a part (partCheckpointText). */
export function writePartCheckpoint(path: string, cfg: BaseConfig, partId: string, metricsBytes: number, metricsRows: number, seconds: number, work: PartWork): void {
  writeFileAtomic(path, partCheckpointText(cfg, partId, metricsBytes, metricsRows, seconds, work));
}

/** Write a finished part's side files and part file, then drop its checkpoint. */
export function writeFinishedPart(work: PartWork, dir: string, key: PartKey, id: string, rows: MetricsRow[], seconds: number): void {
  const name = partName(key);
  const file: PartFile = { method: key.method, seed: key.seed, partId: id, ...work.result(rows), weightsSha256: work.fingerprint(), seconds };
  // side files first: a part file's presence means the part is complete
  for (const [suffix, bytes] of Object.entries(work.sideFiles?.() ?? {})) writeFileAtomic(join(dir, 'parts', `${name}.${suffix}`), bytes);
  writeJsonAtomic(join(dir, 'parts', `${name}.json`), file);
  rmSync(join(dir, 'checkpoints', `${name}.json`), { force: true }); // a finished part is never resumed (WRN checkpoints are ~200 MB)
}

/** One part's rows of a metrics file, in file order. */
export function partRows(path: string, key: PartKey): MetricsRow[] {
  return readJsonl<MetricsRow>(path).rows.filter((r) => r.method === key.method && r.seed === key.seed);
}

/**
 * Remove the rows of one part and any line that does not parse (a torn last line) from a metrics
 * file: a part that starts from step 0 writes its rows again.
 */
export function dropPartRows(path: string, key: PartKey): void { dropRowsAfter(path, [{ key, offset: 0 }]); }

/** A part's key in the maps of a metrics file's rows by part (a row's method and seed, or a PartKey's). */
const rowPart = (method: unknown, seed: unknown) => `${String(method)}\u0000${String(seed)}`;

/**
 * Where a part's rows are cut on resume: after its first `rows` rows (what its checkpoint counted:
 * robust to any rewrite of the file since), or, for a checkpoint of an older lrlab without that
 * count, after byte `offset` (a position in the file as it is now).
 */
export interface RowCut { key: PartKey; offset: number; rows?: number }

/** The cut of a part from its checkpoint (or, with none, all its rows: it starts afresh). */
export function cutOf(key: PartKey, ck: PartCheckpoint | null): RowCut {
  return ck ? { key, offset: ck.metricsBytes, ...(ck.metricsRows !== undefined ? { rows: ck.metricsRows } : {}) } : { key, offset: 0, rows: 0 };
}

/**
 * Cut the rows of several parts of a metrics file, in one pass: a part's rows beyond its
 * cut go (beyond its first `rows` rows, or starting at or after its `offset`), as does any line that
 * does not parse (a torn line). Parts trained side by side by several processes checkpoint at
 * different times, so offsets would not do for them (cutting one part moves the bytes of the
 * others; a checkpoint's offset is stale once the file was rewritten); counts do.
 */
export function dropRowsAfter(path: string, cuts: RowCut[]): void {
  if (cuts.length === 0 || !existsSync(path)) return;
  const byPart = new Map(cuts.map((c) => [rowPart(c.key.method, c.key.seed), { ...c, seen: 0 }]));
  const all = readFileSync(path);
  const keep: Buffer[] = [];
  let changed = false;
  for (let at = 0; at < all.length;) {
    const nl = all.indexOf(10, at);
    const end = nl < 0 ? all.length : nl + 1;
    const line = all.subarray(at, end);
    let drop = nl < 0; // a torn last line
    if (!drop) {
      try {
        const r = JSON.parse(line.toString('utf8')) as { method?: unknown; seed?: unknown };
        const c = byPart.get(rowPart(r.method, r.seed));
        if (c) drop = c.rows !== undefined ? c.seen++ >= c.rows : at >= c.offset;
      } catch { drop = true; }
    }
    if (drop) changed = true; else keep.push(line);
    at = end;
  }
  if (changed) writeFileAtomic(path, Buffer.concat(keep));
}

/**
 * Cut the rows of the parts `keys` of the run in `dir` back to their checkpoints (all rows of a part
 * without one: it starts afresh), in one pass, before any of them trains again. Returns the
 * checkpoints read (null: none), in the order of `keys`.
 */
export function cutRowsToCheckpoints(dir: string, cfg: BaseConfig, keys: PartKey[]): (PartCheckpoint | null)[] {
  const cks = keys.map((key) => {
    const ck = join(dir, 'checkpoints', `${partName(key)}.json`);
    return existsSync(ck) ? loadPartCheckpoint(ck, cfg) : null;
  });
  dropRowsAfter(join(dir, 'metrics.jsonl'), keys.map((key, i) => cutOf(key, cks[i]!)));
  return cks;
}

/** Where a part goes on from: its checkpoint's step ("step 1500"), or null (from the start). */
export interface ResumePoint { key: PartKey; at: string | null }

/**
 * Where each part of `keys` goes on from, given its checkpoint (cutRowsToCheckpoints' result, in the
 * same order): where its state stands, in the kind's words when it has them (`describe`: the
 * Experiment's resumeAt), else the step ("step 1500", with the epochs done where the state counts
 * them: "step 130, 3 epoch(s) done"); null without a checkpoint (from the start).
 */
export function resumePoints(keys: PartKey[], checkpoints: (PartCheckpoint | null)[], describe?: (state: unknown) => string | null): ResumePoint[] {
  return keys.map((key, i) => {
    const ck = checkpoints[i];
    if (!ck) return { key, at: null };
    const own = describe?.(ck.state);
    if (own) return { key, at: own };
    const st = ck.state as { step?: unknown; epoch?: unknown };
    const at = typeof st.step !== 'number' ? 'its checkpoint' : `step ${st.step}${typeof st.epoch === 'number' ? `, ${st.epoch} epoch(s) done` : ''}`;
    return { key, at };
  });
}

/** How many rows each part has in a metrics file (the count a checkpoint records). */
export function rowCounts(path: string, keys: PartKey[]): number[] {
  const count = new Map(keys.map((k) => [rowPart(k.method, k.seed), 0]));
  for (const r of readJsonl<{ method?: unknown; seed?: unknown }>(path).rows) {
    if (typeof r.method !== 'string' || typeof r.seed !== 'number') continue;
    const id = rowPart(r.method, r.seed), n = count.get(id);
    if (n !== undefined) count.set(id, n + 1);
  }
  return keys.map((k) => count.get(rowPart(k.method, k.seed))!);
}

/** The part files of a run folder that fit the common part schema. */
export function readPartFiles(dir: string): PartFile[] {
  const d = join(dir, 'parts');
  if (!existsSync(d)) return [];
  return readdirSync(d).filter((f) => f.endsWith('.json')).sort().map((f) => {
    const p = partFileSchema.safeParse(readJson(join(d, f)));
    if (!p.success) throw new Error(`${join(d, f)} is not a part file (${p.error.issues[0]?.message ?? 'invalid'})`);
    return p.data as PartFile;
  });
}
