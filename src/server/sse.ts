// Server-sent events for one run: all metrics rows from a byte offset, then the rows appended to
// metrics.jsonl as the run trains (polled by size), 'reset' when the file shrank (a resume truncated
// it), and 'status' when status.json or summary.json changed.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { readAppended } from './jsonlTail.js';
import { isMetricsRow, readRunStatus } from '../report/runData.js';

export interface StreamOptions { pollMs?: number; heartbeatMs?: number; offset?: number }

const mtime = (p: string) => { try { return statSync(p).mtimeMs; } catch { return 0; } };

function send(res: ServerResponse, event: string, data: unknown, id?: number): void {
  res.write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** Stream the run folder `dir`'s metrics to `res` until the client goes away. */
export function streamRun(req: IncomingMessage, res: ServerResponse, dir: string, o: StreamOptions = {}): void {
  const pollMs = o.pollMs ?? 400;
  const metrics = join(dir, 'metrics.jsonl');
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no',
  });
  res.write(`retry: 2000\n\n`);
  let offset = o.offset ?? 0;
  let line = 1;
  let statusSig = '';
  const poll = () => {
    let r = readAppended(metrics, offset, line);
    if (r.truncated) {
      send(res, 'reset', { reason: 'metrics.jsonl shrank (the run was resumed from a checkpoint)' });
      offset = 0; line = 1;
      r = readAppended(metrics, 0, 1);
    }
    if (r.bad.length) send(res, 'warning', { message: r.bad.map((n) => `metrics.jsonl line ${n} is not valid JSON; skipped`).join('; ') });
    const rows = r.rows.filter(isMetricsRow);
    offset = r.offset;
    line += r.lines;
    if (rows.length) send(res, 'rows', rows, offset);
    const sig = `${mtime(join(dir, 'status.json'))}|${mtime(join(dir, 'summary.json'))}`;
    if (sig !== statusSig) {
      statusSig = sig;
      send(res, 'status', { ...readRunStatus(dir), summary: mtime(join(dir, 'summary.json')) > 0 });
    }
  };
  poll();
  const timer = setInterval(() => { try { poll(); } catch { /* the folder vanished: keep the stream, nothing to send */ } }, pollMs);
  const beat = setInterval(() => res.write(': ping\n\n'), o.heartbeatMs ?? 15000);
  const stop = () => { clearInterval(timer); clearInterval(beat); };
  req.on('close', stop);
  res.on('close', stop);
}
