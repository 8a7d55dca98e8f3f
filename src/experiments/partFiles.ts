// A run folder's files of one part, shared by the part runner (partRunner.ts), the batch runner
// (batchRunner.ts), run groups (runGroup.ts), reuse and the queue: the part's file name, its
// checkpoint (read, checked, restored), its rows in metrics.jsonl (read, dropped after a checkpoint's
// byte offset), and its finished part file.
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RefusedError, loadCheckpointFile, readJson, readJsonl, writeFileAtomic, writeJsonAtomic } from '../runs/runFolder.js';
import { partFileSchema, type MetricsRow, type PartFile } from '../runs/format.js';
import { CODE_VERSION } from '../util/version.js';
import type { BaseConfig, PartKey, PartWork } from './experiment.js';

/** What a checkpoint file holds: which code and config wrote it, where metrics.jsonl ended, the part's state. */
export interface PartCheckpoint { codeVersion: string; config: unknown; partId: string; metricsBytes: number; seconds: number; state: unknown }

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

/** Write a checkpoint of a part (`metricsBytes`: the size of its run's metrics.jsonl, synced). */
export function writePartCheckpoint(path: string, cfg: BaseConfig, partId: string, metricsBytes: number, seconds: number, work: PartWork): void {
  const ck: PartCheckpoint = { codeVersion: CODE_VERSION, config: cfg, partId, metricsBytes, seconds, state: work.state() };
  writeFileAtomic(path, JSON.stringify(ck));
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
export function dropPartRows(path: string, key: PartKey): void { dropPartRowsAfter(path, key, 0); }

/**
 * Remove the rows of one part written after byte `offset` of a metrics file (where its checkpoint
 * was taken), and a torn last line; other parts' rows stay where they are (a batched run's parts
 * interleave their rows, and a part resumed alone must not cut away rows of parts resumed before it).
 */
export function dropPartRowsAfter(path: string, key: PartKey, offset: number): void {
  if (!existsSync(path) || statSync(path).size <= offset) return;
  const all = readFileSync(path);
  const lines = all.subarray(offset).toString('utf8').split('\n');
  const tail = lines.pop(); // '' after the last newline, else a torn line
  const keep = lines.filter((l) => {
    try { const r = JSON.parse(l) as { method?: unknown; seed?: unknown }; return !(r.method === key.method && r.seed === key.seed); } catch { return false; }
  });
  if (keep.length === lines.length && !tail) return;
  writeFileAtomic(path, Buffer.concat([all.subarray(0, offset), Buffer.from(keep.map((l) => l + '\n').join(''))]));
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
