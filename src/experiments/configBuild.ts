// Building a run's config from what a user gives — a preset, a partial config, the kind's own
// options, a seed count, dotted overrides, --scale-schedule — and checking it with the kind's schema
// (and, optionally, that its data and device are here). Shared by the CLI (`lrlab <kind>`, sweeps)
// and the dashboard's run form (POST /api/runs), so both refuse a bad config with the same one-line
// error naming the key.
import { applySets, deepMerge, getDotted } from './configTools.js';
import type { AnyExperiment, BaseConfig } from './experiment.js';
import { SCALE_HINT } from './scheduleCheck.js';

/** A refused input: the message is one line for the user (the CLI's usage error, the dashboard's 400). */
export class ConfigInputError extends Error {}

export interface ConfigInput {
  /** A preset name of the kind (default: its default preset). */
  preset?: string;
  /** A partial config merged over the preset (--config FILE's content). */
  patch?: unknown;
  /** Values of the kind's own options (images: --data). */
  options?: Record<string, string | boolean | undefined>;
  /** Number of seeds (overrides the preset's). */
  seeds?: number;
  /** Dotted-key overrides, applied in order. */
  sets?: [string, unknown][];
  /** Move every schedule event with a changed training length (keys in `sets` stay as given). */
  scaleSchedule?: boolean;
  /** Also refuse a config whose data or device is missing here (default true). */
  checkEnvironment?: boolean;
}

/** The preset's config; an unknown name (only own names count: not 'toString') lists the presets. */
export function presetConfig(exp: AnyExperiment, name: string | undefined): BaseConfig {
  const n = name ?? exp.defaultPreset;
  if (!Object.hasOwn(exp.presets, n)) throw new ConfigInputError(`unknown ${exp.kind} preset '${n}' (available: ${Object.keys(exp.presets).join(', ')})`);
  return exp.presets[n]!.config() as BaseConfig;
}

/** The validated config of `input`; `notes` gets what --scale-schedule moved. Throws ConfigInputError. */
export function resolveConfig(exp: AnyExperiment, input: ConfigInput, notes: string[] = []): BaseConfig {
  let cfg = presetConfig(exp, input.preset);
  if (input.patch !== undefined) cfg = exp.cli.merge ? exp.cli.merge(cfg, input.patch) : deepMerge(cfg, input.patch);
  const own = Object.fromEntries(Object.keys(exp.cli.options).map((k) => [k, input.options?.[k]]));
  cfg = exp.cli.applyOptions(cfg, own) as BaseConfig;
  if (input.seeds !== undefined) {
    if (!Number.isInteger(input.seeds) || input.seeds < 1) throw new ConfigInputError(`--seeds must be a positive integer, got '${input.seeds}'`);
    cfg = { ...cfg, seeds: input.seeds };
  }
  const sets = input.sets ?? [];
  try {
    const before = exp.schedule.length(cfg);
    cfg = applySets(cfg, sets);
    if (input.scaleSchedule) cfg = scaleSchedule(exp, cfg, before, sets.map(([k]) => k), notes);
    cfg = exp.validate(cfg) as BaseConfig;
  } catch (e) {
    const msg = (e as Error).message;
    // with --scale-schedule given, what is still past the end is a key the user set himself
    throw new ConfigInputError(input.scaleSchedule ? msg.replace(SCALE_HINT, 'as --scale-schedule did not move it (it keeps what you --set, and the whole schedule a key you --set is in)') : msg);
  }
  const problems = input.checkEnvironment === false ? [] : exp.environmentProblems(cfg);
  if (problems.length > 0) throw new ConfigInputError(problems.join('\n'));
  return cfg;
}

/**
 * --scale-schedule: move every schedule event (anneal, milestones, noise switch-off) by the factor the
 * training length changed by, except those the user set himself; say what moved in `notes`.
 */
export function scaleSchedule(exp: AnyExperiment, cfg: BaseConfig, before: number, setKeys: string[], notes: string[]): BaseConfig {
  const s = exp.schedule;
  const after = s.length(cfg);
  if (!(after > 0 && before > 0) || after === before) {
    notes.push(`--scale-schedule: ${s.lengthKey} is ${after} as in the preset; no schedule event moved`);
    return cfg;
  }
  const related = (a: string, b: string) => a === b || a.startsWith(b + '.') || b.startsWith(a + '.');
  const r = s.scale(cfg, after / before, (key) => setKeys.some((k) => related(k, key)));
  // an event inside the preset's run stays inside the shorter one: one rounded onto (or past) the end
  // moves to the last epoch or step, where there is one and the events of its list stay increasing
  const moved = new Map(r.moved.map(([k, a, b]) => [k, [a, b] as [number, number]]));
  let config = r.config as BaseConfig;
  const clamped: string[] = [];
  for (const e of s.events(r.config)) {
    const m = moved.get(e.key);
    if (m === undefined || e.at < after) continue;
    const refuse = (why: string) => new Error(`--scale-schedule: ${e.key} (${m[0]} in a run of ${before}) ${why} in a run of ${after} (${s.lengthKey} = ${after}): `
      + `train for longer, or --set ${e.key} yourself`);
    // (an event counted from an earlier one, a sequence's child, is not moved on its own)
    if (getDotted(config, e.key) !== e.at) throw refuse(`lands at or past the end, counted from an earlier event,`);
    if (after < 2) throw refuse(`has no ${s.unit} to move to before the end`);
    const i = e.key.lastIndexOf('.');
    const prev = /^\d+$/.test(e.key.slice(i + 1)) && Number(e.key.slice(i + 1)) > 0 ? getDotted(config, `${e.key.slice(0, i)}.${Number(e.key.slice(i + 1)) - 1}`) : undefined;
    if (typeof prev === 'number' && prev >= after - 1) throw refuse(`and the event before it would both be at the last ${s.unit}`);
    config = applySets(config, [[e.key, after - 1]]);
    m[1] = after - 1;
    clamped.push(e.key);
  }
  const moves = [...moved].filter(([, [a, b]]) => a !== b).map(([k, [a, b]]) => `${k} ${a} -> ${b}`);
  notes.push(`--scale-schedule: ${s.lengthKey} ${before} -> ${after} (x${(after / before).toPrecision(3)}): ${moves.length ? moves.join(', ') : 'no schedule event to move'}`
    + (clamped.length ? ` (${clamped.join(', ')}: rounded onto the end, moved to the last ${s.unit})` : ''));
  return config;
}
