// The BLAS start-up check (src/engine/kernels.ts): a few float32 and float64 matrix products through
// the addon, against float64 products computed here in plain JS. Plain JavaScript, so that a short
// child process can run it (`node kernelCheck.mjs ADDON`) before the chosen OpenBLAS kernels are
// loaded into lrlab's own process: kernels the CPU cannot run crash the child (SIGILL), not lrlab.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Products checked: [rows, inner, cols]. One past OpenBLAS's small-matrix and threading thresholds, one with odd tails. */
export const CHECK_SHAPES = [[112, 96, 112], [67, 131, 45]];
/**
 * Largest relative error accepted, per dtype: |c - ref| / sum_k |a_ik b_kj|. The entries are
 * multiples of 2^-12, so the float64 products are exact in any order (error 0) and float32 round-off
 * is ~1e-7.
 */
export const CHECK_TOLERANCE = { float32: 1e-5, float64: 1e-15 };

/** Deterministic entries in [-1, 1), multiples of 2^-12 (exact in float32), from a 32-bit LCG. */
function entries(n, seed) {
  const out = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; out[i] = (s >>> 20) / 2048 - 1; }
  return out;
}

/**
 * Multiply through `binding` (fromBuffer, matmul, toBuffer, dispose of the addon) and compare.
 * Returns { float32, float64 }: the largest relative error of each dtype over CHECK_SHAPES, and ok.
 */
export function productCheck(binding) {
  const worst = { float32: 0, float64: 0 };
  CHECK_SHAPES.forEach(([m, k, n], si) => {
    const a = entries(m * k, 2 * si + 1);
    const b = entries(k * n, 2 * si + 2);
    const bt = new Float64Array(k * n);
    for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) bt[j * k + p] = b[p * n + j];
    const ref = new Float64Array(m * n);
    const abs = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let r = 0;
        let q = 0;
        for (let p = 0; p < k; p++) { const t = a[i * k + p] * bt[j * k + p]; r += t; q += Math.abs(t); }
        ref[i * n + j] = r;
        abs[i * n + j] = q || 1;
      }
    }
    for (const [dtype, code, Arr] of [['float32', 0, Float32Array], ['float64', 1, Float64Array]]) {
      const ha = binding.fromBuffer(Arr.from(a), [m, k], code);
      const hb = binding.fromBuffer(Arr.from(b), [k, n], code);
      const hc = binding.matmul(ha, hb);
      const c = new Arr(binding.toBuffer(hc, code));
      for (const h of [ha, hb, hc]) binding.dispose(h);
      for (let i = 0; i < m * n; i++) {
        const err = Math.abs(c[i] - ref[i]) / abs[i];
        worst[dtype] = err <= worst[dtype] ? worst[dtype] : Number.isNaN(err) ? Infinity : err;
      }
    }
  });
  return { ...worst, ok: worst.float32 <= CHECK_TOLERANCE.float32 && worst.float64 <= CHECK_TOLERANCE.float64 };
}

/** Shared libraries mapped into this process whose names mention BLAS (Linux only; [] elsewhere). */
export function loadedBlas() {
  try {
    const maps = readFileSync('/proc/self/maps', 'utf8');
    return [...new Set(maps.split('\n').map((l) => l.split(/\s+/)[5] ?? '').filter((p) => /blas/i.test(p)))].sort();
  } catch { return []; }
}

// As a child process: load the addon named on the command line, check, print one JSON line.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const binding = createRequire(import.meta.url)(process.argv[2]);
  const result = productCheck(binding);
  process.stdout.write(JSON.stringify({ ...result, blas: loadedBlas() }) + '\n');
}
