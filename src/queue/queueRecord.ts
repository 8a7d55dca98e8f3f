// queue.json in a run (or sweep) folder whose parts run on a queue: the queue's URL without its
// password, and the run's token (16 hex digits, made once), which with each part identity names that
// part's job. `lrlab resume DIR` reads it to re-attach to the same jobs; the password comes from
// `--queue URL` given again or from LRLAB_QUEUE_PASSWORD / REDISCLI_AUTH, never from the folder.
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { z } from '../util/schema.js';
import { readJson, writeJsonAtomic } from '../runs/runFolder.js';
import type { QueueTarget } from './queueUrl.js';

export const QUEUE_FILE = 'queue.json';

const queueRecordSchema = z.object({ format: z.literal(1), queue: z.string(), run: z.string().regex(/^[0-9a-f]{16}$/) });
export type QueueRecord = z.infer<typeof queueRecordSchema>;

/** The folder's queue record, or null when its parts ran locally. Throws on a malformed one. */
export function readQueueRecord(dir: string): QueueRecord | null {
  const p = join(dir, QUEUE_FILE);
  if (!existsSync(p)) return null;
  const r = queueRecordSchema.safeParse(readJson(p));
  if (!r.success) throw new Error(`${p} is not an lrlab queue record (${r.error.issues[0]?.message ?? 'invalid'})`);
  return r.data;
}

/**
 * Record the queue in `dir` (keeping the run token of an earlier start, else `token`, else a new
 * one: a sweep gives its runs its own, so that their equal parts are one job); returns the record.
 */
export function writeQueueRecord(dir: string, target: QueueTarget, token?: string): QueueRecord {
  const old = readQueueRecord(dir);
  const rec: QueueRecord = { format: 1, queue: target.bare, run: old?.run ?? token ?? randomBytes(8).toString('hex') };
  if (!old || old.queue !== rec.queue) writeJsonAtomic(join(dir, QUEUE_FILE), rec);
  return rec;
}
