// Runtime settings of the engine: threads, kernels, devices, build information.
import { availableParallelism } from 'node:os';
import { envSetByLrlab, envThreads, kernels, loadNative, native } from './native.js';
import { describeKernels, type KernelChoice } from './kernels.js';
import { loadedBlas } from './kernelCheck.mjs';
import type { Device } from './dtype.js';

/**
 * What a run's ops are like, for the choice of intra-op threads: 'small-ops' (tensors of a few
 * thousand elements, microseconds per op: threads only wait for each other, so 1), 'large-ops'
 * (large matmuls and convolutions: all cores).
 */
export type OpSize = 'small-ops' | 'large-ops';

/** An intra-op thread count and why. */
export interface ThreadChoice { threads: number; why: string }

let current: ThreadChoice = envThreads() !== null
  ? { threads: envThreads()!, why: 'LRLAB_NUM_THREADS' }
  : { threads: availableParallelism(), why: 'default: all cores' };

/**
 * Load the native addon (libtorch) now; otherwise it loads on the first tensor op (native.ts). A
 * command that trains, or starts lrlab processes that train, calls this before it touches a run
 * folder or starts a child: a failed load or kernel check then refuses the command at its start, and
 * the children inherit the checked kernel choice.
 */
export function loadEngine(): void { loadNative(); }

/** The thread count for a run whose ops are `ops` (LRLAB_NUM_THREADS wins; none given: all cores). */
export function threadsFor(ops: OpSize | undefined, env: NodeJS.ProcessEnv = process.env): ThreadChoice {
  const fixed = envThreads(env);
  if (fixed !== null) return { threads: fixed, why: 'LRLAB_NUM_THREADS' };
  if (ops === 'small-ops') return { threads: 1, why: 'small ops: one thread (threads only wait for each other)' };
  return { threads: availableParallelism(), why: ops === 'large-ops' ? 'large ops: all cores' : 'default: all cores' };
}

/**
 * Whether lrlab sets OpenBLAS's pool (OpenBLAS loaded, the user's setting absent): then it follows the
 * intra-op threads. Decided, and the pool set to startThreads, when the addon loads (native.ts).
 */
const blasFollows = (): boolean => loadNative().blasFollows;

/** OpenBLAS's thread count as the environment sets it (where lrlab does not set it). */
const envBlasThreads = () => process.env.OPENBLAS_NUM_THREADS ?? process.env.OMP_NUM_THREADS ?? 'all cores';

/** The OpenBLAS thread count a run at `threads` intra-op threads will record (runtimeRecord's openblasThreads). */
export function blasThreadsAt(threads: number): string { return blasFollows() ? String(threads) : envBlasThreads(); }

/**
 * Set the threads for a run whose ops are `ops` (see threadsFor): libtorch's intra-op threads and,
 * unless the user set OPENBLAS_NUM_THREADS, OpenBLAS's own pool to the same count, so that a run's
 * products round the same whichever way it was started (a run alone, a sweep's single-threaded
 * worker). Returns the choice.
 */
export function useThreadsFor(ops: OpSize | undefined): ThreadChoice {
  const choice = threadsFor(ops);
  setThreads(choice.threads);
  current = choice;
  return current;
}

/** libtorch's intra-op threads and (where lrlab sets it: blasFollows) OpenBLAS's own pool, to n. */
function setThreads(n: number): void {
  native.setNumThreads(n);
  if (blasFollows()) native.setBlasThreads(n);
}

/**
 * Number of threads lrlab's ops use (default: all cores, or $LRLAB_NUM_THREADS): libtorch's intra-op
 * threads and, unless the user set OPENBLAS_NUM_THREADS, OpenBLAS's own pool, which runs the float
 * products apart from ATen's threads (setNumThreads(1) is one thread, products included).
 */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setNumThreads: expected a positive integer, got ${n}`);
  setThreads(n);
  current = { threads: n, why: 'set by the program' };
}
export function getNumThreads(): number { return native.getNumThreads(); }
/** The intra-op thread count in use and why. */
export function threadChoice(): ThreadChoice { return { threads: getNumThreads(), why: current.why }; }
/** The OpenBLAS kernels in use and why (chosen before OpenBLAS was loaded: src/engine/kernels.ts). */
export function kernelChoice(): KernelChoice { return { ...kernels }; }
/** The environment variables lrlab set before loading OpenBLAS and OpenMP (OPENBLAS_CORETYPE, OMP_WAIT_POLICY, ...). */
export function lrlabEnvironment(): string[] { return [...envSetByLrlab]; }
export function cudaAvailable(): boolean { return native.cudaAvailable(); }
/** Check that a device can be used, with a clear message if not. */
export function checkDevice(d: string): Device {
  if (d === 'cpu') return 'cpu';
  if (/^cuda(:\d+)?$/.test(d)) {
    if (!cudaAvailable()) {
      throw new Error(`device '${d}' requested but the linked libtorch has no CUDA (or no GPU is visible). ` +
        'Point LIBTORCH at a CUDA build of libtorch and run `npm run build:native`.');
    }
    return d as Device;
  }
  throw new Error(`unknown device '${d}' (expected 'cpu', 'cuda' or 'cuda:N')`);
}
/** libtorch's build configuration (BLAS, OpenMP, CUDA). */
export function buildConfig(): string { return native.config(); }
export function parallelInfo(): string { return native.parallelInfo(); }
/** BLAS libraries mapped into this process (Linux; [] elsewhere). */
export { loadedBlas };

/**
 * What decides a run's floating-point rounding on this machine besides its config: the OpenBLAS
 * kernels, the intra-op threads, OpenBLAS's own thread count, ATen's vector instruction set and the
 * BLAS libraries. Recorded in every run folder; a resume with other values is not bit-identical.
 */
export type RuntimeRecord = {
  kernels: string | null; kernelsWhy: string; threads: number; openblasThreads: string;
  cpuCapability: string; blas: string[]; ompWaitPolicy: string;
};

export function runtimeRecord(): RuntimeRecord {
  const k = kernels;
  const blas = native.getBlasThreads(); // (OpenBLAS's own count, as it says; -1: another BLAS)
  return {
    kernels: k.coretype ?? k.core, kernelsWhy: describeKernels(k), threads: getNumThreads(),
    openblasThreads: blas > 0 ? String(blas) : envBlasThreads(),
    cpuCapability: /CPU capability usage: (\S+)/.exec(native.config())?.[1] ?? 'unknown',
    blas: loadedBlas(), ompWaitPolicy: process.env.OMP_WAIT_POLICY ?? (process.env.GOMP_SPINCOUNT ? `GOMP_SPINCOUNT=${process.env.GOMP_SPINCOUNT}` : 'default'),
  };
}

/** The fields of two records that differ (those that change rounding), as "kernels Zen -> Prescott". */
export function runtimeDifferences(before: Partial<RuntimeRecord>, now: RuntimeRecord): string[] {
  const keys: (keyof RuntimeRecord)[] = ['kernels', 'threads', 'openblasThreads', 'cpuCapability'];
  return keys.filter((k) => before[k] !== undefined && JSON.stringify(before[k]) !== JSON.stringify(now[k]))
    .map((k) => `${k} ${String(before[k])} -> ${String(now[k])}`);
}
