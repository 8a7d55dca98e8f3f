// The local dashboard's HTTP server (node:http, no framework): the page (web/), the Vega and
// Vega-Lite browser builds (from node_modules, so it works offline), the JSON API, server-sent
// events of growing metrics, and read-only access to files inside the runs folder. Nothing outside
// the runs folder, web/ and the two vendor files can be read through it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { RunsIndex } from './runsIndex.js';
import { PathError, checkRawPath, decodeSegment, resolveInside } from './safePath.js';
import { chartsFor, listRuns, runDetail, runDir } from './api.js';
import { streamRun } from './sse.js';
import { RunFolderError } from '../report/runData.js';

export interface ServeOptions {
  runsDir: string;
  host?: string;
  /** 0: a free port. */
  port?: number;
  /** How often the event streams look at metrics.jsonl (ms). */
  pollMs?: number;
  /** Create the runs folder when it does not exist (default true). */
  create?: boolean;
}

export interface Dashboard { url: string; port: number; index: RunsIndex; server: Server; close(): Promise<void> }

const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.jsonl': 'text/plain; charset=utf-8', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.txt': 'text/plain; charset=utf-8', '.md': 'text/plain; charset=utf-8', '.log': 'text/plain; charset=utf-8',
};

/** The browser builds served under /vendor/ (a fixed list: no path from the URL reaches node_modules). */
export function vendorFiles(): Record<string, string> {
  const req = createRequire(import.meta.url);
  const vega = dirname(req.resolve('vega'));
  const vl = dirname(req.resolve('vega-lite'));
  return { 'vega.min.js': join(vega, 'vega.min.js'), 'vega-lite.min.js': join(vl, 'vega-lite.min.js') };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const s = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(s) });
  res.end(s);
}

function sendFile(req: IncomingMessage, res: ServerResponse, path: string, cache = 'no-cache'): void {
  const st = statSync(path);
  res.writeHead(200, { 'Content-Type': TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream', 'Content-Length': st.size, 'Cache-Control': cache });
  if (req.method === 'HEAD') { res.end(); return; }
  createReadStream(path).pipe(res);
}

/** Hosts a request may name (a guard against DNS rebinding when bound to loopback). */
function allowedHost(hostHeader: string | undefined, bound: string): boolean {
  if (bound === '0.0.0.0' || bound === '::') return true;
  const h = (hostHeader ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '').toLowerCase();
  return h === bound.toLowerCase() || h === 'localhost' || h === '127.0.0.1' || h === '::1';
}

/** Start the dashboard; resolves once it listens. */
export async function startDashboard(o: ServeOptions): Promise<Dashboard> {
  const root = resolve(o.runsDir);
  if (!existsSync(root)) {
    if (o.create === false) throw new Error(`runs folder ${o.runsDir} does not exist`);
    mkdirSync(root, { recursive: true });
  }
  const host = o.host ?? '127.0.0.1';
  const index = new RunsIndex(root);
  index.sync();
  const vendor = vendorFiles();

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405, { Allow: 'GET, HEAD' }).end(); return; }
    if (!allowedHost(req.headers.host, host)) { sendJson(res, 403, { error: 'unexpected Host header' }); return; }
    const raw = (req.url ?? '/').split('?')[0]!;
    const query = new URLSearchParams((req.url ?? '').includes('?') ? req.url!.slice(req.url!.indexOf('?') + 1) : '');
    checkRawPath(raw);
    const segs = raw.split('/').slice(1);
    const [head, ...rest] = segs;
    if (raw === '/' || raw === '/index.html') return sendFile(req, res, join(WEB_DIR, 'index.html'));
    if (segs.length === 1 && head && /^[a-z]+\.(js|css)$/.test(head)) return sendFile(req, res, resolveInside(WEB_DIR, head, 'file'));
    if (head === 'vendor' && rest.length === 1 && Object.hasOwn(vendor, rest[0]!)) return sendFile(req, res, vendor[rest[0]!]!, 'max-age=3600');
    if (head === 'files' && rest.length > 0) return sendFile(req, res, resolveInside(root, rest.map(decodeSegment).join('/'), 'file'));
    if (head === 'api') {
      const [what, enc, sub] = rest;
      if (what === 'runs' && rest.length === 1) return sendJson(res, 200, listRuns(index, query));
      if (what === 'runs' && enc && rest.length <= 3) {
        const id = decodeSegment(enc);
        if (sub === undefined) return sendJson(res, 200, runDetail(root, id));
        if (sub === 'events' && rest.length === 3) {
          // a reconnecting EventSource sends the id of the last event it got: the offset to go on from
          const offset = Number(req.headers['last-event-id'] ?? query.get('offset') ?? 0);
          return streamRun(req, res, runDir(root, id), { pollMs: o.pollMs, offset: Number.isFinite(offset) && offset >= 0 ? offset : 0 });
        }
      }
      if (what === 'charts' && rest.length === 1) return sendJson(res, 200, chartsFor(root, query.getAll('run')));
    }
    sendJson(res, 404, { error: 'not found' });
  };

  const server = createServer((req, res) => {
    try { handle(req, res); } catch (e) {
      if (res.headersSent) { res.destroy(); return; }
      if (e instanceof PathError) sendJson(res, e.status, { error: e.message });
      else if (e instanceof RunFolderError) sendJson(res, 404, { error: e.message });
      else sendJson(res, 500, { error: (e as Error).message });
    }
  });
  await new Promise<void>((ok, fail) => { server.once('error', fail); server.listen(o.port ?? 8765, host, () => { server.off('error', fail); ok(); }); });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/`, port, index, server,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => { index.close(); ok(); }); }),
  };
}
