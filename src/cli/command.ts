// The shape of a CLI command and small argument helpers shared by the commands.
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

/** An error whose message is shown to the user as is (no stack trace), with exit code 2. */
export class UsageError extends Error {}

/** Parse repeated `--set key=value` pairs into [key, value] with JSON-ish value parsing. */
export function parseSets(sets: string[]): [string, unknown][] {
  return sets.map((s) => {
    const i = s.indexOf('=');
    if (i <= 0) throw new UsageError(`--set expects key=value, got '${s}'`);
    return [s.slice(0, i).trim(), parseValue(s.slice(i + 1).trim())];
  });
}

/** '0.1' -> 0.1, 'true' -> true, '[1,2]' -> [1,2], '{"a":1}' -> object, anything else -> string. */
export function parseValue(v: string): unknown {
  if (v === '') return '';
  try { return JSON.parse(v); } catch { return v; }
}

/** The parseArgs options every run command takes (synthetic, images, sweep). */
export const RUN_OPTIONS = {
  preset: { type: 'string' }, config: { type: 'string' }, seeds: { type: 'string' }, set: { type: 'string', multiple: true },
  out: { type: 'string' }, force: { type: 'boolean' }, quiet: { type: 'boolean' }, 'dry-run': { type: 'boolean' },
} as const;

/** What `--dry-run` prints: the validated config as JSON (reusable with --config), then what a run would do. */
export function dryRunText(cfg: object, plan: string): string {
  return `${JSON.stringify(cfg, null, 2)}\n\n${plan}\n(--dry-run: nothing was run and no folder was made; save the JSON above and pass it with --config to rerun it)`;
}
