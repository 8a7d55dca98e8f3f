// Every command's head: its name, its one-line summary (`lrlab --help`), whether it is hidden there,
// and its usage (`lrlab <command> --help`). Kept apart from the commands' implementations (the
// modules named after them, which take their heads from here) so that the command line can list the
// commands, print their help and find the one to run without importing any implementation, and with
// them the queue (bullmq, ioredis), the report's charts (vega), the dashboard and SQLite: commands.ts.
import { availableParallelism } from 'node:os';
import type { Command } from './command.js';
import type { AnyExperiment } from '../experiments/experiment.js';
import { experimentKinds, experiments } from '../experiments/registry.js';
import { RUN_STATES } from '../runs/format.js';
import { PASSWORD_ENV } from '../queue/queueUrl.js';
import { DEVICES } from '../queue/partJob.js';

/** What a command shows before it runs: a Command without its run. */
export type CommandHead = Omit<Command, 'run'>;

/** A command of its head and its implementation (its run); the head's usage is read when asked for. */
export function commandOf(head: CommandHead, impl: Pick<Command, 'run'>): Command {
  return { name: head.name, summary: head.summary, ...(head.hidden ? { hidden: true } : {}), get usage() { return head.usage; }, run: impl.run };
}

/** The head of `lrlab <kind>` for an experiment kind. */
export function kindHead(exp: AnyExperiment): CommandHead {
  return { name: exp.kind, summary: exp.cli.summary, get usage() { return runUsage(exp); } };
}

/** The usage of `lrlab <kind>` (run.ts's runCommand) for an experiment kind. */
export function runUsage(exp: AnyExperiment): string {
  const own = Object.entries(exp.cli.options);
  const ownUsage = own.map(([k, o]) => (o.type === 'string' ? `[--${k} ${k.toUpperCase()}]` : `[--${k}]`)).join(' ');
  const w = Math.max(...Object.keys(exp.presets).map((k) => k.length));
  return `usage: lrlab ${exp.kind} [--preset NAME] ${ownUsage ? ownUsage + ' ' : ''}[--config FILE] [--seeds N] [--set key=value ...] [--out DIR] [--force] [--quiet]
       ${' '.repeat(exp.kind.length + 6)}[--queue URL] [--dry-run] [--scale-schedule] [--no-reuse] [--no-batch] [--workers N]

${exp.cli.help}

options:
  --preset NAME     one of: ${Object.keys(exp.presets).join(', ')} (default: ${exp.defaultPreset})
${own.map(([k, o]) => `  ${`--${k}${o.type === 'string' ? ` ${k.toUpperCase()}` : ''}`.padEnd(17)} ${o.description}`).join('\n')}${own.length ? '\n' : ''}  --config FILE     a JSON config (whole or partial; merged over the preset)
  --seeds N         number of seeds (seed, seed+1, ...) (default: the preset's count; ${exp.presets[exp.defaultPreset]!.config().seeds} in --preset ${exp.defaultPreset})
  --set key=value   override any config key, dotted
  --out DIR         run folder (default: runs/${exp.kind}-<preset>-<time>)
  --force           overwrite an existing run folder
  --quiet           no progress bar
  --queue URL       train the parts on queue workers (\`lrlab worker\`) through Redis: redis://[user:password@]host:port[/db]
  --dry-run         print the resolved config (JSON, on stdout) and what would run, then exit
  --scale-schedule  when --set (or a sweep's --over) changes ${exp.schedule.lengthKey}, move every schedule event (anneal,
                    milestones, noise switch-off) by the same factor (keys you --set or sweep stay as given)
  --no-reuse        train every part, even one already run (same part identity) in another run folder
                    under the same runs folder; by default such a part is copied (its part file and rows)
${exp.createBatch ? `  --no-batch        train the parts one by one; by default the parts of a run that share shapes train together
                    as one batched program, with the same results` : `  --no-batch        changes nothing here: ${exp.kind} parts always train one at a time in a process
                    (several side by side with --workers)`}
  --workers N       train the parts in N processes side by side, one thread each, each its share of the
                    parts as one batched program where they batch (else one by one) (default: one per
                    core where the parts' ops are small, at most one per 2 parts where they batch; 1 when
                    LRLAB_NUM_THREADS is set); the same results as one process, only the order of
                    different parts' rows in metrics.jsonl depends on timing

presets:
${Object.entries(exp.presets).map(([k, v]) => `  ${k.padEnd(w)}  ${v.description}`).join('\n')}

The run folder holds config.json, metrics.jsonl, parts/, summary.json, status.json and checkpoints/;
resume an interrupted run with \`lrlab resume DIR\`.`;
}

export const sweepHead: CommandHead = {
  name: 'sweep',
  summary: 'a grid over config keys x seeds, in parallel worker processes, with one summary table',
  get usage() {
    return `usage: lrlab sweep --over key=v1,v2,... [--over ...] [--experiment ${experimentKinds().join('|')}] [--seeds N]
                   [--preset NAME] [--config FILE] [--data DIR] [--set key=value ...] [--workers K]
                   [--out DIR] [--force] [--quiet] [--dry-run] [--queue URL]
                   [--sample N [--sample-seed S]] [--no-reuse] [--no-batch]

Runs an experiment on every point of a grid (the product of the --over lists) and every seed, in
parallel worker processes (default: one per core, each single-threaded), and writes one summary
table: final accuracies per method, mean ± std over seeds, and the gap between the first two methods
(synthetic: P-only test accuracy of L-S minus S; images: clean validation accuracy, large minus small LR).
Compatible grid points train together: the point runs whose parts share shapes (synthetic: the same
update, n, d, block widths, reduced Q block, dtype and SGD batch size, on the block net) are split into
groups, as many as workers, and each worker process trains its group's parts as ONE batched program
(each op of a step made once for all parts; each part keeps its own learning rate, noise and stopping
rules, and its results equal those of running it alone). A run that waits for a part another run
trains comes in a later group, so no part is trained twice. With --queue every part is a job of its
own (not batched).

  --over key=v1,v2   a config key (dotted) and its values, e.g. --over train.eta1=0.01,0.02,0.04
  --over key=lin:a:b:n   n evenly spaced values from a to b (lin:0.1:0.5:5 = 0.1, 0.2, ..., 0.5)
  --over key=log:a:b:n   n values evenly spaced in log scale (log:0.001:0.1:3 = 0.001, 0.01, 0.1)
  --sample N         random search: N points instead of the grid, each key drawn independently (lin:a:b
                     uniform, log:a:b log-uniform, a list one of its values; n may be left out)
  --sample-seed S    the random search's seed (default: the config's seed); the same seed, the same points
  --no-reuse         train every part; by default a part already run (same part identity: kind, the
                     part's own config, seed, code version) in this sweep or in any run folder under the
                     runs folder that holds the sweep is copied, not trained again (where train.tau0 is
                     fixed S does not depend on L-S's eta1: a sweep over train.eta1 trains S and S+noise
                     once per seed; with tau0 null, as in gap and paper, eta1 sets every method's init)
  --no-batch         one worker process per point run, its parts trained one by one (same results)
  --experiment E     ${experimentKinds().join(' or ')} (default: the kind whose preset --preset names, else ${experimentKinds()[0]})
  --workers K        worker processes (default: ${availableParallelism()})
  --dry-run          print the base config (JSON, on stdout), the grid points, the parts to train and reuse,
                     and the worker processes' groups (which point runs train together), then exit
  --queue URL        train every part on queue workers (\`lrlab worker\`) through Redis instead of local
                     processes: redis://[user:password@]host:port[/db] (README: Distributed sweeps)
Other options as in \`lrlab <experiment>\`. Presets: ${experiments().map((e) => `${e.kind}: ${Object.keys(e.presets).join(', ')}`).join('; ')}.
An interrupted sweep continues with \`lrlab resume DIR\` (finished runs are not rerun).`;
  },
};

export const workerHead: CommandHead = {
  name: 'worker',
  summary: 'take parts of --queue runs and sweeps from a Redis queue and train them (on any machine)',
  usage: `usage: lrlab worker --queue redis://[user:password@]host:port[/db] [--concurrency N] [--device cpu|cuda]
                    [--threads T] [--shared-dir] [--lock-seconds S] [--idle-exit S]

Takes parts (one method on one seed) of runs and sweeps started with --queue from the queue, trains
them and sends their metrics rows, checkpoints and part files back through Redis to the process that
owns the run folder. Start as many as you like, on any machine with this version of lrlab (a worker
of another version refuses the parts and stops) and with the runs' data at the same paths.

  --queue URL        the Redis server (rediss:// for TLS). Without a password in the URL it is taken
                     from ${PASSWORD_ENV.join(' or ')} (which keeps it out of the process list)
  --concurrency N    parts at a time, in N worker processes (default 1)
  --device D         ${DEVICES.join(' or ')}: this worker takes the parts whose config asks for D (default cpu)
  --threads T        libtorch threads per worker process (default: the cores / N)
  --shared-dir       the run folders are on a filesystem this machine shares with the coordinator:
                     keep each part's checkpoints there instead of sending them through Redis
  --lock-seconds S   a lost worker's part goes to another worker after about S seconds (default 30)
  --idle-exit S      stop after S seconds without a part (default: never), e.g. in a batch job

SIGINT/SIGTERM: the running part is checkpointed and put back on the queue, then the worker stops.`,
};

export const resumeHead: CommandHead = {
  name: 'resume',
  summary: 'continue an interrupted run or sweep from its checkpoints',
  usage: 'usage: lrlab resume RUN_DIR [--quiet] [--queue URL] [--no-reuse] [--no-batch] [--workers N]\n\nContinues the run (or sweep) in RUN_DIR from its last checkpoints; finished parts are not rerun.\n'
    + 'A run or sweep started with --queue re-attaches to its queue (recorded in RUN_DIR/queue.json without the password;\n'
    + 'give the password with --queue URL or LRLAB_QUEUE_PASSWORD) and queues no part twice.\n'
    + 'A run without a checkpoint copies parts already run under its runs folder (same part identity) unless --no-reuse.\n'
    + '--no-batch trains the parts one by one (by default parts that share shapes train as one batched program, with the same results);\n'
    + 'for a sweep, one worker process per point run (by default compatible point runs share a process and a batched program).\n'
    + '--workers N trains a run\'s parts in N processes side by side (default: one per core where the parts\' ops are small;\n'
    + '1 when LRLAB_NUM_THREADS is set); a sweep keeps the --workers it was started with.',
};

export const reportHead: CommandHead = {
  name: 'report',
  summary: 'write an HTML report (figures and tables) for run folders',
  usage: `usage: lrlab report RUN_DIR... [--out PATH]

RUN_DIR is a run folder, or a folder of runs (a sweep folder, runs/): every run folder in it.
A sweep leads with its own section: the swept keys and values, a table with one row per grid point
(each method's mean ± std over seeds, the gap between the two compared methods with its std and
seed count, seeds finished) and plots of the gap and of each method vs the swept parameter (error
bars: ± one std over seeds; a heatmap for two swept keys); then a section per run.

Writes a self-contained report.html (inline SVG charts, no scripts, works offline) and the charts as
SVG files next to it: for image runs the paper's Figure 3 (clean and patch-only validation accuracy)
and Figure 1 (train and validation accuracy, annealing shaded), and Table 1 / Table 2 with the
paper's numbers beside ours; for synthetic runs the test accuracy per component and the Q-contrast
vs step, and the final accuracy per component.

options:
  --out PATH   a .html file (the SVGs go beside it), or a folder to write report.html and the SVGs into
               (default: RUN_DIR/report.html for one folder, ./report.html for several)`,
};

export const exportHead: CommandHead = {
  name: 'export',
  summary: 'the metrics of runs (or sweeps) as one tidy table: CSV, Parquet or JSON lines',
  usage: `usage: lrlab export RUN_DIR... --out FILE [--format csv|parquet|jsonl] [--wide]

Writes the metrics of every run under RUN_DIR (a run folder, a sweep, or a folder of runs such as
runs/) as one tidy table that pandas, polars or R read as it is.

Long form (default): one row per recorded value, with the columns
  run     the run folder, relative to the folder that holds all given runs (sweep/points/p000/seed0)
  point   the sweep's grid point (p000, ...), empty for a run of no sweep
  <key>   for sweeps: one column per swept config key (e.g. train.eta1), the point's value
  method, seed, step, epoch (empty for synthetic runs)
  metric  what was measured, nested groups as 'group.key' (val_acc.clean, test_acc.p_only, lr, ...)
  value   the number (booleans as 1/0; empty for a value not recorded, e.g. after a divergence)
Wide form (--wide): one row per evaluation, one column per metric.

options:
  --out FILE      the file to write (required)
  --format F      csv, parquet or jsonl (default: from the extension of --out: .csv, .parquet or .pq, .jsonl or .ndjson;
                  a name without one: csv; another extension is refused)
  --wide          one column per metric instead of one row per value

  pandas:  pd.read_parquet('m.parquet')  or  pd.read_csv('m.csv')
  polars:  pl.read_parquet('m.parquet')  or  pl.read_ndjson('m.jsonl')`,
};

export const serveHead: CommandHead = {
  name: 'serve',
  summary: 'a local web dashboard of the runs (live curves, sweeps, comparisons, exports; start, stop and resume runs)',
  usage: `usage: lrlab serve [--port N] [--host H] [--runs DIR]

Serves a dashboard at http://H:N/ that lists the runs in DIR (kind, preset, methods, seeds, status,
final numbers; runs of a sweep grouped under it; columns from any config key, sorted and filtered),
shows a run's curves (per-seed or mean ± std; losses, learning rate and noise too), tables and
config, updates them live while the run trains, overlays runs of one kind, diffs two configs, shows
a sweep's table and gap plots, and downloads the export (csv, parquet, jsonl) of runs or a sweep.
Its "new run" form and the synthetic playground start runs (lrlab <kind> --config FILE, as child
processes of the server); stop (they checkpoint) and resume them there. Works offline. Every
state-changing request needs the random token written into the page the server serves, this
server's Host and Origin (other web pages get 403). Ctrl-C stops it and the runs it started (they
checkpoint; lrlab resume DIR continues them).

options:
  --port N    port (default 8765; 0: any free port)
  --host H    address to listen on (default 127.0.0.1: only this machine can connect; on any other
              address the dashboard is read-only: no run can be started or stopped from it)
  --runs DIR  the runs folder (default ./runs; created when missing). Its index is DIR/.lrlab-index.sqlite`,
};

export const indexHead: CommandHead = {
  name: 'index',
  summary: 'sync or rebuild the runs index and list runs (filter by kind/preset/status)',
  usage: `usage: lrlab index [--rebuild] [--runs DIR] [--kind K] [--preset P] [--status S] [--json]

Brings the runs index DIR/.lrlab-index.sqlite up to date with the run folders (only folders whose
files changed are read again) and lists the runs, most recently updated first. The folders are the
source of truth; the index only makes listing and filtering fast.

options:
  --rebuild   empty the index and read every run folder again
  --runs DIR  the runs folder (default ./runs)
  --kind K    only runs of kind K (an experiment kind: synthetic, images, ...)
  --preset P  only runs of preset P
  --status S  only runs in state S: ${RUN_STATES.join(', ')} (or unknown: no readable status.json)
  --json      one JSON object per run instead of a table`,
};

export const schemaHead: CommandHead = {
  name: 'schema',
  summary: "print the JSON Schema of an experiment's config (for editors and forms)",
  get usage() {
    return `usage: lrlab schema KIND

Prints the JSON Schema (draft 2020-12) of a complete config of experiment KIND (${experimentKinds().join(', ')}):
every key, its type, its bounds and its allowed values. Save it and point your editor at it, e.g.
  lrlab schema images > images.schema.json`;
  },
};

export const infoHead: CommandHead = {
  name: 'info',
  summary: 'show the engine configuration (kernels, threads, BLAS, CUDA)',
  usage: `usage: lrlab info [--build]

Prints the engine's configuration: the OpenBLAS kernels in use and why (chosen from the CPU's flags
and checked at start-up, set by the user with OPENBLAS_CORETYPE, or OpenBLAS's own after a failed
check), the number of intra-op threads (LRLAB_NUM_THREADS; a run sets its own from its kind unless
that is set) and of OpenBLAS's threads, whether CUDA is available, and the BLAS libraries loaded.

options:
  --build  also print libtorch's build configuration (compiler flags, versions, BLAS and LAPACK)`,
};

export const runGroupHead: CommandHead = {
  name: 'run-group',
  hidden: true,
  summary: 'internal: run several run folders as one batched group (a local sweep\'s worker process)',
  usage: `usage: lrlab run-group FILE [--quiet] [--no-batch] [--progress]

Internal (what each worker process of \`lrlab sweep\` runs): runs (or continues) the run folders listed
in FILE, a JSON list [{"config": {...}, "out": "DIR"}, ...] of one experiment kind, in this process;
the parts still to do of all of them train together as one batched program where their configs
share shapes (each part's results equal those of running it alone), each part with its own rows,
checkpoint and part file in its own run folder, each run with its own summary.json. It trains every
part it needs (the sweep copies the parts other runs have trained in before it starts a group).

  --quiet      no progress bar
  --no-batch   run the folders one after another, their parts one by one
  --progress   print {"progress": F, "info": "..."} lines on stdout (F: the fraction done)

SIGINT/SIGTERM: every unfinished part is checkpointed, then it stops (exit 130).`,
};

export const runShareHead: CommandHead = {
  name: 'run-share',
  hidden: true,
  summary: 'internal: train some parts of a run beside the processes that train its others',
  usage: `usage: lrlab run-share FILE [--progress]

Internal (what each process of a run trained side by side runs): trains the parts listed in FILE,
{"config": {...}, "out": "DIR", "parts": [{"method": "S", "seed": 0}, ...]}, of the run in DIR as one
batched program, each part from its checkpoint where it has one, its rows appended to DIR's
metrics.jsonl and its part file written; the run's own process cuts the rows and writes summary.json.

  --progress   print {"progress": F, "info": "..."} lines on stdout (F: the fraction of these parts done)

SIGINT/SIGTERM: its parts are checkpointed, then it stops (exit 130).`,
};
