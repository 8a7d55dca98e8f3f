// `lrlab info`: the engine's build and runtime configuration.
import { readFileSync } from 'node:fs';
import type { Command } from './command.js';

/** Shared libraries mapped into this process whose names mention BLAS (Linux only). */
export function loadedBlas(): string[] {
  try {
    const maps = readFileSync('/proc/self/maps', 'utf8');
    return [...new Set(maps.split('\n').map((l) => l.split(/\s+/)[5] ?? '').filter((p) => /blas/i.test(p)))];
  } catch { return []; }
}

export const infoCommand: Command = {
  name: 'info',
  summary: 'show the engine configuration (threads, BLAS, CUDA)',
  usage: 'lrlab info',
  async run() {
    const e = await import('../engine/index.js');
    const cfg = e.buildConfig();
    const blas = /BLAS_INFO=(\w+)/.exec(cfg)?.[1] ?? 'unknown';
    console.log(`threads: ${e.getNumThreads()} (set LRLAB_NUM_THREADS to change)`);
    console.log(`cuda: ${e.cudaAvailable() ? 'available' : 'not available'}`);
    console.log(`libtorch BLAS: ${blas}; loaded BLAS libraries: ${loadedBlas().join(', ') || 'none found'}`);
    console.log(cfg.trim());
    return 0;
  },
};
