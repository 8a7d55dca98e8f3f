// Loads the lrlab native addon (native/src/addon.cc, built by `npm run build:native`) and checks it
// against its typed surface in binding.ts.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkBinding, type NativeBinding } from './binding.js';

export type { NativeBinding, NativeHandle, NativeGenerator } from './binding.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function load(): NativeBinding {
  const candidates = [join(root, 'build', 'Release', 'lrlab.node'), join(root, 'build', 'Debug', 'lrlab.node')];
  const file = candidates.find((f) => existsSync(f));
  if (!file) {
    throw new Error('lrlab: the native addon is not built. Run `npm run build:native` (it needs libtorch: ' +
      '`sudo apt-get install libtorch-dev libopenblas0-pthread`, or LIBTORCH=/path/to/libtorch).');
  }
  const require = createRequire(import.meta.url);
  return checkBinding(require(file), file);
}

export const native: NativeBinding = load();

const envThreads = Number(process.env.LRLAB_NUM_THREADS);
native.setNumThreads(Number.isInteger(envThreads) && envThreads > 0 ? envThreads : availableParallelism());
