// The error classes that mean "refused", not "failed": the command line shows their message as is
// and exits with code 2 (cli/main.ts's exitCodeOf). They are defined here, in a module that imports
// nothing, so that the command line can tell them apart without loading the modules that throw them
// (and with those zod, the experiment registry or ioredis) at start-up; each is re-exported by the
// module it belongs to, and imported from there.

/** An error whose message is shown to the user as is (no stack trace), with exit code 2 (cli/command.ts). */
export class UsageError extends Error {}

/** A config that does not fit its schema: the message is one line naming the key (util/schema.ts). */
export class ConfigError extends Error {}

/** A run folder that cannot be used as asked (exists without --force, busy in a live process, holds another config, a bad checkpoint): a usage error (runs/runFolder.ts). */
export class RefusedError extends Error {}

/** A run folder that cannot be read at all (missing, or not a run folder): a one-line message (report/runData.ts). */
export class RunFolderError extends Error {}

/** The queue's server cannot be used (unreachable, wrong password, too old): one line, password hidden (queue/connection.ts). */
export class QueueConnectionError extends Error {}
