// Generic helpers for typed, JSON-serializable experiment configs: dotted-key overrides and
// validation of key names and value types against a complete default config.

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/**
 * Check that every key of `value` exists in `template` and has the same JSON type (recursively for
 * objects), and that no key of `template` is missing. Keys listed in `nullable` may also be null;
 * keys in `free` may hold any value or be absent.
 * Throws a one-line error naming the dotted key.
 */
export function checkAgainstTemplate(value: unknown, template: unknown, path = '', opts: { nullable?: Set<string>; free?: Set<string> } = {}): void {
  if (opts.free?.has(path)) return;
  const tv = typeName(template);
  const vv = typeName(value);
  if (vv === 'null' && (opts.nullable?.has(path) || tv === 'null')) return;
  if (tv === 'null' && opts.nullable?.has(path)) return;
  if (tv !== vv && !(tv === 'null' && opts.nullable?.has(path))) {
    throw new Error(`config key '${path || '(root)'}' must be ${article(tv)}, got ${vv === 'string' ? JSON.stringify(value) : vv}`);
  }
  if (tv === 'object') {
    const t = template as Record<string, unknown>;
    const v = value as Record<string, unknown>;
    for (const k of Object.keys(v)) {
      const p = path ? `${path}.${k}` : k;
      if (!(k in t)) throw new Error(`unknown config key '${p}' (known keys${path ? ` of '${path}'` : ''}: ${Object.keys(t).join(', ')})`);
      checkAgainstTemplate(v[k], t[k], p, opts);
    }
    for (const k of Object.keys(t)) {
      const p = path ? `${path}.${k}` : k;
      if (!(k in v) && !opts.free?.has(p)) throw new Error(`config key '${p}' is missing`);
    }
  }
}

function article(t: string): string { return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`; }

/** Deep-merge `patch` into a copy of `base` (objects merge, everything else replaces). */
export function deepMerge<T>(base: T, patch: unknown): T {
  if (typeName(base) !== 'object' || typeName(patch) !== 'object') return structuredClone(patch) as T;
  const out = structuredClone(base) as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    out[k] = k in out ? deepMerge(out[k], v) : structuredClone(v);
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
    } else if (typeName(cur) !== 'object' || !(p in cur)) {
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
  return key.split('.').reduce<unknown>((o, p) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[p] : undefined), obj);
}
