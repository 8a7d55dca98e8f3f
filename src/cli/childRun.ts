// A worker process of lrlab (a local sweep's, or a run's side by side): `lrlab ARGS` with one
// intra-op thread, in a process group of its own, told its parent's pid (it stops once that is gone).
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { SWEEP_PARENT_ENV } from './progress.js';
import { lrlabEnvironment } from '../engine/index.js';

const cliPath = fileURLToPath(new URL('../../bin/lrlab.js', import.meta.url));

/**
 * Run one worker process. Workers get a process group of their own (detached), so a Ctrl-C at the
 * terminal reaches only the parent (the sweep or run), which passes exactly one signal on to each worker (a second one
 * would make it quit without its checkpoint). `onLine`: each line of its stdout.
 */
export function runJob(args: string[], children: Set<ChildProcess>, onLine?: (line: string) => void): Promise<{ code: number; stderr: string }> {
  // (the children inherit this process's kernel choice unchecked where it has loaded libtorch, as a
  // sweep does before its folder is made; a run side by side does not, and each worker checks its own)
  return new Promise((res) => {
    const env: NodeJS.ProcessEnv = { ...process.env, LRLAB_NUM_THREADS: '1', [SWEEP_PARENT_ENV]: String(process.pid) };
    // OpenBLAS's threads as lrlab set them from this process's LRLAB_NUM_THREADS: the child sets its own (1)
    if (lrlabEnvironment().includes('OPENBLAS_NUM_THREADS')) delete env.OPENBLAS_NUM_THREADS;
    const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', onLine ? 'pipe' : 'ignore', 'pipe'], detached: true, env });
    children.add(child);
    let stderr = '', out = '';
    child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    child.stdout?.on('data', (d: Buffer) => {
      const lines = (out + d.toString()).split('\n');
      out = lines.pop()!;
      for (const l of lines) onLine!(l);
    });
    child.on('close', (code, signal) => { children.delete(child); res({ code: code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1), stderr }); });
  });
}

/**
 * A worker's side of the progress lines its parent reads (`--progress`): {"progress": F, "info": "..."}
 * on stdout, at most every 250 ms. Returns the reporter (a no-op when `enabled` is false); a parent
 * that died closes the pipe, which is then ignored (the worker checkpoints at its parent check).
 */
export function progressLines(enabled: boolean): (fraction: number, info: string) => void {
  if (!enabled) return () => {};
  process.stdout.on('error', () => {});
  let last = 0;
  return (fraction, info) => {
    if (Date.now() - last < 250) return;
    last = Date.now();
    process.stdout.write(`${JSON.stringify({ progress: fraction, info })}\n`);
  };
}

/** The parent's side: a worker's stdout line as {fraction, info}, or null when it is not a progress line. */
export function parseProgressLine(line: string): { fraction: number; info: string } | null {
  try {
    const p = JSON.parse(line) as { progress?: unknown; info?: unknown };
    return typeof p.progress === 'number' ? { fraction: p.progress, info: String(p.info ?? '') } : null;
  } catch { return null; }
}
