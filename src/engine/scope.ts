// Deterministic memory management: tensors created inside `tidy` are freed when it returns,
// except those it returns (which move to the enclosing scope). `keep` exempts a tensor from
// scopes; `dispose` frees explicitly. A finalizer in the addon frees anything left to the GC.

export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
  /** Told when the value leaves every scope (it is then freed by dispose() or the garbage collector only). */
  unscoped?(): void;
}

const stack: Set<Disposable>[] = [];

/** Called by every new tensor: track it in the innermost scope, if any (false: there is none). */
export function track(t: Disposable): boolean {
  const top = stack[stack.length - 1];
  if (top) top.add(t);
  return top !== undefined;
}

/** Remove a tensor from every scope so that `tidy` does not free it. */
export function keep<T extends Disposable>(t: T): T {
  for (const s of stack) s.delete(t);
  t.unscoped?.();
  return t;
}

function collect(v: unknown, out: Set<unknown>, depth = 0): void {
  if (v === null || typeof v !== 'object' || depth > 8) return;
  if (typeof (v as Disposable).dispose === 'function' && 'isDisposed' in (v as object)) { out.add(v); return; }
  if (Array.isArray(v)) { for (const x of v) collect(x, out, depth + 1); return; }
  if (v instanceof Map) { for (const x of v.values()) collect(x, out, depth + 1); return; }
  if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) collect(x, out, depth + 1);
}

/**
 * Run `fn` in a memory scope. Every tensor created inside is disposed when `fn` returns, except
 * tensors reachable from its result (tensors, arrays, maps and plain objects of them).
 */
export function tidy<R>(fn: () => R): R {
  const scope = new Set<Disposable>();
  stack.push(scope);
  let result: R;
  try {
    result = fn();
    if (result instanceof Promise) throw new Error('tidy() takes a synchronous function (an async one would free tensors too early)');
  } catch (e) {
    stack.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  stack.pop();
  const kept = new Set<unknown>();
  collect(result, kept);
  const parent = stack[stack.length - 1];
  for (const t of scope) {
    if (!kept.has(t)) t.dispose();
    else if (parent) parent.add(t);
    else t.unscoped?.();
  }
  return result;
}

/** Dispose every tensor in a value (a tensor, an array or an object of tensors). */
export function dispose(v: unknown): void {
  const all = new Set<unknown>();
  collect(v, all);
  for (const t of all) (t as Disposable).dispose();
}

/** Number of open scopes (for tests). */
export function scopeDepth(): number { return stack.length; }
