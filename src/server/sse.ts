// Server-sent events of runs: all metrics rows from a byte offset, then the rows appended to
// metrics.jsonl as the run trains (polled by size), 'reset' when the file shrank (a resume truncated
// it), and 'status' when status.json or summary.json changed. One stream per run (streamRun), or one
// stream for several runs whose events name their run (streamRuns): a browser keeps at most 6
// connections to a server, so a page with a stream per run of 6 overlaid runs had none left for its
// other requests.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { readAppended } from './jsonlTail.js';
import { isMetricsRow, readRunStatus } from '../report/runData.js';

export interface StreamOptions { pollMs?: number; heartbeatMs?: number; offset?: number }

const mtime = (p: string) => { try { return statSync(p).mtimeMs; } catch { return 0; } };

type Emit = (event: string, data: Record<string, unknown> | unknown[]) => void;

/** A run folder's metrics and status read on from a byte offset: poll() emits what is new. */
class RunTail {
  private line = 1;
  private statusSig = '';
  constructor(private readonly dir: string, public offset: number) {}

  poll(emit: Emit): void {
    const metrics = join(this.dir, 'metrics.jsonl');
    let r = readAppended(metrics, this.offset, this.line);
    if (r.truncated) {
      emit('reset', { reason: 'metrics.jsonl shrank (the run was resumed from a checkpoint)' });
      this.offset = 0; this.line = 1;
      r = readAppended(metrics, 0, 1);
    }
    if (r.bad.length) emit('warning', { message: r.bad.map((n) => `metrics.jsonl line ${n} is not valid JSON; skipped`).join('; ') });
    const rows = r.rows.filter(isMetricsRow);
    this.offset = r.offset;
    this.line += r.lines;
    if (rows.length) emit('rows', rows);
    const sig = `${mtime(join(this.dir, 'status.json'))}|${mtime(join(this.dir, 'summary.json'))}`;
    if (sig !== this.statusSig) {
      this.statusSig = sig;
      emit('status', { ...readRunStatus(this.dir), summary: mtime(join(this.dir, 'summary.json')) > 0 });
    }
  }
}

/** Open `res` as an event stream that calls poll every pollMs (and at once) until the client goes away. */
function serve(req: IncomingMessage, res: ServerResponse, o: StreamOptions, poll: () => void): void {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no',
  });
  res.write(`retry: 2000\n\n`);
  poll();
  const timer = setInterval(() => { try { poll(); } catch { /* a folder vanished: keep the stream, nothing to send */ } }, o.pollMs ?? 400);
  const beat = setInterval(() => res.write(': ping\n\n'), o.heartbeatMs ?? 15000);
  const stop = () => { clearInterval(timer); clearInterval(beat); };
  req.on('close', stop);
  res.on('close', stop);
}

const frame = (event: string, data: unknown, id?: string) => `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/** Stream the run folder `dir`'s metrics to `res` until the client goes away (a 'rows' event's id is the byte offset read to). */
export function streamRun(req: IncomingMessage, res: ServerResponse, dir: string, o: StreamOptions = {}): void {
  const tail = new RunTail(dir, o.offset ?? 0);
  serve(req, res, o, () => tail.poll((event, data) => res.write(frame(event, data, event === 'rows' ? String(tail.offset) : undefined))));
}

/**
 * The byte offset to go on from for each of `count` runs (in the order of the request's run ids), from
 * the id of the last event a reconnecting EventSource got: streamRuns' ids are a JSON array of
 * offsets in that order (not keyed by run id: a browser sends the header as UTF-8, and Node reads it
 * as latin1); all 0 where the id is not such an array.
 */
export function resumeOffsets(lastEventId: string | undefined, count: number): number[] {
  const out = new Array<number>(count).fill(0);
  if (!lastEventId) return out;
  try {
    const v = JSON.parse(lastEventId) as unknown;
    if (Array.isArray(v) && v.length === count) v.forEach((n, i) => { if (typeof n === 'number' && Number.isInteger(n) && n >= 0) out[i] = n; });
  } catch { /* not one of ours: from the start */ }
  return out;
}

/**
 * Stream the metrics of several runs ({id, dir, at}) on one connection: each event's data names its
 * run ('rows': { run, rows }; 'reset', 'warning', 'status': the fields of streamRun's plus run), and a
 * 'rows' event's id is the byte offset each run has been read to, a JSON array of `slots` numbers with
 * run r's at r.at (the position of its id in the request; 0 for a slot no run holds), from which a
 * reconnect goes on (resumeOffsets).
 */
export function streamRuns(req: IncomingMessage, res: ServerResponse, runs: { id: string; dir: string; at: number }[], o: StreamOptions & { slots: number; offsets?: number[] }): void {
  const tails = runs.map((r) => ({ id: r.id, at: r.at, tail: new RunTail(r.dir, o.offsets?.[r.at] ?? 0) }));
  const offsets = () => {
    const v = new Array<number>(o.slots).fill(0);
    for (const t of tails) v[t.at] = t.tail.offset;
    return JSON.stringify(v);
  };
  serve(req, res, o, () => {
    for (const { id, tail } of tails) {
      try {
        tail.poll((event, data) => res.write(event === 'rows' ? frame('rows', { run: id, rows: data }, offsets()) : frame(event, { ...data, run: id })));
      } catch { /* this run's folder vanished: the others go on */ }
    }
  });
}
