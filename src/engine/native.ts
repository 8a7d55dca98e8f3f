// Loads the lrlab native addon (native/src/addon.cc, built by `npm run build:native`).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type NativeHandle = { readonly __native: unique symbol };
// The addon's functions are called only from src/engine, which gives them their types.
export type NativeAddon = any;
export interface NativeGenerator {
  getState(): Buffer;
  setState(state: Uint8Array): void;
  initialSeed(): number;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function load(): NativeAddon {
  const candidates = [join(root, 'build', 'Release', 'lrlab.node'), join(root, 'build', 'Debug', 'lrlab.node')];
  const file = candidates.find((f) => existsSync(f));
  if (!file) {
    throw new Error('lrlab: the native addon is not built. Run `npm run build:native` (it needs libtorch: ' +
      '`sudo apt-get install libtorch-dev libopenblas0-pthread`, or LIBTORCH=/path/to/libtorch).');
  }
  const require = createRequire(import.meta.url);
  return require(file) as NativeAddon;
}

export const native: NativeAddon = load();

const envThreads = Number(process.env.LRLAB_NUM_THREADS);
native.setNumThreads(Number.isInteger(envThreads) && envThreads > 0 ? envThreads : availableParallelism());
