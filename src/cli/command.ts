// The shape of a CLI command and small argument helpers shared by the commands.
import { resolve } from 'node:path';
import { runDirTaken } from '../runs/runFolder.js';
import { UsageError } from '../util/errors.js';

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** An internal command (what a sweep's worker processes run): not listed in `lrlab --help`. */
  hidden?: boolean;
  run(argv: string[]): Promise<number>;
}

/** An error whose message is shown to the user as is (no stack trace), with exit code 2 (defined in util/errors.ts). */
export { UsageError };

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
  'scale-schedule': { type: 'boolean' },
} as const;

/**
 * `--dry-run`: the validated config as JSON alone on stdout (so `... --dry-run > cfg.json` saves it),
 * and on stderr what a run would do, the run folder it would use, and `notes` (e.g. what is missing).
 * Exit code 0, or 2 when `cannotRun` (data or device missing here).
 */
export function printDryRun(cfg: object, o: { plan: string; dir: string; force: boolean; notes?: string[]; reuse: string; cannotRun?: boolean }): number {
  console.log(JSON.stringify(cfg, null, 2));
  const exists = runDirTaken(o.dir);
  const folder = `run folder: ${resolve(o.dir)}${!exists ? '' : o.force ? ' (exists; --force would replace it)' : ' (exists and is not empty: the run would be refused without --force)'}`;
  console.error([o.plan, folder, ...(o.notes ?? []), `--dry-run: nothing was run and no folder was made. ${o.reuse}`].join('\n'));
  // a config that cannot run here (missing data or device) is a failed check, as the run itself would be
  return o.cannotRun ? 2 : 0;
}

/** The --dry-run hint for a run command's JSON. */
export const REUSE_CONFIG = 'The JSON (stdout) is the complete config: save it (--dry-run > cfg.json) and run it with --config cfg.json.';
