// Types of kernelCheck.mjs (plain JavaScript, so that a child process can run it without tsx).
import type { NativeBinding } from './binding.js';

export const CHECK_SHAPES: [number, number, number][];
export const CHECK_TOLERANCE: { float32: number; float64: number };
export interface ProductCheck { float32: number; float64: number; ok: boolean }
export function productCheck(binding: Pick<NativeBinding, 'fromBuffer' | 'matmul' | 'toBuffer' | 'dispose'>): ProductCheck;
export function loadedBlas(): string[];
