// Gradient-mode scopes.
import { native } from './native.js';

/** Run fn with gradient recording off (for evaluation and parameter updates). */
export function noGrad<R>(fn: () => R): R {
  const prev = native.setGradEnabled(false);
  try { return fn(); } finally { native.setGradEnabled(prev); }
}
/** Run fn with gradient recording on. */
export function enableGrad<R>(fn: () => R): R {
  const prev = native.setGradEnabled(true);
  try { return fn(); } finally { native.setGradEnabled(prev); }
}
export function isGradEnabled(): boolean { return native.isGradEnabled(); }
