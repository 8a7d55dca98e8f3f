// `lrlab info`: the engine's build and runtime configuration.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type Command, UsageError } from './command.js';

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
  usage: `usage: lrlab info

Prints the engine's configuration: the number of intra-op threads (LRLAB_NUM_THREADS), whether CUDA is
available, the BLAS libtorch was built with and the BLAS libraries loaded, and libtorch's build
configuration. Takes no options.`,
  async run(argv) {
    const { positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: {} }); // (an unknown option: exit 2, main.ts)
    if (positionals.length > 0) throw new UsageError(`takes no arguments, got '${positionals.join(' ')}'`);
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
