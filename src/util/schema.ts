// Config schemas: every config section (data, model, patch, schedules, an experiment's config) is a
// zod schema, which gives its TypeScript type (z.infer), its JSON Schema (toJsonSchema, for editors
// and forms) and its validation. This file turns zod's issues into lrlab's one-line errors, which
// name the dotted config key, what it must be and what it got, and list the known keys of an object:
//   config key 'train.eta1' must be > 0, got -1
//   unknown config key 'train.foo' (known keys of 'train': update, batchSize, ...)
// Layers define their own sections with the helpers below; whoever composes them (an experiment)
// gets errors with full paths for free, so no layer rewrites another's messages.
import * as z from 'zod';
import { ConfigError } from './errors.js';

export { z };

/** A config that does not fit its schema: the message is one line naming the key (defined in errors.ts). */
export { ConfigError };

const KNOWN = '\u0000known:';

/**
 * An object with exactly these keys (unknown keys are refused, and the error lists the known ones).
 * Use it for every config object.
 */
export function object<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, { error: (iss) => (iss.code === 'unrecognized_keys' ? KNOWN + known : undefined) });
}

/** A number with a check, all failures (wrong type included) reported as `message`. */
export const num = (message: string) => z.number({ error: message });
export const int = (message: string) => z.int({ error: message });
/** Common checks, with lrlab's wording. */
export const positiveInt = () => int('must be a positive integer').min(1, { error: 'must be a positive integer' });
export const nonNegativeInt = () => int('must be an integer >= 0').min(0, { error: 'must be an integer >= 0' });
export const nonNegative = () => num('must be a finite number >= 0').min(0, { error: 'must be a finite number >= 0' });
export const positive = () => num('must be a finite number > 0').gt(0, { error: 'must be a finite number > 0' });
export const seedInt = () => int('must be a non-negative integer').min(0, { error: 'must be a non-negative integer' });

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) { const s = JSON.stringify(v); return s.length <= 60 ? s : 'an array'; }
  if (v !== null && typeof v === 'object') return 'an object';
  return JSON.stringify(v);
}
const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);
const isDefault = (m: string) => /^(Invalid|Too (small|big)|Unrecognized|Expected)/.test(m);

/** One issue as lrlab's one-line message; `prefix` is the dotted path of the value that was checked. */
export function issueMessage(iss: z.core.$ZodIssue & { input?: unknown }, prefix = ''): string {
  const parts = [...(prefix ? prefix.split('.') : []), ...iss.path.map(String)];
  const key = parts.join('.');
  const named = `config key '${key || '(root)'}'`;
  const got = `, got ${show(iss.input)}`;
  if (iss.code !== 'unrecognized_keys' && (!('input' in iss) || iss.input === undefined)) return `${named} is missing`;
  switch (iss.code) {
    case 'unrecognized_keys': {
      const k = iss.keys[0]!;
      const known = iss.message.startsWith(KNOWN) ? iss.message.slice(KNOWN.length) : '';
      return `unknown config key '${[...parts, k].join('.')}'${known ? ` (known keys${key ? ` of '${key}'` : ''}: ${known})` : ''}`;
    }
    case 'invalid_type':
      return `${named} ${isDefault(iss.message) ? `must be ${article(iss.expected === 'int' ? 'integer' : iss.expected)}` : iss.message}${got}`;
    case 'invalid_union':
      if ('options' in iss && Array.isArray(iss.options)) {
        const d = 'discriminator' in iss ? String(iss.discriminator) : '';
        const v = d && iss.input !== null && typeof iss.input === 'object' ? (iss.input as Record<string, unknown>)[d] : iss.input;
        return `${named} must be one of ${iss.options.map(show).join(', ')}, got ${show(v)}`;
      }
      return `${named} ${isDefault(iss.message) ? 'does not match any allowed form' : iss.message}${got}`;
    case 'invalid_value':
      return `${named} ${isDefault(iss.message) ? `must be ${iss.values.length === 1 ? show(iss.values[0]) : `one of ${iss.values.map(show).join(', ')}`}` : iss.message}${got}`;
    case 'too_small':
      return `${named} ${isDefault(iss.message) ? `must be ${iss.origin === 'array' ? `an array of at least ${String(iss.minimum)} item(s)` : `${iss.inclusive ? '>=' : '>'} ${String(iss.minimum)}`}` : iss.message}${got}`;
    case 'too_big':
      return `${named} ${isDefault(iss.message) ? `must be ${iss.origin === 'array' ? `an array of at most ${String(iss.maximum)} item(s)` : `${iss.inclusive ? '<=' : '<'} ${String(iss.maximum)}`}` : iss.message}${got}`;
    default:
      return `${named} ${iss.message}${got}`;
  }
}

/**
 * Check `value` against `schema`; returns the parsed value or throws a ConfigError for the first
 * problem. `prefix` is the dotted key of `value` inside the whole config (for messages).
 */
export function parseConfig<T extends z.ZodType>(schema: T, value: unknown, prefix = ''): z.infer<T> {
  const r = schema.safeParse(value, { reportInput: true });
  if (r.success) return r.data;
  throw new ConfigError(issueMessage(r.error.issues[0]!, prefix));
}

/** The JSON Schema of a config schema (draft 2020-12), for editor tooling and generated forms. */
export function toJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

/**
 * A cross-field check inside a superRefine: report `message` at `path` (relative to the refined
 * object) with the offending value, as the same one-line error as a field's own check.
 */
export function fail(ctx: z.core.$RefinementCtx, path: (string | number)[], message: string, input: unknown): void {
  ctx.addIssue({ code: 'custom', path, message, input });
}
