// Generic helpers for JSON-serializable experiment configs: deep merges and dotted-key overrides
// (--set train.eta1=0.05, methods.0.lr.lr=0.1). Validation is each kind's zod schema (util/schema.ts).

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function setOwn(o: Record<string, unknown>, k: string, value: unknown): void {
  Object.defineProperty(o, k, { value, enumerable: true, writable: true, configurable: true });
}

/** Deep-merge `patch` into a copy of `base` (objects merge, everything else replaces). */
export function deepMerge<T>(base: T, patch: unknown): T {
  if (typeName(base) !== 'object' || typeName(patch) !== 'object') return structuredClone(patch) as T;
  const out = structuredClone(base) as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    // own keys only ('toString' is not a config key) and defined as data ('__proto__' from JSON stays a key)
    setOwn(out, k, Object.hasOwn(out, k) ? deepMerge(out[k], v) : structuredClone(v));
  }
  return out as T;
}

/**
 * Set a dotted key (`train.eta1`) in a copy of `obj`; a numeric part indexes an array
 * (`methods.0.lr.lr`). Unknown keys and out-of-range indices are rejected with the known ones.
 */
export function setDotted<T>(obj: T, key: string, value: unknown): T {
  const parts = key.split('.');
  const out = structuredClone(obj) as Record<string, unknown>;
  let cur: Record<string, unknown> | unknown[] = out;
  parts.forEach((p, i) => {
    const where = parts.slice(0, i).join('.');
    let k: string | number = p;
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]*)$/.test(p) || Number(p) >= cur.length) {
        throw new Error(`unknown config key '${key}' ('${where}' is an array of ${cur.length}: use an index 0..${cur.length - 1})`);
      }
      k = Number(p);
    } else if (typeName(cur) !== 'object' || !Object.hasOwn(cur, p)) {
      throw new Error(`unknown config key '${key}' (known keys${where ? ` of '${where}'` : ''}: ${typeName(cur) === 'object' ? Object.keys(cur).join(', ') : 'none'})`);
    }
    const c = cur as Record<string | number, unknown>;
    if (i === parts.length - 1) c[k] = value;
    else cur = c[k] as Record<string, unknown> | unknown[];
  });
  return out as T;
}

/** Apply several `key=value` overrides in order. */
export function applySets<T>(obj: T, sets: [string, unknown][]): T {
  return sets.reduce((o, [k, v]) => setDotted(o, k, v), obj);
}

/** Read a dotted key. */
export function getDotted(obj: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((o, p) => (o !== null && typeof o === 'object' && Object.hasOwn(o, p) ? (o as Record<string, unknown>)[p] : undefined), obj);
}
