// `npm run bench [-- --json] [-- --only W1,W2] [-- --rounds N]`: ms/step of lrlab's reference
// workloads and, in the same run, of the same workloads in PyTorch (when python3 can import torch),
// timed twice: with the OpenBLAS kernels lrlab runs on (the fair engine comparison) and as PyTorch
// comes (OpenBLAS's own kernel choice). The machine's float32 matmul peak is measured first (a
// 2048^2 product, best of a few) at each thread count the workloads use, and every matmul-bound
// workload shows its GFLOP/s and its fraction of the peak at its own thread count. Each workload runs with the threads lrlab chooses for its kind of ops, in both engines.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Generator, KERNELS_ENV, lrlabEnvironment, randn, runtimeRecord, setNumThreads, threadsFor, tidy } from '../src/engine/index.js';
import { torchPython } from '../src/util/torchPython.js';
import { IMG, IMG_EPOCH, SYN_GD, SYN_SGD, W1, W2, type Workload } from './workloads.js';
import { SYN_SWEEP, SYN_SWEEP_GD, benchSynSweep } from './synSweep.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface BenchCase { workload: Workload; steps: number; warmup: number }

export const CASES: BenchCase[] = [
  { workload: W1, steps: 20, warmup: 3 },
  { workload: W2, steps: 20, warmup: 3 },
  { workload: SYN_SGD, steps: 3000, warmup: 300 },
  { workload: SYN_GD, steps: 1000, warmup: 100 },
  { workload: IMG, steps: 40, warmup: 5 },
  { workload: IMG_EPOCH, steps: 4, warmup: 1 },
];

/** The size of the peak measurement: a float32 n x n product, best of PEAK_REPS. */
export const PEAK_N = 2048;
const PEAK_REPS = 5;

/** The float32 matmul rate of this process (GFLOP/s): best of a few 2048^2 products. */
export function measurePeak(threads: number): number {
  setNumThreads(threads);
  const g = new Generator(0);
  return tidy(() => {
    const a = randn([PEAK_N, PEAK_N], g);
    const b = randn([PEAK_N, PEAK_N], g);
    a.matmul(b).dispose();
    let best = Infinity;
    for (let i = 0; i < PEAK_REPS; i++) {
      const t0 = performance.now();
      const c = a.matmul(b);
      c.sum().item(); // (the product is done)
      best = Math.min(best, performance.now() - t0);
      c.dispose();
    }
    return (2 * PEAK_N ** 3) / (best * 1e6);
  });
}

function timeLrlab(c: BenchCase): number {
  setNumThreads(threadsFor(c.workload.ops).threads);
  const step = c.workload.setup();
  for (let i = 0; i < c.warmup; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < c.steps; i++) step();
  return (performance.now() - t0) / c.steps;
}

function torchAvailable(): boolean { return torchPython() !== null; }

/**
 * The environment of a PyTorch run at `threads` threads: 'same' gets lrlab's settings
 * (OPENBLAS_CORETYPE, OpenMP's wait policy), 'own' none that lrlab set (PyTorch as it comes; the
 * user's own stay). Both get OpenBLAS's pool at `threads` unless the user set OPENBLAS_NUM_THREADS:
 * torch.set_num_threads leaves OpenBLAS's pool at all cores, where lrlab's thread count includes it.
 */
export function torchEnv(kernels: 'same' | 'own', threads: number, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...env };
  const userBlasThreads = env.OPENBLAS_NUM_THREADS !== undefined && !lrlabEnvironment().includes('OPENBLAS_NUM_THREADS');
  if (kernels === 'own') for (const k of lrlabEnvironment()) delete e[k];
  delete e[KERNELS_ENV];
  if (!userBlasThreads) e.OPENBLAS_NUM_THREADS = String(threads);
  return e;
}

/** ms/step of a PyTorch workload (or 'PEAK': GFLOP/s of its 2048^2 product), or null. */
function timeTorch(name: string, steps: number, warmup: number, threads: number, kernels: 'same' | 'own'): number | null {
  if (!torchAvailable()) return null;
  const r = spawnSync(torchPython()!, [join(here, 'torch_ref.py'), name, String(steps), String(warmup), String(threads)], { encoding: 'utf8', env: torchEnv(kernels, threads) });
  if (r.status !== 0) { process.stderr.write(`torch reference for ${name} failed:\n${r.stderr}\n`); return null; }
  const line = r.stdout.trim().split('\n').pop()!;
  return (JSON.parse(line) as { ms: number }).ms;
}

const round = (v: number | null, digits = 2) => (v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits);
const min = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
const fmt = (v: number | null, w: number, d = 2) => (v === null ? '-' : v.toFixed(d)).padStart(w);

export interface BenchRow {
  workload: string; threads: number; lrlab_ms: number; torch_ms: number | null; ratio: number | null;
  torch_own_ms: number | null; ratio_own: number | null; gflops: number | null; peak_fraction: number | null;
}

export function runBench(cases: BenchCase[], rounds: number, json: boolean): BenchRow[] {
  const rt = runtimeRecord();
  const allThreads = threadsFor('large-ops').threads;
  // the peak at each thread count a workload runs with (a one-thread workload against one core's peak)
  const counts = [...new Set([allThreads, ...cases.filter((c) => c.workload.flops !== undefined).map((c) => threadsFor(c.workload.ops).threads)])].sort((a, b) => b - a);
  const peaks = new Map(counts.map((t) => {
    const lr = Math.max(...Array.from({ length: rounds }, () => measurePeak(t)));
    const torchPeak = (k: 'same' | 'own') => timeTorch('PEAK', PEAK_REPS, 1, t, k);
    return [t, { lrlab: lr, torch: torchAvailable() ? torchPeak('same') : null, torchOwn: torchAvailable() ? torchPeak('own') : null }];
  }));
  if (json) {
    for (const [t, p] of peaks) {
      console.log(JSON.stringify({ workload: 'peak', n: PEAK_N, threads: t, gflops: round(p.lrlab, 1), torch_gflops: round(p.torch, 1), torch_own_gflops: round(p.torchOwn, 1), kernels: rt.kernels, kernels_why: rt.kernelsWhy, load: round(loadavg()[0]!) }));
    }
  } else {
    console.log(`lrlab bench: kernels ${rt.kernelsWhy}; ATen ${rt.cpuCapability}; threads: each workload's thr (ATen's and OpenBLAS's pools), in both engines; ${rounds} round(s), best of rounds; load average ${loadavg()[0]!.toFixed(2)}`);
    console.log(`PyTorch ${torchAvailable() ? 'found: timed with lrlab\'s kernels (torch, ratio) and with its own choice (torch-own, ratio-own)' : 'not found (install python3-torch to compare)'}`);
    for (const [t, p] of peaks) {
      console.log(`peak: float32 ${PEAK_N}^2 matmul, ${t} thread(s): lrlab ${p.lrlab.toFixed(1)} GFLOP/s; PyTorch ${fmt(p.torch, 0, 1)} (same kernels), ${fmt(p.torchOwn, 0, 1)} (its own)`);
    }
    console.log('workload  thr  lrlab ms/step  torch ms  ratio  torch-own ms  ratio-own  GFLOP/s  of peak   description');
  }
  const rows: BenchRow[] = [];
  for (const c of cases) {
    const threads = threadsFor(c.workload.ops).threads;
    let best = Infinity;
    let same: number | null = null;
    let own: number | null = null;
    for (let r = 0; r < rounds; r++) {
      best = Math.min(best, timeLrlab(c));
      same = min(same, timeTorch(c.workload.name, c.steps, c.warmup, threads, 'same'));
      own = min(own, timeTorch(c.workload.name, c.steps, c.warmup, threads, 'own'));
    }
    const gflops = c.workload.flops === undefined ? null : c.workload.flops / (best * 1e6);
    const peak = peaks.get(threads)?.lrlab ?? NaN;
    const row: BenchRow = {
      workload: c.workload.name, threads, lrlab_ms: round(best)!, torch_ms: round(same), ratio: same === null ? null : round(best / same),
      torch_own_ms: round(own), ratio_own: own === null ? null : round(best / own), gflops: round(gflops, 1), peak_fraction: gflops === null ? null : round(gflops / peak),
    };
    rows.push(row);
    if (json) console.log(JSON.stringify(row));
    else {
      console.log(`${c.workload.name.padEnd(9)} ${String(threads).padStart(3)}  ${fmt(best, 13)}  ${fmt(same, 8)}  ${fmt(row.ratio, 5)}  ${fmt(own, 12)}  ${fmt(row.ratio_own, 9)}  ${fmt(gflops, 7, 1)}  ${gflops === null ? '      -' : `${(100 * gflops / peak).toFixed(0).padStart(6)}%`}   ${c.workload.description}`);
    }
  }
  return rows;
}

function main(): void {
  const args = process.argv.slice(2);
  if (args.includes('--help')) {
    console.log('usage: npm run bench [-- --json] [-- --only W1,W2] [-- --rounds N] [-- --syn-steps N]\n\n'
      + 'Times lrlab\'s reference workloads and the same workloads in PyTorch, measures the float32 matmul peak, and prints\n'
      + 'GFLOP/s and the fraction of the peak of the matmul-bound ones. The whole bench takes 4-8 minutes on 2 cores.\n\n'
      + 'options:\n'
      + '  --only A,B       these workloads only (names below)\n'
      + '  --rounds N       time each workload N times in each engine and keep the best (default 2; the engines alternate; SYN-sweep runs its variants once, the side-by-side run\n'
      + '                   first and last, and takes their mean)\n'
      + `  --syn-steps N    ${SYN_SWEEP}, ${SYN_SWEEP_GD}: train the first N steps of each part (default 1000, at most the preset's length; 30000 is the whole\n`
      + '                   order preset, the target\'s setting: about 9 min for --only SYN-sweep)\n'
      + '  --json           one JSON object per line instead of the table\n\n'
      + 'workloads:\n'
      + CASES.map((c) => `  ${c.workload.name.padEnd(13)}${c.workload.description}\n`).join('')
      + `  ${SYN_SWEEP.padEnd(13)}the order preset's 24 parts (8 seeds): as a user runs them (side by side), batched in one process, one by one,\n`
      + '               and one by one by autograd (float32 and float64)\n'
      + `  ${SYN_SWEEP_GD.padEnd(13)}the same for the order-gd preset, and batched with the exact Q-block reduction and that in float32\n\n`
      + 'columns: thr is the threads each engine runs the workload with (lrlab\'s choice for its kind of ops, also given to PyTorch);\n'
      + 'ratio = lrlab / PyTorch with lrlab\'s BLAS kernels (the engine comparison), ratio-own = against PyTorch with its own kernels;\n'
      + 'of peak = GFLOP/s over the float32 matmul peak measured at the same thread count (one core\'s peak for a one-thread workload).');
    return;
  }
  const json = args.includes('--json');
  const oi = args.indexOf('--only');
  const only = oi >= 0 ? (args[oi + 1] ?? '').split(',') : null;
  const ri = args.indexOf('--rounds');
  const rounds = ri >= 0 ? Math.max(1, Number(args[ri + 1]) || 1) : 2;
  const cases = only ? CASES.filter((c) => only.includes(c.workload.name)) : CASES;
  const sweeps = [SYN_SWEEP, SYN_SWEEP_GD].filter((w) => !only || only.includes(w)); // (bench/synSweep.ts: batched vs one-by-one parts)
  if (cases.length === 0 && sweeps.length === 0) { console.error(`no workload matches --only ${only?.join(',')} (have ${[...CASES.map((c) => c.workload.name), SYN_SWEEP, SYN_SWEEP_GD].join(', ')})`); process.exit(2); }
  if (cases.length > 0) runBench(cases, rounds, json);
  if (sweeps.length > 0) void benchSynSweep(args, json, sweeps);
}

main();
