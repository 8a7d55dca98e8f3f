// Test helper: run the lrlab CLI as a child process (single-threaded engine) and collect its output.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from './main.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'lrlab.js');

export interface Result { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Start `lrlab args`; `onStart` gets the child, e.g. to kill it. */
export function lrlab(args: string[], onStart?: (child: ReturnType<typeof spawn>) => void): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, LRLAB_NUM_THREADS: '1' } });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    onStart?.(child);
  });
}

/** Lines (rows) in a JSONL file so far; 0 when it does not exist yet. */
function rowsSoFar(path: string): number {
  if (!existsSync(path)) return 0;
  const text = readFileSync(path, 'utf8');
  return text.length === 0 ? 0 : text.split('\n').length - 1;
}

/**
 * `lrlab args`, sent `signal` (default SIGKILL) once its `metrics.jsonl` (in `runDir`) holds `atRow`
 * rows. The kill point is counted in rows, not milliseconds, so that it lands inside the run however
 * fast the machine is; with `jitter` it lands a random fraction of the (measured) time between two rows
 * later, so anywhere within a row's interval (mid-epoch, mid-checkpoint). `before` runs just before
 * the signal is sent. `reached`: the run got that far.
 */
export async function lrlabKilledAtRow(args: string[], runDir: string, atRow: number,
  opts: { signal?: NodeJS.Signals; jitter?: boolean; before?: () => void } = {}): Promise<Result & { reached: boolean; delayMs: number }> {
  let reached = false, delayMs = 0;
  let first: { rows: number; at: number } | null = null;
  const r = await lrlab(args, (child) => {
    const poll = setInterval(() => {
      const rows = rowsSoFar(join(runDir, 'metrics.jsonl'));
      if (rows > 0 && first === null) first = { rows, at: Date.now() };
      if (rows < atRow) return;
      clearInterval(poll);
      reached = true;
      const perRow = first && rows > first.rows ? (Date.now() - first.at) / (rows - first.rows) : 0;
      delayMs = opts.jitter ? Math.floor(Math.random() * perRow) : 0;
      setTimeout(() => { opts.before?.(); child.kill(opts.signal ?? 'SIGKILL'); }, delayMs);
    }, 2);
    child.on('close', () => clearInterval(poll));
  });
  return { ...r, reached, delayMs };
}

/** Files under `dir` (recursively) left by an interrupted atomic write (`<name>.tmp-<pid>-<random>`). */
export function tornWritesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.tmp-\d+/.test(f));
}

/** A random integer in [lo, hi]. */
export const randomInt = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));

/** A temporary folder, on a RAM disk where there is one (run folders fsync every file they write). */
export function tempDir(t: { after: (fn: () => void) => void }, prefix = 'lrlab-cli-'): string {
  const d = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), prefix));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A tiny synthetic config (d = 12, N = 50, m = 12) as a --config patch file; returns its path. */
export function tinyConfig(dir: string, train: Record<string, unknown> = {}): string {
  const patch = {
    seed: 3, seeds: 1,
    data: { d: 12, n: 50, qSupport: 12, gamma: 1, qScale: 10, aMin: 0.5, testSizes: { pOnly: 30, qOnly: 20, both: 25 } },
    model: { arch: 'block', m: 12 },
    train: {
      update: 'noisy-gd', lambda: 1e-3, tauXi: 0.02, tau0: 0.5, eta1: 4, eta2: 1, eps1: 0.1, eps2: 0.01, eps2S: 0.01,
      stopAtLoss: false, maxSteps: 200, annealAtStep: null, noiseStd: 0.3, noiseAnnealAtStep: 100, noiseAnnealAtLoss: null,
      lossCheckEvery: 5, evalEvery: 50, checkpointEvery: 0, ...train,
    },
  };
  const path = join(dir, `tiny-${Object.keys(train).join('-') || 'base'}.json`);
  writeFileSync(path, JSON.stringify(patch));
  return path;
}

/** `lrlab argv` in this process (`main`; child processes it starts are still their own), its console output caught. */
export async function inProcess(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const log = console.log, error = console.error;
  console.log = (...a: unknown[]) => { out.push(a.join(' ')); };
  console.error = (...a: unknown[]) => { err.push(a.join(' ')); };
  try { return { code: await main(argv), out: out.join('\n'), err: err.join('\n') }; } finally { console.log = log; console.error = error; }
}
