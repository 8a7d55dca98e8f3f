// lrlab's command-line interface: dispatches to one command per paper experiment or tool, and turns
// what a command throws into one documented exit code (EXIT_CODES_HELP). Start-up is kept short:
// this module imports nothing heavy (`--version` needs nothing else), the command list (commands.ts)
// is imported only when a command or the help is asked for, and a command's implementation only when
// it runs.
import { readFileSync } from 'node:fs';
import type { Command } from './command.js';
import { ConfigError, QueueConnectionError, RefusedError, RunFolderError, UsageError } from '../util/errors.js';
import { QueueUrlError } from '../queue/queueUrl.js';
import { CODE_VERSION } from '../util/version.js';
import { closest } from '../util/closest.js';

/** lrlab's exit codes, the same for every command. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

export const EXIT_CODES_HELP = `exit codes:
  0    success
  1    a run or command failed at run time (training error, a failed part or sweep run, I/O error)
  2    usage or config error: bad option, config key or value, unknown preset or kind, missing data or
       device, a refused run folder (exists without --force, busy in another live process, another
       config, a checkpoint of another config or code version),
       an unusable --queue (bad URL, server unreachable, wrong or missing password)
  130  interrupted by SIGINT/SIGTERM after saving a checkpoint (continue with lrlab resume DIR)`;

/**
 * The exit code for an error a command threw: 2 for usage and config errors (UsageError, a config
 * that fails its schema, an option parseArgs refuses) and refused folders (RefusedError: exists
 * without --force, busy in a live process, another config, a bad checkpoint; RunFolderError: not a
 * run folder); 1 for anything else.
 */
export function exitCodeOf(e: unknown): 1 | 2 {
  if (e instanceof UsageError || e instanceof ConfigError || e instanceof RefusedError || e instanceof RunFolderError) return EXIT.usage;
  if (e instanceof QueueUrlError || e instanceof QueueConnectionError) return EXIT.usage; // a bad --queue URL, an unreachable queue, a wrong password
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) return EXIT.usage; // node:util parseArgs: unknown option, missing value
  return EXIT.failed;
}

/**
 * A command's error as the one line lrlab prints. parseArgs's refusal of a value that starts with a
 * dash (`--workers -1`) spans three lines, and its advice to use `--workers=-XYZ` only leads to the next error.
 */
export function errorLine(e: Error, cmd?: Pick<Command, 'name' | 'usage'>): string {
  const code = (e as { code?: unknown }).code;
  const m = /^Option '(--[\w-]+)(?:, -\w)?' argument is ambiguous/.exec(e.message);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && m) {
    return `${m[1]} needs a value, but the argument after it starts with '-' (write such a value as ${m[1]}=VALUE)`;
  }
  const u = /^Unknown option '(-[^']*)'/.exec(e.message);
  if (u) {
    // parseArgs's refusal (some commands rethrow it as a UsageError): the options the command's help lists, and the nearest of them
    const near = cmd ? closest(u[1]!, cmd.usage.match(/--[a-z][\w-]*/g) ?? []) : [];
    const help = cmd ? `; lrlab ${cmd.name} --help lists its options` : '';
    return `unknown option '${u[1]}'${near.length ? ` (did you mean ${near.join(' or ')}?)` : ''}${help}`;
  }
  return e.message;
}

/** `lrlab --version`: the package version and the code version stamped into checkpoints. */
export function versionText(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `lrlab ${pkg.version}\ncheckpoint format: ${CODE_VERSION} (checkpoints are resumed only by this code version)`;
}

function help(commands: Command[]): string {
  const all = commands.filter((c) => !c.hidden);
  const w = Math.max(...all.map((c) => c.name.length));
  return [
    'lrlab — reproduce Li, Wei & Ma (NeurIPS 2019): the regularization effect of an initial large learning rate',
    '',
    'usage: lrlab <command> [options]     (lrlab <command> --help or lrlab help <command> for a command\'s options)',
    '       lrlab --version',
    '',
    'commands:',
    ...all.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    EXIT_CODES_HELP,
  ].join('\n');
}

/** Whether `--help`/`-h` is among the options (before a `--` that ends them). */
function asksHelp(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

let pipesGuarded = false;

/**
 * Writing to a closed stdout or stderr (`lrlab index --json | head -2`) ends quietly: the stream's
 * EPIPE error is swallowed and later writes to it are dropped, so the command finishes with its own
 * exit code and no stack trace. Installed once per process.
 */
export function quietOnClosedPipes(): void {
  if (pipesGuarded) return;
  pipesGuarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      stream.write = (() => true) as typeof stream.write;
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  quietOnClosedPipes();
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V') { console.log(versionText()); return EXIT.ok; }
  const all = (await import('./commands.js')).commands();
  if (!name || name === '--help' || name === '-h' || (name === 'help' && (rest.length === 0 || rest[0] === 'help'))) { console.log(help(all)); return EXIT.ok; }
  const wanted = name === 'help' ? rest[0]! : name;
  const cmd = all.find((c) => c.name === wanted); // (a name, never a prototype key: find compares strings)
  if (!cmd) { console.error(`lrlab: unknown command '${wanted}'\n\n${help(all)}`); return EXIT.usage; }
  if (name === 'help' || asksHelp(rest)) { console.log(cmd.usage); return EXIT.ok; }
  try {
    return await cmd.run(rest);
  } catch (e) {
    const err = e as Error;
    console.error(`lrlab ${name}: ${errorLine(err, cmd)}`);
    const code = exitCodeOf(e);
    if (code === EXIT.failed && process.env.LRLAB_DEBUG) console.error(err.stack);
    return code;
  }
}
