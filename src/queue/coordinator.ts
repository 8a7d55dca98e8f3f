// The coordinator: the process that owns one or more run folders (a run, or every run of a sweep)
// and has their parts trained by queue workers. It puts each part that has no part file yet on the
// queue of its device (one job per part, id = run token + part identity, so a part already queued,
// running or finished is never queued twice), writes what comes back into the run folders
// (runCollector.ts) and reports each running part's worker, position and ETA.
//
// It can stop and start again at any time: on a start it re-attaches to its jobs (a finished one's
// result still waits in Redis; a failed one is tried again; a job Redis lost, e.g. restarted
// without persistence, is queued again), and it deletes a job only after the part file is written.
// Workers go on while no coordinator runs.
import { QueueEvents, Queue, type Job } from 'bullmq';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { AnyExperiment, BaseConfig, PartKey } from '../experiments/experiment.js';
import { partName } from '../experiments/partRunner.js';
import { RefusedError, prepareRunFolder, readJson, refuseIfRunningElsewhere, writeRunStatus } from '../runs/runFolder.js';
import type { QueueTarget } from './queueUrl.js';
import { openQueueConnection } from './connection.js';
import { KEY_PREFIX, checkPartResult, jobIdOf, makePartJob, partDevice, queueName, type PartJob } from './partJob.js';
import { checkpointKey } from './checkpointStore.js';
import { writeQueueRecord } from './queueRecord.js';
import { RunCollector } from './runCollector.js';
import type { PartProgressData } from './worker.js';

/** A run to train on the queue; `label` names it in messages (default: its folder). */
export interface QueueRun { exp: AnyExperiment; cfg: BaseConfig; dir: string; label?: string }

/** A part on the queue, as the coordinator shows it. */
export interface RunningPart { run: string; part: string; worker: string | null; at: number; of: number; info: string; etaMs: number | null }
export interface QueueProgress { done: number; total: number; running: RunningPart[] }

export interface CoordinatorHooks {
  shouldStop: () => boolean;
  onProgress?: (p: QueueProgress) => void;
  /** One-line notes: a part finished, failed, was queued again; the connection dropped. */
  log?: (line: string) => void;
}

export interface CoordinatorResult { state: 'done' | 'interrupted'; failures: string[] }

/** How many workers a part is tried on before it counts as failed. */
export const DEFAULT_ATTEMPTS = 3;

interface Pending {
  jobId: string; job: PartJob; label: string;
  /** The run folders that get this part (in a sweep, every point whose part has this identity: trained once). */
  dests: { collector: RunCollector; key: PartKey }[];
  worker: string | null; at: number; of: number; info: string;
  /** Where this worker's progress started (for its ETA). */
  since: { t: number; at: number; worker: string } | null;
}

const sameJson = (a: unknown, b: unknown) => isDeepStrictEqual(a, JSON.parse(JSON.stringify(b)));

/** Refuse what the local runner refuses: a folder busy in a live process, or holding another config. */
function checkFolder(r: QueueRun): void {
  refuseIfRunningElsewhere(r.dir);
  const p = join(r.dir, 'config.json');
  if (existsSync(p) && !sameJson(readJson(p), r.cfg)) throw new RefusedError(`run folder ${r.dir} holds a different config (${p}); refusing to continue it with this one`);
}

/** Train every part of `runs` on the queue at `target`; resolves when all are done or failed, or when stopped. */
/**
 * `token`: one run token for all of `runs` (a sweep's), so that equal parts of several runs are one job,
 * trained once; default: each run folder's own.
 */
export async function coordinateRuns(runs: QueueRun[], target: QueueTarget, hooks: CoordinatorHooks, token?: string, attempts = DEFAULT_ATTEMPTS): Promise<CoordinatorResult> {
  const log = hooks.log ?? (() => {});
  runs.forEach(checkFolder);
  const conn = await openQueueConnection(target, log);
  const redis = conn.client();
  const queues = new Map<string, Queue>();
  const events: QueueEvents[] = [];
  const pending = new Map<string, Pending>();
  const collected: { ids: string[]; device: ReturnType<typeof partDevice> }[] = [];
  const failures: string[] = [];
  const collectors: RunCollector[] = [];
  let done = 0, total = 0;
  let wake: (() => void) | null = null;
  const nudge = () => { wake?.(); };

  const queueOf = async (device: string): Promise<Queue> => {
    let q = queues.get(device);
    if (!q) {
      q = new Queue(queueName(device), { connection: conn.client(), prefix: KEY_PREFIX });
      queues.set(device, q);
      const ev = new QueueEvents(queueName(device), { connection: conn.client(), prefix: KEY_PREFIX });
      ev.on('progress', ({ jobId, data }) => {
        const p = pending.get(jobId);
        if (!p || data === null || typeof data !== 'object') return;
        const d = data as Partial<PartProgressData>;
        if (Array.isArray(d.rows) && typeof d.from === 'number' && d.rows.every((l) => typeof l === 'string')) {
          try { for (const t of p.dests) t.collector.addRows(t.key, d.from, d.rows); } catch (e) { log(`${p.label}: ${(e as Error).message}`); }
        }
        if (typeof d.worker === 'string' && typeof d.at === 'number' && typeof d.of === 'number') {
          if (!p.since || p.since.worker !== d.worker || d.at < p.since.at) p.since = { t: Date.now(), at: d.at, worker: d.worker };
          Object.assign(p, { worker: d.worker, at: d.at, of: d.of, info: typeof d.info === 'string' ? d.info : '' });
          report();
        }
      });
      ev.on('completed', nudge);
      ev.on('failed', nudge);
      ev.on('error', (e: Error) => log(`queue ${target.shown}: ${e.message}`));
      events.push(ev);
      await ev.waitUntilReady();
    }
    return q;
  };

  const report = () => {
    const now = Date.now();
    const running = [...pending.values()].map((p): RunningPart => {
      const rate = p.since && p.at > p.since.at ? (now - p.since.t) / (p.at - p.since.at) : null;
      return { run: p.dests[0]!.collector.dir, part: p.label, worker: p.worker, at: p.at, of: p.of, info: p.info, etaMs: rate === null ? null : rate * (p.of - p.at) };
    });
    hooks.onProgress?.({ done, total, running });
  };

  const add = async (p: Pending) => {
    const q = await queueOf(partDevice(p.job.config));
    await q.add('part', p.job, { jobId: p.jobId, attempts, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: false, removeOnFail: false });
  };

  /** Look at one job: collect it when finished, note a final failure, queue it again when Redis lost it. */
  const check = async (p: Pending, first: boolean) => {
    const q = await queueOf(partDevice(p.job.config));
    // the state first, then the job: a Job read first and completed before its state was asked
    // would carry no return value (BullMQ sets state and return value together, the Job is a snapshot)
    const state = await q.getJobState(p.jobId);
    const job: Job | undefined = state === 'unknown' ? undefined : await q.getJob(p.jobId);
    if (!job) {
      if (!first) log(`${p.label}: its job is gone from the queue (Redis restarted without its data?); queued again`);
      await add(p);
      return;
    }
    if (state === 'completed') {
      try {
        const r = checkPartResult(job.returnvalue, p.job);
        // the first run trains it; the others get it as a reused part (as a local sweep copies it: partReuse.ts)
        p.dests.forEach((t, i) => t.collector.finishPart(t.key, r, i === 0 ? undefined : { run: p.dests[0]!.collector.dir, method: p.job.method }));
        log(`${p.label}: finished by ${r.worker} (${r.partFile.status})${p.dests.length > 1 ? `, for ${p.dests.length} runs` : ''}`);
      } catch (e) {
        failures.push(`${p.label}: ${(e as Error).message}`);
        for (const t of p.dests) t.collector.failed = true;
      }
      pending.delete(p.jobId);
      done++;
      await job.remove().catch(() => {});
      await redis.del(checkpointKey(p.jobId)).catch(() => {});
      for (const t of p.dests) if (t.collector.complete && !t.collector.failed) t.collector.finishRun();
    } else if (state === 'failed') {
      if (first) { await job.retry('failed', { resetAttemptsMade: true }); log(`${p.label}: failed before (${job.failedReason}); trying again`); return; }
      failures.push(`${p.label}: ${job.failedReason ?? 'failed'}`);
      for (const t of p.dests) t.collector.failed = true;
      pending.delete(p.jobId);
      done++;
      log(`${p.label}: failed after ${job.attemptsMade} attempt(s): ${job.failedReason}`);
    }
  };

  try {
    for (const r of runs) {
      const c = new RunCollector(r.exp, r.cfg, r.dir);
      collectors.push(c);
      prepareRunFolder(r.dir, r.cfg);
      const rec = writeQueueRecord(r.dir, target, token);
      total += c.parts.length;
      done += c.parts.length - c.todo().length;
      // parts collected before a restart (the coordinator killed between writing a part file and
      // removing its job): their jobs and checkpoints are cleared below unless another run still needs them
      for (const key of c.parts.filter((k) => c.hasPart(k))) {
        const job = makePartJob(r.exp, r.cfg, key, rec.run, r.dir);
        const id = jobIdOf(rec.run, job.partId);
        collected.push({ ids: [id, `${id}.${job.part}`], device: partDevice(job.config) });
      }
      for (const key of c.todo()) {
        const job = makePartJob(r.exp, r.cfg, key, rec.run, r.dir);
        let jobId = jobIdOf(rec.run, job.partId);
        const same = pending.get(jobId);
        if (same && same.job.method === key.method) { same.dests.push({ collector: c, key }); continue; }
        if (same) {
          jobId = `${jobId}.${job.part}`; // (two methods with one identity, e.g. image methods alike but for their names: two jobs)
          const alt = pending.get(jobId);
          if (alt) { alt.dests.push({ collector: c, key }); continue; }
        }
        pending.set(jobId, { jobId, dests: [{ collector: c, key }], job, label: `${r.label ?? r.dir} ${partName(key)}`, worker: null, at: 0, of: 0, info: 'waiting for a worker', since: null });
      }
      writeRunStatus(r.dir, 'running');
      if (c.complete) c.finishRun(); // every part file already there (stopped after the last part)
    }
    for (const { ids, device } of collected) {
      for (const id of ids) {
        if (pending.has(id)) continue;
        const job: Job | undefined = await (await queueOf(device)).getJob(id);
        if (job && await job.getState() === 'completed') await job.remove().catch(() => {});
        await redis.del(checkpointKey(id)).catch(() => {});
      }
    }
    for (const p of [...pending.values()]) await check(p, true);
    report();
    while (pending.size > 0 && !hooks.shouldStop()) {
      await new Promise<void>((res) => { wake = res; setTimeout(res, 1000); });
      wake = null;
      for (const p of [...pending.values()]) {
        if (hooks.shouldStop()) break;
        await check(p, false);
      }
      report();
    }
  } finally {
    await Promise.all(events.map((e) => e.close().catch(() => {})));
    await Promise.all([...queues.values()].map((q) => q.close().catch(() => {})));
    conn.close();
  }
  const stopped = pending.size > 0;
  for (const c of collectors) {
    if (c.failed) writeRunStatus(c.dir, 'failed');
    else if (!c.complete && stopped) writeRunStatus(c.dir, 'interrupted');
  }
  return { state: stopped ? 'interrupted' : 'done', failures };
}
