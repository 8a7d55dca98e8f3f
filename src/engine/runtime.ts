// Runtime settings of the engine: threads, devices, build information.
import { native } from './native.js';
import type { Device } from './dtype.js';

/** Number of intra-op threads libtorch uses (default: all cores, or $LRLAB_NUM_THREADS). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setNumThreads: expected a positive integer, got ${n}`);
  native.setNumThreads(n);
}
export function getNumThreads(): number { return native.getNumThreads(); }
export function cudaAvailable(): boolean { return native.cudaAvailable(); }
/** Check that a device can be used, with a clear message if not. */
export function checkDevice(d: string): Device {
  if (d === 'cpu') return 'cpu';
  if (/^cuda(:\d+)?$/.test(d)) {
    if (!cudaAvailable()) {
      throw new Error(`device '${d}' requested but the linked libtorch has no CUDA (or no GPU is visible). ` +
        'Point LIBTORCH at a CUDA build of libtorch and run `npm run build:native`.');
    }
    return d as Device;
  }
  throw new Error(`unknown device '${d}' (expected 'cpu', 'cuda' or 'cuda:N')`);
}
/** libtorch's build configuration (BLAS, OpenMP, CUDA). */
export function buildConfig(): string { return native.config(); }
export function parallelInfo(): string { return native.parallelInfo(); }
