// lrlab's command-line interface: dispatches to one command per paper experiment or tool.
import { type Command, UsageError } from './command.js';
import { infoCommand } from './info.js';
import { schemaCommand } from './schema.js';
import { runCommand } from './run.js';
import { experiments } from '../experiments/registry.js';
import { sweepCommand } from './sweep.js';
import { resumeCommand } from './resume.js';
import { reportCommand } from './report.js';
import { serveCommand } from './serve.js';
import { indexCommand } from './indexCmd.js';

/** One run command per registered experiment kind (at the time of the call), then the tools. */
export function commands(): Command[] {
  return [...experiments().map(runCommand), sweepCommand, resumeCommand, reportCommand, serveCommand, indexCommand, schemaCommand, infoCommand];
}

function help(): string {
  const all = commands();
  const w = Math.max(...all.map((c) => c.name.length));
  return [
    'lrlab — reproduce Li, Wei & Ma (NeurIPS 2019): the regularization effect of an initial large learning rate',
    '',
    'usage: lrlab <command> [options]     (lrlab <command> --help for a command\'s options)',
    '',
    'commands:',
    ...all.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') { console.log(help()); return 0; }
  const cmd = commands().find((c) => c.name === name); // (a name, never a prototype key: find compares strings)
  if (!cmd) { console.error(`lrlab: unknown command '${name}'\n\n${help()}`); return 2; }
  if (rest.includes('--help') || rest.includes('-h')) { console.log(cmd.usage); return 0; }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof UsageError) { console.error(`lrlab ${name}: ${e.message}`); return 2; }
    const err = e as Error;
    console.error(`lrlab ${name}: ${err.message}`);
    if (process.env.LRLAB_DEBUG) console.error(err.stack);
    return 1;
  }
}
