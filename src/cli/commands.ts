// lrlab's commands as main.ts dispatches them: one per registered experiment kind, then the tools.
// Each is its head (help.ts: name, summary, usage) and its implementation, which is imported only
// when the command runs: `lrlab --help` and `lrlab <command> --help` import none, and a command
// imports its own (a run does not load the dashboard, the report's charts or the queue client).
// The experiment registry (with it the kinds and the engine, but not libtorch: engine/native.ts)
// is imported to name the kinds' commands.
import type { Command } from './command.js';
import type { AnyExperiment } from '../experiments/experiment.js';
import { experiments } from '../experiments/registry.js';
import {
  commandOf, exportHead, indexHead, infoHead, kindHead, reportHead, resumeHead, runGroupHead, runShareHead, schemaHead, serveHead, sweepHead, workerHead,
  type CommandHead,
} from './help.js';

/** A command that imports its implementation (`load`) when it runs. */
function lazyCommand(head: CommandHead, load: () => Promise<Command>): Command {
  return commandOf(head, { async run(argv) { return (await load()).run(argv); } });
}

/** The command `lrlab <kind>` of an experiment kind (run.ts's runCommand, imported when it runs). */
export function kindCommand(exp: AnyExperiment): Command {
  return lazyCommand(kindHead(exp), async () => (await import('./run.js')).runCommand(exp));
}

/** The tools, in `lrlab --help`'s order. */
const TOOLS: Command[] = [
  lazyCommand(sweepHead, async () => (await import('./sweep.js')).sweepCommand),
  lazyCommand(workerHead, async () => (await import('./worker.js')).workerCommand),
  lazyCommand(resumeHead, async () => (await import('./resume.js')).resumeCommand),
  lazyCommand(reportHead, async () => (await import('./report.js')).reportCommand),
  lazyCommand(exportHead, async () => (await import('./export.js')).exportCommand),
  lazyCommand(serveHead, async () => (await import('./serve.js')).serveCommand),
  lazyCommand(indexHead, async () => (await import('./indexCmd.js')).indexCommand),
  lazyCommand(schemaHead, async () => (await import('./schema.js')).schemaCommand),
  lazyCommand(infoHead, async () => (await import('./info.js')).infoCommand),
  lazyCommand(runGroupHead, async () => (await import('./group.js')).runGroupCommand),
  lazyCommand(runShareHead, async () => (await import('./runShare.js')).runShareCommand),
];

/** One run command per registered experiment kind (at the time of the call), then the tools. */
export function commands(): Command[] {
  return [...experiments().map(kindCommand), ...TOOLS];
}
