// A queue worker: takes parts from BullMQ (one at a time), validates each job again, trains it with
// the part runner's own single-part machinery (runOnePart) in a one-part folder of its own, and sends
// back through Redis what the coordinator writes into the run folder: the metrics rows as they come
// (job progress), the part's checkpoints at its checkpoint cadence (checkpointStore.ts) and, at the
// end, the part file and all of the part's rows (the job's return value).
//
// Faults: a worker killed at any moment holds the job's lock no more; BullMQ's stalled-job check
// gives the job to another worker, which lays out the part's last checkpoint and continues it, as
// `lrlab resume` continues a local run (bit-identical rows and weights). SIGINT/SIGTERM checkpoint
// the part and put it back on the queue for another worker. A part that fails for its own reasons
// (data missing here, a broken config) fails with this worker's name and message and is retried on
// up to `attempts` workers (set by the coordinator). A job of another lrlab code version is put back
// untouched and this worker stops, saying so.
import { existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, closeSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { DelayedError, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { partName, runOnePart, partRows } from '../experiments/partRunner.js';
import { readJson } from '../runs/runFolder.js';
import type { PartFile } from '../runs/format.js';
import type { QueueTarget } from './queueUrl.js';
import { openQueueConnection } from './connection.js';
import { JobRefused, KEY_PREFIX, jobIdOf, queueName, validatePartJob, workerName, type PartResult } from './partJob.js';
import { readCheckpoint, restoreCheckpoint, storeCheckpoint } from './checkpointStore.js';

export interface WorkerOptions {
  target: QueueTarget;
  /** The queue it serves: parts whose config asks for this device. */
  device: string;
  /** Keep each part's folder (and checkpoints) in the run folder, on a filesystem shared with the coordinator. */
  sharedDir: boolean;
  /** Where the one-part folders live otherwise (a local temporary folder). */
  scratch: string;
  /** How long a part's lock lasts without renewal: a lost worker's part goes to another one after about this long. */
  lockMs: number;
  /** Stop after this long without a part (ms; 0: never), e.g. in a batch job. */
  idleExitMs: number;
  log: (line: string) => void;
  shouldStop: () => boolean;
}

/** What the progress of a running part says (job.updateProgress): who runs it, how far, and its rows from index `from`. */
export interface PartProgressData { worker: string; at: number; of: number; info: string; from: number; rows: string[] }

/** Lines of a file from byte `offset`: complete lines only, and the offset after them. */
function newLines(path: string, offset: number): { lines: string[]; offset: number } {
  if (!existsSync(path)) return { lines: [], offset };
  const size = statSync(path).size;
  if (size <= offset) return { lines: [], offset };
  const buf = Buffer.alloc(size - offset);
  const fd = openSync(path, 'r');
  try { readSync(fd, buf, 0, buf.length, offset); } finally { closeSync(fd); }
  const text = buf.toString('utf8');
  const end = text.lastIndexOf('\n');
  if (end < 0) return { lines: [], offset };
  return { lines: text.slice(0, end).split('\n'), offset: offset + Buffer.byteLength(text.slice(0, end + 1)) };
}

/** Serve the queue until stopped (signal, idle, a job of another version). Resolves to the exit code (0, or 2 after a version refusal). */
export async function runQueueWorker(o: WorkerOptions): Promise<number> {
  const conn = await openQueueConnection(o.target, o.log);
  const redis = conn.client();
  const me = workerName();
  let exitCode = 0;
  let stopping = false;
  let lastActive = Date.now();
  let active = 0;

  const processor = async (job: Job, token?: string): Promise<PartResult> => {
    active++;
    try { return await processPart(job, token); } finally { active--; lastActive = Date.now(); }
  };

  const processPart = async (job: Job, token?: string): Promise<PartResult> => {
    if (stopping || o.shouldStop()) { await job.moveToWait(token); throw new WaitingError(); } // (taken while stopping: back at once)
    let v: ReturnType<typeof validatePartJob>;
    try { v = validatePartJob(job.data); } catch (e) {
      if (e instanceof JobRefused && e.otherVersion) {
        o.log(`worker ${me}: refused ${e.message}; stopping`);
        exitCode = 2; stopping = true;
        await job.moveToDelayed(Date.now() + 1000, token);
        throw new DelayedError();
      }
      throw new UnrecoverableError(`worker ${me} refused the job: ${(e as Error).message}`);
    }
    const { exp, cfg, key, job: pj } = v;
    const jobId = job.id!;
    // the id names the scratch folder and the part names files: only the forms the coordinator makes
    const idOk = jobId === jobIdOf(pj.run, pj.partId) || jobId === `${jobIdOf(pj.run, pj.partId)}.${pj.part}`;
    const dirOk = !o.sharedDir || (isAbsolute(pj.runDir) && existsSync(join(pj.runDir, 'config.json')));
    if (!idOk || pj.part !== partName(key) || !dirOk) {
      throw new UnrecoverableError(`worker ${me} refused job ${jobId}: its id, part name or run folder is not one lrlab makes`);
    }
    const dir = o.sharedDir ? join(pj.runDir, 'checkpoints', `queue-${pj.part}`) : join(o.scratch, jobId);
    if (!o.sharedDir) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      await restoreCheckpoint(redis, jobId, dir, pj.part);
    } else mkdirSync(dir, { recursive: true });
    const metricsPath = join(dir, 'metrics.jsonl');
    const resumedRows = existsSync(join(dir, 'checkpoints', `${pj.part}.json`)) ? partRows(metricsPath, key).length : null;
    o.log(`worker ${me}: part ${pj.part} of ${pj.runDir} started (attempt ${job.attemptsMade + 1}${resumedRows !== null ? `, continuing from its checkpoint after ${resumedRows} row(s)` : ''})`);

    // progress and rows go out in order, one Redis call at a time, without holding up training
    let chain: Promise<unknown> = Promise.resolve();
    const send = (f: () => Promise<unknown>) => { chain = chain.then(f).catch((e: Error) => o.log(`worker ${me}: part ${pj.part}: ${e.message}`)); };
    let offset = 0, sentRows = 0, lastSent = 0;
    const hooks = {
      shouldStop: () => o.shouldStop(),
      onProgress: (p: { at: number; of: number; info: string }) => {
        const r = newLines(metricsPath, offset);
        if (r.lines.length === 0 && Date.now() - lastSent < 1000) return;
        offset = r.offset; lastSent = Date.now();
        const data: PartProgressData = { worker: me, at: p.at, of: p.of, info: p.info, from: sentRows, rows: r.lines };
        sentRows += r.lines.length;
        send(() => job.updateProgress(data));
      },
      onCheckpoint: (_k: unknown, path: string) => {
        if (o.sharedDir) return;
        const c = readCheckpoint(path, metricsPath); // now: the next checkpoint replaces the file
        send(() => storeCheckpoint(redis, jobId, c));
      },
    };
    let r: 'done' | 'interrupted';
    try {
      r = await runOnePart(exp, cfg, dir, key, hooks);
    } catch (e) {
      await chain;
      throw new Error(`worker ${me}: ${(e as Error).message}`);
    }
    await chain;
    if (r === 'interrupted') {
      o.log(`worker ${me}: part ${pj.part} checkpointed and put back on the queue`);
      await job.moveToWait(token);
      throw new WaitingError();
    }
    const partFile = readJson<PartFile & Record<string, unknown>>(join(dir, 'parts', `${pj.part}.json`));
    const rows = readFileSync(metricsPath, 'utf8').split('\n').filter((l) => l !== '');
    const sideFiles = Object.fromEntries(readdirSync(join(dir, 'parts'))
      .filter((f) => f.startsWith(`${pj.part}.`) && f !== `${pj.part}.json`)
      .map((f) => [f.slice(pj.part.length + 1), readFileSync(join(dir, 'parts', f)).toString('base64')]));
    o.log(`worker ${me}: part ${pj.part} finished (${partFile.status})`);
    rmSync(dir, { recursive: true, force: true });
    return { partFile, rows, sideFiles, worker: me };
  };

  const worker = new Worker(queueName(o.device), processor, {
    connection: conn.client(), prefix: KEY_PREFIX, concurrency: 1, autorun: true,
    lockDuration: o.lockMs, stalledInterval: Math.max(500, Math.floor(o.lockMs / 2)), maxStalledCount: 10,
    removeOnComplete: { count: 100000 }, removeOnFail: { count: 100000 },
  });
  let lastError = { text: '', at: 0 };
  worker.on('error', (e: Error) => { // (while Redis is away every retry fails: one line per 10 s)
    if (e.message === lastError.text && Date.now() - lastError.at < 10_000) return;
    lastError = { text: e.message, at: Date.now() };
    o.log(`worker ${me}: ${e.message}`);
  });
  o.log(`worker ${me}: waiting for ${o.device} parts on ${o.target.shown}${o.sharedDir ? ' (shared run folders)' : ''}`);
  await new Promise<void>((resolve) => {
    const t = setInterval(() => {
      const idle = active === 0 && o.idleExitMs > 0 && Date.now() - lastActive > o.idleExitMs;
      if (stopping || o.shouldStop() || idle) {
        clearInterval(t);
        if (idle) o.log(`worker ${me}: no part for ${Math.round(o.idleExitMs / 1000)} s; stopping`);
        resolve();
      }
    }, 200);
  });
  await worker.close();
  conn.close();
  return exitCode;
}
