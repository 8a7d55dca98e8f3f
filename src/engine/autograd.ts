// Gradient-mode scopes.
import { native } from './native.js';

/** Run fn with gradient recording off (for evaluation and parameter updates). */
export function noGrad<R>(fn: () => R): R {
  const prev = native.setGradEnabled(false) as boolean;
  try { return fn(); } finally { native.setGradEnabled(prev); }
}
/** Run fn with gradient recording on. */
export function enableGrad<R>(fn: () => R): R {
  const prev = native.setGradEnabled(true) as boolean;
  try { return fn(); } finally { native.setGradEnabled(prev); }
}
export function isGradEnabled(): boolean { return native.isGradEnabled() as boolean; }
