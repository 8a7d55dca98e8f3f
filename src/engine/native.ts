// Loads the lrlab native addon (native/src/addon.cc, built by `npm run build:native`) and checks it
// against its typed surface in binding.ts. Before loading it, chooses the OpenBLAS kernels
// (kernels.ts: OpenBLAS reads OPENBLAS_CORETYPE when it is loaded) and the threads of OpenBLAS's own
// pool (OPENBLAS_NUM_THREADS = LRLAB_NUM_THREADS when that is set) and OpenMP's wait policy; after,
// checks the kernels on a few products (in a process started by lrlab, its parent did).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkBinding, type NativeBinding } from './binding.js';
import { KERNELS_ENV, selectKernels, verifyKernels, type KernelChoice } from './kernels.js';

export type { NativeBinding, NativeHandle, NativeGenerator } from './binding.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function addonFile(): string {
  const candidates = [join(root, 'build', 'Release', 'lrlab.node'), join(root, 'build', 'Debug', 'lrlab.node')];
  const file = candidates.find((f) => existsSync(f));
  if (!file) {
    throw new Error('lrlab: the native addon is not built. Run `npm run build:native` (it needs libtorch: ' +
      '`sudo apt-get install libtorch-dev libopenblas0-pthread`, or LIBTORCH=/path/to/libtorch).');
  }
  return file;
}

/** $LRLAB_NUM_THREADS when it is a positive integer, else null. */
export function envThreads(env: NodeJS.ProcessEnv = process.env): number | null {
  const n = Number(env.LRLAB_NUM_THREADS);
  return env.LRLAB_NUM_THREADS !== undefined && Number.isInteger(n) && n > 0 ? n : null;
}

const file = addonFile();
const before = { ...process.env };
// a choice handed down by an lrlab parent process was checked there, on the same libraries
const inherited = process.env[KERNELS_ENV] !== undefined;
/** The OpenBLAS kernels this process runs on, and why (kernels.ts). */
export const kernels: KernelChoice = selectKernels(file);
const fixed = envThreads();
if (fixed !== null && process.env.OPENBLAS_NUM_THREADS === undefined) process.env.OPENBLAS_NUM_THREADS = String(fixed);
// Idle OpenMP threads sleep instead of spinning: on a machine busy with other work, spinning threads
// took the cores the working ones needed (2 threads: W2 2x and the patch-fmnist MLP step 12x slower
// than with sleeping ones, docs/RESULTS.md). libgomp reads this when it is loaded; the user's wins.
if (process.env.OMP_WAIT_POLICY === undefined && process.env.GOMP_SPINCOUNT === undefined) process.env.OMP_WAIT_POLICY = 'PASSIVE';

/** The environment variables lrlab set for this process (and its children) before loading the addon. */
export const envSetByLrlab: string[] = Object.keys(process.env).filter((k) => process.env[k] !== before[k]);

export const native: NativeBinding = checkBinding(createRequire(import.meta.url)(file), file);
if (!inherited) verifyKernels(kernels, native, file);
native.setNumThreads(fixed ?? availableParallelism());
