// A part's last checkpoint in Redis, for the worker that continues the part after its first one was
// lost (killed, machine gone): the part runner's checkpoint file and the part's metrics rows up to
// it, stored together in one hash (lrlab:ckpt:<job id>) so that they always match. A worker writes
// it at the part's own checkpoint cadence; the coordinator deletes it with the job once the part
// file is in the run folder. (Image checkpoints are the model's whole state: MBs for an MLP, ~200 MB
// for WRN-16-10; with --shared-dir they stay in the run folder instead.)
import { mkdirSync, openSync, readFileSync, readSync, closeSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Redis } from 'ioredis';
import { KEY_PREFIX } from './partJob.js';

export const checkpointKey = (jobId: string) => `${KEY_PREFIX}:ckpt:${jobId}`;

/** Kept at most this long if nobody collects the part (a run abandoned with its Redis). */
const TTL_S = 30 * 24 * 3600;

/** Read the checkpoint file `ckptPath` and the first `metricsBytes` of `metricsPath` now (the next checkpoint replaces the file). */
export function readCheckpoint(ckptPath: string, metricsPath: string): { ckpt: Buffer; rows: Buffer } {
  const ckpt = readFileSync(ckptPath);
  const { metricsBytes } = JSON.parse(ckpt.toString('utf8')) as { metricsBytes: number };
  const rows = Buffer.alloc(metricsBytes);
  if (metricsBytes > 0) {
    const fd = openSync(metricsPath, 'r');
    try { readSync(fd, rows, 0, metricsBytes, 0); } finally { closeSync(fd); }
  }
  return { ckpt, rows };
}

/** Store a checkpoint read by readCheckpoint (both fields in one command, so they always match). */
export async function storeCheckpoint(redis: Redis, jobId: string, c: { ckpt: Buffer; rows: Buffer }): Promise<void> {
  await redis.multi().hset(checkpointKey(jobId), { ckpt: c.ckpt, rows: c.rows }).expire(checkpointKey(jobId), TTL_S).exec();
}

/**
 * Lay a stored checkpoint out as a one-part run folder (checkpoints/<part>.json, metrics.jsonl), so
 * that the part runner continues it as it continues a local run. Returns false when there is none.
 */
export async function restoreCheckpoint(redis: Redis, jobId: string, dir: string, part: string): Promise<boolean> {
  const h = await redis.hgetallBuffer(checkpointKey(jobId));
  if (!h.ckpt || !h.rows) return false;
  const ckptPath = join(dir, 'checkpoints', `${part}.json`);
  mkdirSync(dirname(ckptPath), { recursive: true });
  writeFileSync(join(dir, 'metrics.jsonl'), h.rows);
  writeFileSync(ckptPath, h.ckpt);
  return true;
}
