// A run's folder on disk: config.json, metrics as JSONL, summary.json, checkpoints. Whole files are
// written atomically (temporary file, fsync, rename); JSONL is appended line by line and a torn last
// line is detected on read.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { runStatusSchema, type RunState, type RunStatusFile } from './format.js';
import { RefusedError } from '../util/errors.js';

/** This process's temporary-file suffix: `.tmp-<pid>-<random>` (the random part tells apart two processes with one pid, e.g. pid 1 in containers). */
const TMP_SUFFIX = `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
const TMP_RE = /\.tmp-(\d+)-[0-9a-f]{8}$/;

/** Write `data` to `path` and fsync it. */
function writeSynced(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
  } finally { closeSync(fd); }
}
const fsyncDir = (dir: string) => { try { const d = openSync(dir, 'r'); fsyncSync(d); closeSync(d); } catch { /* directory fsync unsupported */ } };

/** Write a file atomically: a crash leaves either the old file or the new one, never half of one. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = path + TMP_SUFFIX;
  writeSynced(tmp, data);
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}

/** A file set's commit list: `.commit.tmp-<pid>-<random>.json` (the temporary-file suffix of the process that wrote it). */
const COMMIT = `.commit${TMP_SUFFIX}.json`;
const COMMIT_RE = /^\.commit(\.tmp-(\d+)-[0-9a-f]{8})\.json$/;

/**
 * Write several files of one folder so that a crash leaves either all the old ones or all the new
 * ones (a batch's checkpoints: its parts' rows interleave in one metrics file, so a resume must find
 * them all at the same step). Each file goes to its temporary file; then a commit list naming them is
 * written (atomically); then they are renamed and the list removed. settleFileSets finishes the
 * renames of a list whose process died after writing it, before its temporary files are cleared.
 */
export function writeFilesAtomic(dir: string, files: { name: string; data: string | Uint8Array }[]): void {
  if (files.length <= 1) { for (const f of files) writeFileAtomic(join(dir, f.name), f.data); return; }
  mkdirSync(dir, { recursive: true });
  for (const f of files) writeSynced(join(dir, f.name + TMP_SUFFIX), f.data);
  writeFileAtomic(join(dir, COMMIT), JSON.stringify(files.map((f) => f.name)));
  for (const f of files) renameSync(join(dir, f.name + TMP_SUFFIX), join(dir, f.name));
  fsyncDir(dir);
  rmSync(join(dir, COMMIT));
  fsyncDir(dir); // (a list left behind would name this process's next set's temporary files)
}

/**
 * Finish the file sets (writeFilesAtomic) in `dir` whose process died between writing the commit list
 * and removing it: rename the temporary files it names that are still there. Lists of live processes
 * other than this one are left alone. Returns the names of the files renamed.
 */
export function settleFileSets(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const done: string[] = [];
  for (const f of readdirSync(dir)) {
    const m = COMMIT_RE.exec(f);
    if (!m || (Number(m[2]) !== process.pid && processAlive(Number(m[2])))) continue;
    let names: unknown;
    try { names = JSON.parse(readFileSync(join(dir, f), 'utf8')); } catch { names = []; }
    for (const name of Array.isArray(names) ? names.filter((x): x is string => typeof x === 'string' && !x.includes('/')) : []) {
      if (existsSync(join(dir, name + m[1]))) { renameSync(join(dir, name + m[1]), join(dir, name)); done.push(name); }
    }
    fsyncDir(dir);
    rmSync(join(dir, f), { force: true });
  }
  return done;
}

/** A run folder that cannot be used as asked (exists without --force, busy in a live process, holds another config, a bad checkpoint): a usage error (defined in util/errors.ts). */
export { RefusedError };

/** Whether a process with this pid exists (EPERM: it exists but is not ours). */
export function processAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/**
 * When process `pid` started, in clock ticks since boot (field 22 of Linux's /proc/<pid>/stat); null
 * where there is no such file (the process is gone, or the system has no /proc).
 */
export function processStart(pid: number): number | null {
  let stat: string;
  try { stat = readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { return null; }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so count from its last ')'.
  const start = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  return Number.isFinite(start) ? start : null;
}

/** The start times of these pids (processStart), for a status file's `starts`; pids without one are left out. */
export function processStarts(pids: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pid of pids) { const t = processStart(pid); if (t !== null) out[String(pid)] = t; }
  return out;
}

/**
 * The first live process working on a run folder by its status.json (`st`, parsed): while it says
 * 'running', its pid, or one of the processes that train its parts side by side (`workers`: they stop
 * soon after the run's process, not at once); null when it does not say 'running' or all are gone.
 * A pid whose process started at another time than `starts` records is another process that the
 * system gave the same pid (after a reboot, or pids wrapping around): it does not count.
 * `except`: a pid not to count (this process).
 */
export function liveRunProcess(st: { state?: unknown; pid?: unknown; workers?: unknown; starts?: unknown }, except?: number): number | null {
  if (st.state !== 'running' || typeof st.pid !== 'number') return null;
  const starts = st.starts !== null && typeof st.starts === 'object' ? st.starts as Record<string, unknown> : {};
  const same = (q: number) => {
    const want = starts[String(q)];
    if (typeof want !== 'number') return true;
    const now = processStart(q);
    return now === null || now === want;
  };
  const live = [st.pid, ...(Array.isArray(st.workers) ? st.workers : [])]
    .find((q): q is number => typeof q === 'number' && q !== except && processAlive(q) && same(q));
  return live ?? null;
}

/**
 * Remove the temporary files that atomic writes killed between open and rename left in `dir` (a WRN
 * checkpoint's is ~200 MB): those of other processes that no longer run. A file of a live process
 * (another `lrlab` working on the same folder) is left alone. Returns the names removed.
 */
export function removeTornWrites(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const torn = readdirSync(dir).filter((f) => {
    const m = TMP_RE.exec(f);
    return m !== null && !f.endsWith(TMP_SUFFIX) && (Number(m[1]) === process.pid || !processAlive(Number(m[1])));
  });
  for (const f of torn) rmSync(join(dir, f), { force: true });
  return torn;
}

/**
 * Make a run folder ready to (re)start writing: its parts/ and checkpoints/ subfolders, the checkpoint
 * sets a kill interrupted after their commit list finished, no temporary files left by a kill
 * mid-write, and its config.json (written once, on the first start).
 */
export function prepareRunFolder(dir: string, cfg: unknown, runtime?: Record<string, unknown>): void {
  for (const sub of ['parts', 'checkpoints']) mkdirSync(join(dir, sub), { recursive: true });
  settleFileSets(join(dir, 'checkpoints')); // (before its temporary files go)
  for (const d of [dir, join(dir, 'parts'), join(dir, 'checkpoints')]) removeTornWrites(d);
  const cfgPath = join(dir, 'config.json');
  if (!existsSync(cfgPath)) writeJsonAtomic(cfgPath, cfg);
  if (runtime) recordRuntime(dir, runtime);
}

/**
 * runtime.json: the engine settings (BLAS kernels, threads: engine/runtime.ts RuntimeRecord) of every
 * session that worked on the run, oldest first: `{ sessions: [{ started, ...record }] }`.
 */
export function recordRuntime(dir: string, runtime: Record<string, unknown>): void {
  const sessions = readRuntimeSessions(dir);
  sessions.push({ started: new Date().toISOString(), ...runtime });
  writeJsonAtomic(join(dir, 'runtime.json'), { sessions });
}

/** The sessions of a run's runtime.json ([] when it has none: a run folder of an older lrlab). */
export function readRuntimeSessions(dir: string): Record<string, unknown>[] {
  try {
    const r = JSON.parse(readFileSync(join(dir, 'runtime.json'), 'utf8')) as { sessions?: unknown };
    return Array.isArray(r.sessions) ? r.sessions.filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object') : [];
  } catch { return []; }
}

/**
 * Write a run's (or sweep's) status.json: its state, this process's pid, the time, and when this
 * process and any `workers` in `extra` started (`starts`, to tell their pids from reused ones); runs/format.ts's schema.
 */
export function writeRunStatus(dir: string, state: RunState, extra: Record<string, unknown> = {}): void {
  const workers = Array.isArray(extra.workers) ? extra.workers.filter((q): q is number => typeof q === 'number') : [];
  const status: RunStatusFile = { state, pid: process.pid, updated: new Date().toISOString(), starts: processStarts([process.pid, ...workers]), ...extra };
  writeJsonAtomic(join(dir, 'status.json'), runStatusSchema.parse(status));
}

/**
 * Refuse a folder that another live process is working on: its status.json says 'running' with the
 * pid of a process that still exists, or names processes training its parts side by side that still
 * exist. (A run killed without a chance to say so leaves 'running' with dead pids, which is fine to continue.)
 */
export function refuseIfRunningElsewhere(dir: string): void {
  const p = join(dir, 'status.json');
  if (!existsSync(p)) return;
  let st: { state?: unknown; pid?: unknown; workers?: unknown; updated?: unknown };
  try { st = JSON.parse(readFileSync(p, 'utf8')) as typeof st; } catch { return; }
  if (st.pid === process.pid) return;
  const live = liveRunProcess(st, process.pid);
  if (live === null) return;
  throw new RefusedError(`${dir} is being run by process ${live} (status.json: running, updated ${String(st.updated)}); `
    + `stop it first (kill -INT ${live} checkpoints it), or if process ${live} is not lrlab, delete ${p}`);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

export function readJson<T>(path: string): T {
  if (!existsSync(path)) throw new Error(`${path} does not exist`);
  try { return JSON.parse(readFileSync(path, 'utf8')) as T; } catch (e) {
    throw new Error(`${path} is not valid JSON (${(e as Error).message})`);
  }
}

/** Appends one JSON object per line; each line is written with a single write call. */
export class JsonlWriter {
  private fd: number;
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
  }
  write(row: object): void { writeSync(this.fd, JSON.stringify(row) + '\n'); }
  sync(): void { fsyncSync(this.fd); }
  close(): void { if (this.fd >= 0) { closeSync(this.fd); this.fd = -1; } }
}

export interface JsonlRead<T> { rows: T[]; bad: { line: number; text: string }[] }

/** Read a JSONL file, skipping (and reporting) lines that do not parse, such as a torn last line. */
export function readJsonl<T = Record<string, unknown>>(path: string): JsonlRead<T> {
  const rows: T[] = [];
  const bad: { line: number; text: string }[] = [];
  if (!existsSync(path)) return { rows, bad };
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.forEach((text, i) => {
    if (text.trim() === '') return;
    try { rows.push(JSON.parse(text) as T); } catch { bad.push({ line: i + 1, text: text.slice(0, 80) }); }
  });
  return { rows, bad };
}

/** Whether `dir` exists and is not empty, i.e. createRunDir would need `force` to use it. */
export function runDirTaken(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).length > 0;
}

/**
 * Create (or, with force, recreate) a run folder. An existing non-empty folder is never overwritten
 * without force, nor with it while a live process runs it (status.json).
 */
export function createRunDir(dir: string, force = false, make = true): string {
  const abs = resolve(dir);
  if (runDirTaken(abs)) {
    if (!force) throw new RefusedError(`run folder ${abs} already exists; pass --force to overwrite it, or --out to choose another`);
    refuseIfRunningElsewhere(abs); // (--force never deletes a folder a live process is writing)
    rmSync(abs, { recursive: true, force: true });
  }
  // (make = false: the run makes it once its inputs are known good, so a failed data load leaves no empty folder)
  if (make) mkdirSync(abs, { recursive: true });
  return abs;
}

/** A default run folder name: runs/<kind>-<preset>-<YYYYMMDD-HHMMSS>. */
export function defaultRunDir(kind: string, preset: string, root = 'runs'): string {
  const ts = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  let dir = join(root, `${kind}-${preset}-${ts}`);
  for (let k = 2; existsSync(dir); k++) dir = join(root, `${kind}-${preset}-${ts}-${k}`);
  return dir;
}

/** The header every checkpoint carries. */
export interface CheckpointHeader { codeVersion: string; config: unknown; metricsBytes: number }

/**
 * Read a checkpoint and refuse it, with a message saying what to do, when it is corrupt, incomplete,
 * from another code version or of another config. `complete` checks the kind-specific fields.
 */
export function loadCheckpointFile<C extends CheckpointHeader>(path: string, config: unknown, codeVersion: string, complete: (ck: C) => boolean): C {
  let ck: C;
  try { ck = readJson<C>(path); } catch (e) {
    throw new RefusedError(`checkpoint ${path} is corrupt or truncated (${(e as Error).message}); remove it to restart that part from scratch`);
  }
  if (!ck || typeof ck !== 'object' || typeof ck.metricsBytes !== 'number' || !complete(ck)) {
    throw new RefusedError(`checkpoint ${path} is incomplete; remove it to restart that part from scratch`);
  }
  if (ck.codeVersion !== codeVersion) {
    throw new RefusedError(`checkpoint ${path} was written by lrlab ${ck.codeVersion}, this is ${codeVersion}; resume with that version or start a new run`);
  }
  if (!isDeepStrictEqual(ck.config, config)) {
    throw new RefusedError(`checkpoint ${path} belongs to a different config than ${join(path, '..', '..', 'config.json')}; refusing to resume`);
  }
  return ck;
}
