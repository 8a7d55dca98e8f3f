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
export function dropPartRowsAfter(path: string, key: PartKey, offset: number): void { dropRowsAfter(path, [{ key, offset }]); }

/**
 * dropPartRowsAfter for several parts at once, in one pass over the file: a row of part `key` that
 * starts at or after its cut's `offset` goes, as does any line after the smallest offset that does not
 * parse (a torn line). Each cut's offset is a byte position of the file as it is now (parts trained
 * side by side by several processes checkpoint at different offsets, so cutting one part after another
 * would move the bytes a later cut counts from).
 */
export function dropRowsAfter(path: string, cuts: { key: PartKey; offset: number }[]): void {
  if (cuts.length === 0 || !existsSync(path)) return;
  const from = Math.min(...cuts.map((c) => c.offset));
  if (statSync(path).size <= from) return;
  const cutOf = new Map(cuts.map((c) => [`${c.key.method}\u0000${c.key.seed}`, c.offset]));
  const all = readFileSync(path);
  const keep: Buffer[] = [];
  let changed = false;
  for (let at = from; at < all.length;) {
    const nl = all.indexOf(10, at);
    const end = nl < 0 ? all.length : nl + 1;
    const line = all.subarray(at, end);
    let drop = nl < 0; // a torn last line
    if (!drop) {
      try {
        const r = JSON.parse(line.toString('utf8')) as { method?: unknown; seed?: unknown };
        const cut = cutOf.get(`${String(r.method)}\u0000${String(r.seed)}`);
        drop = cut !== undefined && at >= cut;
      } catch { drop = true; }
    }
    if (drop) changed = true; else keep.push(line);
    at = end;
  }
  if (changed) writeFileAtomic(path, Buffer.concat([all.subarray(0, from), ...keep]));
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
