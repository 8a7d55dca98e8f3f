// The local dashboard's HTTP server (node:http, no framework): the page (web/), the Vega and
// Vega-Lite browser builds (from node_modules, so it works offline), the JSON API, server-sent
// events of growing metrics, and read-only access to files inside the runs folder. Nothing outside
// the runs folder, web/ and the two vendor files can be read through it. State changes (starting,
// stopping, resuming runs) are POSTs that security.ts guards: the per-server token written into the
// served page, this server's Host, its own Origin; else 403 before anything happens.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { RunsIndex } from './runsIndex.js';
import { PathError, checkRawPath, decodeSegment, resolveInside } from './safePath.js';
import { chartsFor, configKeys, curvesFor, listRuns, runDetail, runDir } from './api.js';
import { resumeOffsets, streamRun, streamRuns } from './sse.js';
import { newToken, ownHosts, refuseChange } from './security.js';
import { Launcher, LaunchError, parseLaunchBody } from './launcher.js';
import { exportDownload, listSweeps, sweepDetail } from './sweepsApi.js';
import { kindsForForm } from './kindsApi.js';
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
  /** Environment of the runs it starts (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

export interface Dashboard {
  url: string; port: number; index: RunsIndex; server: Server;
  /** The token state-changing requests must carry (in the X-Lrlab-Token header); the served page has it. */
  token: string;
  launcher: Launcher;
  /** Stop the runs it started (they checkpoint), then the server. */
  close(): Promise<void>;
}

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

function sendText(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

class BodyError extends Error {
  constructor(readonly status: 400 | 413 | 415, message: string) { super(message); }
}

/** A JSON request body (Content-Type application/json, at most 64 KiB). */
async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) { req.resume(); throw new BodyError(415, 'the request body must be JSON (Content-Type: application/json)'); }
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > 64 * 1024) throw new BodyError(413, 'the request body is larger than 64 KiB');
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try { return text.trim() === '' ? {} : JSON.parse(text); } catch { throw new BodyError(400, 'the request body is not valid JSON'); }
}

function readJsonOr(path: string): unknown {
  try { return JSON.parse(readFileSync(path, 'utf8')); } catch { return null; }
}

function sendFile(req: IncomingMessage, res: ServerResponse, path: string, cache = 'no-cache'): void {
  const st = statSync(path);
  res.writeHead(200, { 'Content-Type': TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream', 'Content-Length': st.size, 'Cache-Control': cache });
  if (req.method === 'HEAD') { res.end(); return; }
  createReadStream(path).pipe(res);
}

const isLoopback = (h: string) => h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);

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

  const token = newToken();
  const launcher = new Launcher(root, o.env);
  let hosts = new Set<string>();
  const page = () => readFileSync(join(WEB_DIR, 'index.html'), 'utf8').replace('</head>', `<meta name="lrlab-token" content="${token}">\n</head>`);

  const handleGet = (req: IncomingMessage, res: ServerResponse, raw: string, query: URLSearchParams) => {
    const segs = raw.split('/').slice(1);
    const [head, ...rest] = segs;
    if (raw === '/' || raw === '/index.html') return sendText(res, 200, page(), TYPES['.html']!);
    if (segs.length === 1 && head && /^[a-z]+\.(js|css)$/.test(head)) return sendFile(req, res, resolveInside(WEB_DIR, head, 'file'));
    if (head === 'vendor' && rest.length === 1 && Object.hasOwn(vendor, rest[0]!)) return sendFile(req, res, vendor[rest[0]!]!, 'max-age=3600');
    if (head === 'files' && rest.length > 0) return sendFile(req, res, resolveInside(root, rest.map(decodeSegment).join('/'), 'file'));
    if (head === 'api') {
      const [what, enc, sub] = rest;
      if (what === 'runs' && rest.length === 1) return sendJson(res, 200, listRuns(index, query));
      if (what === 'runs' && enc && rest.length <= 3) {
        const id = decodeSegment(enc);
        if (sub === undefined) return sendJson(res, 200, { ...runDetail(root, id), launched: launcher.get(id) });
        if (sub === 'events' && rest.length === 3) {
          // a reconnecting EventSource sends the id of the last event it got: the offset to go on from
          const offset = Number(req.headers['last-event-id'] ?? query.get('offset') ?? 0);
          return streamRun(req, res, runDir(root, id), { pollMs: o.pollMs, offset: Number.isFinite(offset) && offset >= 0 ? offset : 0 });
        }
      }
      if (rest.length === 1) {
        if (what === 'events') {
          // the runs' events on one connection (a browser keeps 6 to a server); a reconnect names the offsets to go on from
          // (a run that is not there, e.g. deleted while shown, is left out: the others stay live; 404 only where none is there)
          const ids = [...new Set(query.getAll('run'))];
          if (ids.length === 0) throw new PathError(400, 'events: name the runs (?run=ID&run=ID2...)');
          const runs = ids.flatMap((id, at) => {
            try { return [{ id, dir: runDir(root, id), at }]; } catch (e) { if (e instanceof PathError && e.status === 404) return []; throw e; }
          });
          if (runs.length === 0) throw new PathError(404, `no run ${ids.map((id) => `'${id}'`).join(', ')}`);
          return streamRuns(req, res, runs, { pollMs: o.pollMs, slots: ids.length, offsets: resumeOffsets(req.headers['last-event-id'] as string | undefined, ids.length) });
        }
        if (what === 'charts') return sendJson(res, 200, chartsFor(root, query.getAll('run')));
        if (what === 'curves') return sendJson(res, 200, curvesFor(root, query.getAll('run'), query.get('perSeed') === '1'));
        if (what === 'config-keys') return sendJson(res, 200, configKeys(index, query.get('kind') || undefined));
        if (what === 'kinds') return sendJson(res, 200, kindsForForm());
        if (what === 'launched') return sendJson(res, 200, { launched: launcher.list() });
        if (what === 'sweeps') return sendJson(res, 200, listSweeps(index));
        if (what === 'export') {
          const e = exportDownload(root, query);
          res.writeHead(200, { 'Content-Type': e.type, 'Content-Length': e.bytes.byteLength, 'Cache-Control': 'no-store', 'Content-Disposition': `attachment; filename="${e.filename}"`, 'X-Lrlab-Rows': String(e.rows) });
          res.end(Buffer.from(e.bytes));
          return;
        }
      }
      if (what === 'sweeps' && enc && rest.length === 2) return sendJson(res, 200, sweepDetail(root, decodeSegment(enc)));
    }
    sendJson(res, 404, { error: 'not found' });
  };

  /** POST /api/runs (start), /api/runs/ID/stop, /api/runs/ID/resume; the caller has checked the token, Host and Origin. */
  const handlePost = async (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const [api, what, enc, sub, ...more] = raw.split('/').slice(1);
    if (api !== 'api' || what !== 'runs' || more.length) return sendJson(res, 404, { error: 'not found' });
    const body = await readJsonBody(req);
    if (enc === undefined) {
      const started = await launcher.start(parseLaunchBody(body));
      index.sync();
      return sendJson(res, 201, started);
    }
    const id = decodeSegment(enc);
    const dir = runDir(root, id);
    if (sub === 'stop') {
      const code = await launcher.stop(id);
      index.sync();
      return sendJson(res, 200, { id, code, status: readJsonOr(join(dir, 'status.json')) });
    }
    if (sub === 'resume') {
      const r = await launcher.resume(id, dir);
      index.sync();
      return sendJson(res, 202, r);
    }
    sendJson(res, 404, { error: 'not found' });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const post = req.method === 'POST';
    if (!post && req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405, { Allow: 'GET, HEAD, POST' }).end(); return; }
    if (!allowedHost(req.headers.host, host)) { sendJson(res, 403, { error: 'unexpected Host header' }); return; }
    const raw = (req.url ?? '/').split('?')[0]!;
    const query = new URLSearchParams((req.url ?? '').includes('?') ? req.url!.slice(req.url!.indexOf('?') + 1) : '');
    checkRawPath(raw);
    if (!post) return handleGet(req, res, raw, query);
    // on another address anyone who reaches the port could read the page's token: read-only there
    const refused = !isLoopback(host) ? 'this dashboard listens beyond loopback (--host); it starts and stops runs only when bound to 127.0.0.1 or ::1'
      : refuseChange(req, { token, hosts });
    if (refused) { req.resume(); sendJson(res, 403, { error: refused }); return; }
    await handlePost(req, res, raw);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) { res.destroy(); return; }
      if (e instanceof PathError || e instanceof LaunchError || e instanceof BodyError) sendJson(res, e.status, { error: e.message });
      else if (e instanceof RunFolderError) sendJson(res, 404, { error: e.message });
      else sendJson(res, 500, { error: (e as Error).message });
    });
  });
  await new Promise<void>((ok, fail) => { server.once('error', fail); server.listen(o.port ?? 8765, host, () => { server.off('error', fail); ok(); }); });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  hosts = ownHosts(host, port);
  return {
    url: `http://${shown}:${port}/`, port, index, server, token, launcher,
    close: async () => {
      await launcher.closeAll();
      await new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => { index.close(); ok(); }); });
    },
  };
}
