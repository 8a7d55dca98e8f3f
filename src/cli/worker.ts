// The queue's command-line side: `lrlab worker` (take parts from the queue and train them), and the
// coordinator that `--queue URL` of `lrlab <kind>`, `lrlab sweep` and `lrlab resume` run instead of
// the local part runner (progress bar with each running part's worker and ETA, Ctrl-C, exit codes).
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism, tmpdir } from 'node:os';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Command, UsageError } from './command.js';
import { commandOf, workerHead } from './help.js';
import { Progress, formatDuration } from './progress.js';
import { interruptFlag } from './signals.js';
import type { AnyExperiment, BaseConfig } from '../experiments/experiment.js';
import { checkDevice, loadEngine, setNumThreads } from '../engine/index.js';
import { readJson } from '../runs/runFolder.js';
import type { SummaryEnvelope } from '../runs/format.js';
import { parseQueueUrl, type QueueTarget } from '../queue/queueUrl.js';
import { coordinateRuns, type CoordinatorResult, type QueueProgress, type QueueRun } from '../queue/coordinator.js';
import { runQueueWorker } from '../queue/worker.js';
import { openQueueConnection } from '../queue/connection.js';
import { DEVICES } from '../queue/partJob.js';
import { writeQueueRecord } from '../queue/queueRecord.js';
import { experimentOf } from '../experiments/registry.js';

/** The queue URL of a command (a one-line usage error for a bad one). */
export function queueTarget(url: string): QueueTarget {
  try { return parseQueueUrl(url); } catch (e) { throw new UsageError((e as Error).message); }
}

/** The queue URL of a command, checked against the server now (unreachable, wrong password: a one-line error, exit 2). */
export async function reachableQueue(url: string): Promise<QueueTarget> {
  const target = queueTarget(url);
  (await openQueueConnection(target)).close();
  return target;
}

const cliPath = fileURLToPath(new URL('../../bin/lrlab.js', import.meta.url));

function positiveInt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got '${v}'`);
  return n;
}

function seconds(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a number of seconds > 0, got '${v}'`);
  return n;
}

export const workerCommand: Command = commandOf(workerHead, {
  async run(argv) {
    const { values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: {
        queue: { type: 'string' }, concurrency: { type: 'string' }, device: { type: 'string' }, threads: { type: 'string' },
        'shared-dir': { type: 'boolean' }, 'lock-seconds': { type: 'string' }, 'idle-exit': { type: 'string' },
      },
    });
    if (!values.queue) throw new UsageError('give the queue: --queue redis://[user:password@]host:port[/db]');
    const target = queueTarget(values.queue);
    const n = positiveInt('concurrency', values.concurrency, 1);
    const device = values.device ?? 'cpu';
    if (!(DEVICES as readonly string[]).includes(device)) throw new UsageError(`--device must be one of ${DEVICES.join(', ')}, got '${device}'`);
    loadEngine(); // (libtorch, as at start-up before: a failed kernel check refuses the worker here; its child workers inherit the checked choice)
    try { checkDevice(device); } catch (e) { throw new UsageError((e as Error).message); }
    const threads = positiveInt('threads', values.threads, Math.max(1, Math.floor(availableParallelism() / n)));
    const lockMs = seconds('lock-seconds', values['lock-seconds'], 30) * 1000;
    const idleExitMs = values['idle-exit'] === undefined ? 0 : seconds('idle-exit', values['idle-exit'], 0) * 1000;
    if (n > 1) return runWorkerProcesses(n, argv, target, threads);
    if (values.threads !== undefined || process.env.LRLAB_NUM_THREADS === undefined) setNumThreads(threads);
    const scratch = mkdtempSync(join(tmpdir(), 'lrlab-worker-'));
    const stop = interruptFlag(undefined, 'stopping: a part in training is checkpointed and goes back to the queue for another worker');
    try {
      return await runQueueWorker({
        target, device, sharedDir: values['shared-dir'] ?? false, scratch, lockMs, idleExitMs,
        log: (line) => console.error(line), shouldStop: stop.get,
      });
    } finally {
      stop.release();
      rmSync(scratch, { recursive: true, force: true });
    }
  },
});

/**
 * --concurrency N: N single-part worker processes, each with `threads` libtorch threads. The password
 * goes to them in the environment, not on their command line. Signals are passed on once; the exit
 * code is the largest of theirs.
 */
async function runWorkerProcesses(n: number, argv: string[], target: QueueTarget, threads: number): Promise<number> {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--concurrency' || a === '--threads' || a === '--queue') { i++; continue; }
    if (/^--(concurrency|threads|queue)=/.test(a)) continue;
    args.push(a);
  }
  const env = { ...process.env, LRLAB_NUM_THREADS: String(threads), ...(target.password !== undefined ? { LRLAB_QUEUE_PASSWORD: target.password } : {}) };
  const children = new Set<ChildProcess>();
  const stop = interruptFlag((sig) => { for (const c of children) c.kill(sig); }, null); // (each worker process says what it does)
  try {
    const codes = await Promise.all(Array.from({ length: n }, () => new Promise<number>((res) => {
      const child = spawn(process.execPath, [cliPath, 'worker', '--queue', target.bare, '--threads', String(threads), ...args], { stdio: ['ignore', 'inherit', 'inherit'], detached: true, env });
      children.add(child);
      child.on('close', (code) => { children.delete(child); res(code ?? 1); });
    })));
    return Math.max(...codes);
  } finally { stop.release(); }
}

/** The progress bar's text: parts done, and each running part's worker, position and ETA. */
export function progressInfo(p: QueueProgress, show = 2): string {
  const running = p.running.filter((r) => r.worker !== null);
  const waiting = p.running.length - running.length;
  const items = running.slice(0, show).map((r) => `${r.part} on ${r.worker} ${r.at}/${r.of} ETA ${r.etaMs === null ? '--:--' : formatDuration(r.etaMs)}`);
  if (running.length > show) items.push(`+${running.length - show} running`);
  if (waiting > 0) items.push(`${waiting} waiting for a worker`);
  return [`${p.done}/${p.total} parts`, ...items].join('; ');
}

/**
 * Run `runs` on the queue with a progress bar; SIGINT/SIGTERM stop the coordinator (the workers go
 * on and their results wait in the queue for `lrlab resume`).
 */
export async function coordinateWithProgress(runs: QueueRun[], target: QueueTarget, label: string, quiet: boolean, labels?: string[], token?: string): Promise<CoordinatorResult> {
  const bar = new Progress(1, label, process.stderr, quiet);
  const stop = interruptFlag(undefined, 'stopping the coordinator (the workers go on; lrlab resume DIR collects their results)');
  const tty = !!process.stderr.isTTY;
  const named = runs.map((r, i) => ({ ...r, label: labels?.[i] ?? basename(r.dir) }));
  if (!quiet) console.error(`queue: ${target.shown}; start workers with: lrlab worker --queue ${target.bare}`);
  try {
    return await coordinateRuns(named, target, {
      shouldStop: stop.get,
      onProgress: (p) => {
        bar.setTotal(p.total);
        bar.update(p.done + p.running.reduce((s, r) => s + (r.of > 0 ? Math.min(1, r.at / r.of) : 0), 0), progressInfo(p));
      },
      log: (line) => { if (!quiet) process.stderr.write(`${tty ? '\r\x1b[K' : ''}${line}\n`); },
    }, token);
  } finally { stop.release(); }
}

/** `lrlab <kind> --queue URL` and `lrlab resume` of such a run: its parts on the queue, then the kind's table. */
export async function executeOnQueue(exp: AnyExperiment, cfg: BaseConfig, dir: string, url: string, quiet: boolean): Promise<number> {
  const target = queueTarget(url);
  if (!quiet) console.error(`run folder: ${dir}`);
  const r = await coordinateWithProgress([{ exp, cfg, dir }], target, exp.kind, quiet);
  if (r.state === 'interrupted') {
    console.error(`${quiet ? '' : '\n'}interrupted: the coordinator stopped; the workers go on and their results wait in the queue. Continue with: lrlab resume ${dir}`);
    return 130;
  }
  if (r.failures.length) { console.error(`\n${r.failures.length} part(s) failed:\n  ${r.failures.join('\n  ')}`); return 1; }
  if (!quiet) process.stderr.write('\n');
  console.log(exp.cli.table(readJson<SummaryEnvelope>(join(dir, 'summary.json'))));
  console.log(`\nrun folder: ${dir}`);
  return 0;
}

/** `lrlab sweep --queue URL` (and its resume): every run of the sweep that has no summary yet, on the queue. */
export async function sweepOnQueue(dir: string, runs: { cfg: BaseConfig; dir: string; label: string }[], url: string, quiet: boolean): Promise<CoordinatorResult> {
  const target = queueTarget(url);
  const { run: token } = writeQueueRecord(dir, target); // one token for the sweep: a part equal in several points is trained once
  const todo = runs.filter((r) => !existsSync(join(r.dir, 'summary.json')));
  return coordinateWithProgress(todo.map((r) => ({ exp: experimentOf(r.cfg), cfg: r.cfg, dir: r.dir })), target, 'sweep', quiet, todo.map((r) => r.label), token);
}
