// Loads the lrlab native addon (native/src/addon.cc, built by `npm run build:native`) and checks it
// against its typed surface in binding.ts. When this module is imported it chooses the OpenBLAS
// kernels (kernels.ts: OpenBLAS reads OPENBLAS_CORETYPE when it is loaded) and the threads of
// OpenBLAS's own pool (OPENBLAS_NUM_THREADS = LRLAB_NUM_THREADS when that is set) and OpenMP's wait
// policy, in the environment, which child processes inherit. The addon itself (and with it libtorch,
// ~1 s) is loaded on first use: the first member of `native` read, or loadNative(); then the kernels
// are checked on a few products (in a process started by lrlab, its parent did). So a command that
// does no tensor op (--help, --dry-run, report) does not load libtorch.
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

/** The intra-op threads (and OpenBLAS's, where lrlab sets them) the addon starts with: LRLAB_NUM_THREADS, else all cores. */
export const startThreads = fixed ?? availableParallelism();
/** Whether the user set OpenBLAS's threads themselves (theirs win), not lrlab from LRLAB_NUM_THREADS. */
const userBlasThreads = (process.env.OPENBLAS_NUM_THREADS !== undefined && !envSetByLrlab.includes('OPENBLAS_NUM_THREADS')) || process.env.OMP_NUM_THREADS !== undefined;

/** The loaded addon, and whether lrlab sets OpenBLAS's pool (OpenBLAS loaded, the user's setting absent). */
export interface LoadedNative { binding: NativeBinding; blasFollows: boolean }

let loaded: LoadedNative | null = null;
let failed: { error: unknown } | null = null;

/**
 * Load the addon now, once per process (later calls return it; a failed load throws the same error
 * again): check its functions, check the chosen kernels on a few products (unless inherited from an
 * lrlab parent), and set the intra-op threads and, unless the user set them, OpenBLAS's to
 * startThreads. Any use of `native` does this; call it to load at a chosen moment: before starting
 * lrlab child processes (they inherit the checked kernels) or before a command touches a run folder
 * (a failed check refuses the start, not the run midway).
 */
export function loadNative(): LoadedNative {
  if (loaded) return loaded;
  if (failed) throw failed.error;
  try {
    const binding = checkBinding(createRequire(import.meta.url)(file), file);
    if (!inherited) verifyKernels(kernels, binding, file);
    binding.setNumThreads(startThreads);
    loaded = { binding, blasFollows: !userBlasThreads && binding.setBlasThreads(startThreads) };
  } catch (e) {
    failed = { error: e };
    throw e;
  }
  native = loaded.binding; // (a live binding: every importer calls the addon directly from now on)
  return loaded;
}

/**
 * The addon. Until it is loaded this is a stand-in whose first member read loads it (loadNative)
 * and then the addon itself: `native.matmul(a, b)` works from the start and, once loaded, costs no
 * more than a call on the addon.
 */
export let native: NativeBinding = new Proxy({} as NativeBinding, {
  get: (_t, key) => Reflect.get(loadNative().binding, key),
  has: (_t, key) => Reflect.has(loadNative().binding, key),
  ownKeys: () => Reflect.ownKeys(loadNative().binding),
  getOwnPropertyDescriptor: (_t, key) => {
    const d = Reflect.getOwnPropertyDescriptor(loadNative().binding, key);
    return d && { ...d, configurable: true }; // (the stand-in's own target has none of them)
  },
});
