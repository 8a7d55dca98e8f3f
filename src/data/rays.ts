// Inputs given as rays: the synthetic data's Q inputs lie on three directions (Section 2), which lets
// a block net evaluate its V block once per direction (src/models/twoLayerRelu.ts: x2Unit).
import type { Tensor } from '../engine/index.js';

/**
 * Inputs x2 [n, d] given also as rays: x2[i] = scale[i] directions[index[i]] with scale >= 0 (0 for a
 * row that is 0), as the synthetic data draws Q (its three directions zv, zv + zeta, zv - zeta; Section
 * 2). A relu unit on x2 is then computed once per direction: u^T relu(A (s x)) = s u^T relu(A x) for
 * s >= 0, as relu is positively homogeneous: exact in exact arithmetic, and in floating point the same
 * function within round-off (not the rounding of the rows' own products). directions [K, d] in the
 * inputs' dtype, index [n] int64 in [0, K), scale [n] in the inputs' dtype.
 */
export interface X2Rays { directions: Tensor; index: Tensor; scale: Tensor }

/** The rays of rows [start, start + len) of x2. */
export function narrowRays(rays: X2Rays, start: number, len: number): X2Rays {
  return { directions: rays.directions, index: rays.index.narrow(0, start, len), scale: rays.scale.narrow(0, start, len) };
}

