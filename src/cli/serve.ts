// `lrlab serve`: the local web dashboard over a runs folder (live curves while runs train).
import { parseArgs } from 'node:util';
import { type Command, UsageError } from './command.js';
import { startDashboard } from '../server/server.js';

const USAGE = `usage: lrlab serve [--port N] [--host H] [--runs DIR]

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
  --runs DIR  the runs folder (default ./runs; created when missing). Its index is DIR/.lrlab-index.sqlite`;

export const serveCommand: Command = {
  name: 'serve',
  summary: 'a local web dashboard of the runs (live curves, sweeps, comparisons, exports; start, stop and resume runs)',
  usage: USAGE,
  async run(argv) {
    let v;
    try {
      v = parseArgs({ args: argv, strict: true, options: { port: { type: 'string' }, host: { type: 'string' }, runs: { type: 'string' } } }).values;
    } catch (e) { throw new UsageError((e as Error).message); }
    const port = Number(v.port ?? 8765);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer in 0..65535, got '${v.port}'`);
    const host = v.host ?? '127.0.0.1';
    let d;
    try {
      d = await startDashboard({ runsDir: v.runs ?? 'runs', host, port });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'EADDRINUSE') throw new UsageError(`port ${port} on ${host} is in use; choose another with --port`);
      if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') throw new UsageError(`cannot listen on --host ${host} (${err.code})`);
      throw e;
    }
    console.log(`lrlab dashboard: ${d.url}  (runs: ${d.index.root}; ${d.index.count()} runs indexed; Ctrl-C to stop)`);
    await new Promise<void>((done) => {
      const stop = () => { process.off('SIGINT', stop); process.off('SIGTERM', stop); void d.close().then(done); };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  },
};
