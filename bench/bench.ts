// `npm run bench [-- --json] [-- --only W1,W2] [-- --rounds N]`: ms/step of lrlab's reference
// workloads and, in the same run, of the same workloads in PyTorch (when python3 can import torch).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getNumThreads } from '../src/engine/index.js';
import { torchPython } from '../src/util/torchPython.js';
import { IMG, IMG_EPOCH, SYN_GD, SYN_SGD, W1, W2, type Workload } from './workloads.js';

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

function timeLrlab(c: BenchCase): number {
  const step = c.workload.setup();
  for (let i = 0; i < c.warmup; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < c.steps; i++) step();
  return (performance.now() - t0) / c.steps;
}

function torchAvailable(): boolean { return torchPython() !== null; }

function timeTorch(c: BenchCase): number | null {
  if (!torchAvailable()) return null;
  const r = spawnSync(torchPython()!, [join(here, 'torch_ref.py'), c.workload.name, String(c.steps), String(c.warmup), String(getNumThreads())], { encoding: 'utf8' });
  if (r.status !== 0) { process.stderr.write(`torch reference for ${c.workload.name} failed:\n${r.stderr}\n`); return null; }
  const line = r.stdout.trim().split('\n').pop()!;
  return (JSON.parse(line) as { ms: number }).ms;
}

export function runBench(cases: BenchCase[], rounds: number, json: boolean): void {
  if (!json) {
    console.log(`lrlab bench: ${getNumThreads()} threads, ${rounds} round(s), best of rounds; PyTorch ${torchAvailable() ? 'found' : 'not found (install python3-torch to compare)'}`);
    console.log('workload  lrlab ms/step  torch ms/step  ratio   description');
  }
  for (const c of cases) {
    let best = Infinity;
    let bestTorch: number | null = null;
    for (let r = 0; r < rounds; r++) {
      best = Math.min(best, timeLrlab(c));
      const t = timeTorch(c);
      if (t !== null) bestTorch = Math.min(bestTorch ?? Infinity, t);
    }
    const ratio = bestTorch === null ? null : best / bestTorch;
    const round = (v: number) => Math.round(v * 100) / 100;
    if (json) {
      console.log(JSON.stringify({ workload: c.workload.name, lrlab_ms: round(best), torch_ms: bestTorch === null ? null : round(bestTorch), ratio: ratio === null ? null : round(ratio) }));
    } else {
      console.log(`${c.workload.name.padEnd(9)} ${best.toFixed(2).padStart(13)}  ${(bestTorch === null ? '-' : bestTorch.toFixed(2)).padStart(12)}  ${(ratio === null ? '-' : ratio.toFixed(2)).padStart(5)}   ${c.workload.description}`);
    }
  }
}

function main(): void {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const oi = args.indexOf('--only');
  const only = oi >= 0 ? (args[oi + 1] ?? '').split(',') : null;
  const ri = args.indexOf('--rounds');
  const rounds = ri >= 0 ? Math.max(1, Number(args[ri + 1]) || 1) : 2;
  const cases = only ? CASES.filter((c) => only.includes(c.workload.name)) : CASES;
  if (cases.length === 0) { console.error(`no workload matches --only ${only?.join(',')} (have ${CASES.map((c) => c.workload.name).join(', ')})`); process.exit(2); }
  runBench(cases, rounds, json);
}

main();
