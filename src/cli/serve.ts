// `lrlab serve`: the local web dashboard over a runs folder (live curves while runs train).
import { parseArgs } from 'node:util';
import { type Command, UsageError } from './command.js';
import { commandOf, serveHead } from './help.js';
import { startDashboard } from '../server/server.js';

export const serveCommand: Command = commandOf(serveHead, {
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
});
