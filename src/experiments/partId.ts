// The part identity: a stable content hash of what determines a part's result — the experiment
// kind, the part's own resolved config (Experiment.partConfig: only the keys that can change that
// method's result), its seed and the code version. Two parts with equal identities train the same
// weights and write the same rows, so a finished one can be reused instead of run again, and a
// remote worker can be handed a part by its identity.
import { createHash } from 'node:crypto';
import { CODE_VERSION } from '../util/version.js';

/** JSON with object keys sorted at every level (arrays keep their order): equal values, equal text. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`canonicalJson: ${v} has no JSON form`);
  return JSON.stringify(v) ?? 'null';
}

/** The identity of one part: 'sha256:<hex>' over {kind, config, seed, code}. */
export function partId(kind: string, partConfig: unknown, seed: number, codeVersion = CODE_VERSION): string {
  const text = canonicalJson({ kind, config: partConfig, seed, code: codeVersion });
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}
