// Test helper: run the lrlab CLI as a child process (single-threaded engine) and collect its output.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
 * later, so anywhere within a row's interval (mid-epoch, mid-checkpoint). `reached`: the run got that far.
 */
export async function lrlabKilledAtRow(args: string[], runDir: string, atRow: number,
  opts: { signal?: NodeJS.Signals; jitter?: boolean } = {}): Promise<Result & { reached: boolean; delayMs: number }> {
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
      setTimeout(() => child.kill(opts.signal ?? 'SIGKILL'), delayMs);
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
