// `lrlab info`: the engine's build and runtime configuration.
import { parseArgs } from 'node:util';
import { type Command, UsageError } from './command.js';
import { commandOf, infoHead } from './help.js';

export const infoCommand: Command = commandOf(infoHead, {
  async run(argv) {
    const { positionals, values } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: { build: { type: 'boolean' } } }); // (an unknown option: exit 2, main.ts)
    if (positionals.length > 0) throw new UsageError(`takes no arguments, got '${positionals.join(' ')}'`);
    const e = await import('../engine/index.js');
    const cfg = e.buildConfig();
    const blas = /BLAS_INFO=(\w+)/.exec(cfg)?.[1] ?? 'unknown';
    const r = e.runtimeRecord();
    const t = e.threadChoice();
    console.log(`kernels: ${r.kernelsWhy}`);
    console.log(`threads: ${t.threads} (${t.why}; runs choose by kind unless LRLAB_NUM_THREADS is set); OpenBLAS threads: ${r.openblasThreads} (a run's follow its threads unless OPENBLAS_NUM_THREADS is set); OpenMP wait policy: ${r.ompWaitPolicy}`);
    console.log(`ATen CPU capability: ${r.cpuCapability}`);
    console.log(`cuda: ${e.cudaAvailable() ? 'available' : 'not available'}`);
    // (Debian's libtorch is built against the generic BLAS interface, libblas.so.3, which the system's
    // alternatives point at a BLAS: the loaded library is the one that runs)
    console.log(`BLAS: ${r.blas.join(', ') || 'none found'} (libtorch was built against ${blas === 'generic' ? 'the generic BLAS interface, libblas.so.3: these are what it points to' : blas})`);
    if (values.build) console.log(cfg.trim());
    else console.log('libtorch build settings: lrlab info --build');
    return 0;
  },
});
