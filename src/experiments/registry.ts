// The experiment registry: every experiment kind lrlab knows, looked up by a config's `kind`. The
// CLI, sweeps, resume, the report, the runs index and the dashboard find kinds here and nowhere
// else. A new kind is a folder src/experiments/<kind>/ exporting one Experiment, plus one line in
// BUILTIN below (or a registerExperiment call; docs/EXTENDING.md).
import type { AnyExperiment } from './experiment.js';
import { synthetic } from './synthetic/index.js';
import { images } from './images/index.js';

const BUILTIN: AnyExperiment[] = [synthetic, images];

const registry = new Map<string, AnyExperiment>();

/** Add an experiment kind; a kind name is registered once. */
export function registerExperiment(e: AnyExperiment): void {
  if (!/^[a-z][a-z0-9-]*$/.test(e.kind)) throw new Error(`experiment kind '${e.kind}' must be lowercase letters, digits and -`);
  if (registry.has(e.kind)) throw new Error(`experiment kind '${e.kind}' is already registered`);
  registry.set(e.kind, e);
}

/** Remove a kind (tests that register their own). */
export function unregisterExperiment(kind: string): void { registry.delete(kind); }

for (const e of BUILTIN) registerExperiment(e);

/** Every registered kind, in registration order. */
export function experiments(): AnyExperiment[] { return [...registry.values()]; }

export function experimentKinds(): string[] { return [...registry.keys()]; }

/** The kind named `kind`, or undefined. */
export function findExperiment(kind: unknown): AnyExperiment | undefined {
  return typeof kind === 'string' && Object.hasOwn(Object.fromEntries(registry), kind) ? registry.get(kind) : undefined;
}

/** The kind named `kind`; throws a one-line error listing the known kinds. */
export function getExperiment(kind: unknown): AnyExperiment {
  const e = findExperiment(kind);
  if (!e) throw new Error(`unknown experiment kind ${JSON.stringify(kind)} (known: ${experimentKinds().join(', ')})`);
  return e;
}

/** The kind of a config (its `kind` key). */
export function experimentOf(config: unknown): AnyExperiment {
  const kind = config !== null && typeof config === 'object' ? (config as { kind?: unknown }).kind : undefined;
  return getExperiment(kind);
}

/** The kind that has a preset of this name, if exactly one does. */
export function experimentWithPreset(preset: string): AnyExperiment | undefined {
  const has = experiments().filter((e) => Object.hasOwn(e.presets, preset));
  return has.length === 1 ? has[0] : undefined;
}
