// The dashboard server: the API over fixture runs, no file outside the runs folder reachable, and
// server-sent events that stream rows appended to metrics.jsonl.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDashboard, type Dashboard } from './server.js';
import { syntheticRow, writeImageRun, writeSyntheticRun } from '../report/fixtures.testutil.js';
import { main } from '../cli/main.js';

interface Reply { status: number; type: string; body: string }

/** GET a raw path (sent exactly as given: no client-side normalization of '..'). */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => ok({ status: res.statusCode!, type: String(res.headers['content-type'] ?? ''), body }));
    });
    req.on('error', fail);
    req.end();
  });
}

async function setup(t: { after: (fn: () => unknown) => void }): Promise<{ root: string; outside: string; d: Dashboard }> {
  const base = mkdtempSync(join(tmpdir(), 'lrlab-server-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const root = join(base, 'runs');
  const outside = join(base, 'secret');
  mkdirSync(outside);
  writeFileSync(join(outside, 'passwd'), 'root:x:0:0:SECRET');
  writeFileSync(join(outside, 'config.json'), '{"kind":"synthetic","preset":"SECRET","methods":[]}');
  writeSyntheticRun(join(root, 'syn'), { seeds: 1, steps: 300, every: 100, done: false });
  writeImageRun(join(root, 'img'), { preset: 'patch', epochs: 3 });
  symlinkSync(outside, join(root, 'link-out'));
  symlinkSync(join(outside, 'passwd'), join(root, 'syn', 'passwd-link'));
  const d = await startDashboard({ runsDir: root, port: 0, pollMs: 50 });
  t.after(() => d.close());
  return { root, outside, d };
}

test('path traversal: encoded and plain ../, absolute paths, symlinks out, hidden files all refused', async (t) => {
  const { d } = await setup(t);
  const attempts: [string, number[]][] = [
    ['/api/runs/..%2F..%2Fetc%2Fpasswd', [400]],
    ['/api/runs/..%2F..%2Fsecret', [400]],
    ['/api/runs/%2E%2E%2Fsecret/events', [400]],
    ['/api/events?run=img&run=..%2Fsecret', [400]],
    ['/api/events?run=link-out', [404]],
    ['/api/events', [400]],
    ['/api/runs/%2Fetc', [400]],
    ['/api/runs/link-out', [404]],
    ['/api/charts?run=..%2Fsecret', [400]],
    ['/api/charts?run=link-out', [404]],
    ['/files/../../x', [400]],
    ['/files/../secret/passwd', [400]],
    ['/files/%2e%2e/%2e%2e/etc/passwd', [400]],
    ['/files/..%2f..%2fetc%2fpasswd', [400]],
    ['/files/%252e%252e/secret/passwd', [404]],
    ['/files/..%5c..%5csecret%5cpasswd', [400]],
    ['/files/syn/..%00/passwd', [400]],
    ['/files/%2Fetc%2Fpasswd', [400]],
    ['/files//etc/passwd', [400]],
    ['/files/link-out/passwd', [404]],
    ['/files/syn/passwd-link', [404]],
    ['/files/.lrlab-index.sqlite', [404]],
    ['/files/syn', [404]],
    ['/files/%ZZ', [400]],
    ['/vendor/../package.json', [400]],
    ['/vendor/vega.js', [404]],
    ['/vendor/..%2F..%2Fpackage.json', [400]],
    ['/..%2Fpackage.json', [400]],
    ['/../../../etc/passwd', [400]],
    ['/app.js/../../package.json', [400]],
  ];
  for (const [path, codes] of attempts) {
    const r = await get(d.port, path);
    assert.ok(codes.includes(r.status), `${path}: got ${r.status} ${r.body}`);
    assert.ok(!r.body.includes('SECRET') && !r.body.includes('root:') && !r.body.includes('"name": "lrlab"'), `${path} leaked: ${r.body}`);
  }
  // what is allowed still works
  const cfg = await get(d.port, '/files/syn/config.json');
  assert.equal(cfg.status, 200);
  assert.equal(JSON.parse(cfg.body).kind, 'synthetic');
  assert.equal((await get(d.port, '/vendor/vega.min.js')).status, 200);
  assert.equal((await get(d.port, '/vendor/vega-lite.min.js')).status, 200);
  assert.match((await get(d.port, '/')).body, /<title>lrlab dashboard<\/title>/);
  assert.equal((await get(d.port, '/app.js')).status, 200);
  // a foreign Host header (DNS rebinding) is refused
  assert.equal((await get(d.port, '/api/runs', { Host: 'evil.example:80' })).status, 403);
});

test('API: runs listed and filtered, a run\'s details and tables, chart specs, overlays of one kind only', async (t) => {
  const { d } = await setup(t);
  const all = JSON.parse((await get(d.port, '/api/runs')).body);
  assert.deepEqual(all.runs.map((r: { id: string }) => r.id).sort(), ['img', 'syn']);
  assert.equal(all.total, 2);
  const imgs = JSON.parse((await get(d.port, '/api/runs?kind=images&preset=patch')).body);
  assert.deepEqual(imgs.runs.map((r: { id: string }) => r.id), ['img']);
  assert.equal((await get(d.port, '/api/runs?limit=abc')).status, 400);
  const det = JSON.parse((await get(d.port, '/api/runs/img')).body);
  assert.equal(det.kind, 'images');
  assert.equal(det.tables[0].header[3], 'paper (Table 2): mixed');
  const charts = JSON.parse((await get(d.port, '/api/charts?run=img')).body);
  assert.deepEqual(charts.charts.map((c: { id: string }) => c.id).slice(0, 2), ['figure3', 'figure1']);
  assert.deepEqual(charts.charts[0].spec.data, { name: 'rows' });
  const bad = await get(d.port, '/api/charts?run=img&run=syn');
  assert.equal(bad.status, 400);
  assert.match(JSON.parse(bad.body).error, /cannot overlay runs of different kinds/);
  assert.equal((await get(d.port, '/api/runs/nope')).status, 404);
  // hyperparameter columns, config keys, curves, the form's kinds, the export download
  const withParam = JSON.parse((await get(d.port, '/api/runs?param=train.maxSteps&param=no.such')).body);
  const syn = withParam.runs.find((r: { id: string }) => r.id === 'syn');
  assert.deepEqual(syn.params, { 'train.maxSteps': 300, 'no.such': null });
  assert.equal(syn.sweep, null);
  const keys = JSON.parse((await get(d.port, '/api/config-keys?kind=synthetic')).body).keys.map((k: { key: string }) => k.key);
  assert.ok(keys.includes('train.maxSteps') && keys.includes('methods.0') && !keys.some((k: string) => k.startsWith('dataset')), keys.join());
  const curves = JSON.parse((await get(d.port, '/api/curves?run=img&perSeed=1')).body);
  assert.deepEqual(curves.charts.map((c: { id: string }) => c.id), ['curves-loss', 'curves-acc', 'curves-schedule']);
  const kinds = JSON.parse((await get(d.port, '/api/kinds')).body).kinds;
  const sk = kinds.find((k: { kind: string }) => k.kind === 'synthetic');
  assert.equal(sk.schema.properties.train.properties.eta1.type, 'number');
  assert.ok(sk.presets.some((p: { name: string; config: { kind: string } }) => p.name === 'default' && p.config.kind === 'synthetic'));
  const dl = await get(d.port, '/api/export?run=syn&format=jsonl');
  assert.equal(dl.status, 200);
  assert.match(dl.type, /ndjson/);
  assert.ok(dl.body.trim().split('\n').length > 12, 'one line per recorded value');
  assert.equal((await get(d.port, '/api/export?run=syn&format=xls')).status, 400);
  assert.equal((await get(d.port, '/api/sweeps/syn')).status, 404);
  assert.deepEqual(JSON.parse((await get(d.port, '/api/sweeps')).body).sweeps, []);
});

/** Collect server-sent events from `path` until `until(events)` holds (or the timeout). */
function events(port: number, path: string, until: (ev: { event: string; data: unknown; id?: string }[]) => boolean, headers: Record<string, string> = {}, onOpen?: () => void) {
  return new Promise<{ event: string; data: unknown; id?: string }[]>((ok, fail) => {
    const got: { event: string; data: unknown; id?: string }[] = [];
    let buf = '';
    const req = request({ host: '127.0.0.1', port, path, headers }, (res: IncomingMessage) => {
      assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
      onOpen?.();
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          const id = /^id: (.*)$/m.exec(block)?.[1];
          if (ev && data) got.push({ event: ev, data: JSON.parse(data), ...(id !== undefined ? { id } : {}) });
        }
        if (until(got)) { clearTimeout(timer); req.destroy(); ok(got); }
      });
    });
    const timer = setTimeout(() => { req.destroy(); fail(new Error(`timeout; got ${JSON.stringify(got.map((g) => g.event))}`)); }, 8000);
    req.on('error', (e) => { if (!req.destroyed) fail(e); });
    req.end();
  });
}

test('SSE: all rows first, then the rows appended to metrics.jsonl (a torn line waits), reset on truncation', async (t) => {
  const { root, d } = await setup(t);
  const metrics = join(root, 'syn', 'metrics.jsonl');
  const before = readFileSync(metrics, 'utf8');
  const n0 = before.trim().split('\n').length;
  const rowsOf = (ev: { event: string; data: unknown }[]) => ev.filter((e) => e.event === 'rows').flatMap((e) => e.data as { step: number }[]);
  const newRows = [400, 500].map((s) => syntheticRow('S', 1, 0, s));
  let appended = false;
  const got = await events(d.port, '/api/runs/syn/events', (ev) => {
    const rows = rowsOf(ev);
    if (!appended && rows.length === n0) {
      appended = true;
      appendFileSync(metrics, JSON.stringify(newRows[0]) + '\n' + JSON.stringify(newRows[1]).slice(0, 30));
      setTimeout(() => appendFileSync(metrics, JSON.stringify(newRows[1]).slice(30) + '\n'), 200);
    }
    return rows.length >= n0 + 2;
  });
  assert.equal(got[0]!.event, 'rows', 'the existing rows come first');
  assert.equal((got[0]!.data as unknown[]).length, n0);
  assert.ok(got.some((e) => e.event === 'status' && (e.data as { state: string }).state === 'running'));
  const later = got.filter((e) => e.event === 'rows').slice(1).flatMap((e) => e.data as object[]);
  assert.deepEqual(later, newRows, 'the appended rows, each once, the torn line only when complete');

  // a reconnect with Last-Event-ID (the byte offset) gets only what came after it
  const size = readFileSync(metrics).length;
  const extra = syntheticRow('L-S', 0, 0, 600);
  const again = await events(d.port, '/api/runs/syn/events', (ev) => rowsOf(ev).length >= 1, { 'Last-Event-ID': String(size) },
    () => setTimeout(() => appendFileSync(metrics, JSON.stringify(extra) + '\n'), 100));
  assert.deepEqual(rowsOf(again), [extra]);

  // a resume truncates the file: 'reset', then the rows from the start
  const reset = await events(d.port, `/api/runs/syn/events?offset=${size}`, (ev) => ev.some((e) => e.event === 'reset') && rowsOf(ev).length > 0, {},
    () => setTimeout(() => truncateSync(metrics, before.indexOf('\n') + 1), 100));
  assert.equal(rowsOf(reset).length, 1);
});

test('SSE of several runs on one connection: each event names its run, a reconnect goes on from every run\'s offset', async (t) => {
  const { root, d } = await setup(t);
  const metrics = { syn: join(root, 'syn', 'metrics.jsonl'), img: join(root, 'img', 'metrics.jsonl') };
  const lines = (f: string) => readFileSync(f, 'utf8').trim().split('\n').length;
  type Rows = { run: string; rows: { step?: number }[] };
  const rowsOf = (ev: { event: string; data: unknown }[], run: string) => ev.filter((e) => e.event === 'rows' && (e.data as Rows).run === run).flatMap((e) => (e.data as Rows).rows);
  const all = await events(d.port, '/api/events?run=syn&run=img', (ev) => rowsOf(ev, 'syn').length === lines(metrics.syn) && rowsOf(ev, 'img').length === lines(metrics.img)
    && ['syn', 'img'].every((r) => ev.some((e) => e.event === 'status' && (e.data as { run: string }).run === r)));
  const status = all.find((e) => e.event === 'status' && (e.data as { run: string }).run === 'syn')!.data as { run: string; state: string };
  assert.equal(status.state, 'running');
  // each rows event's id: every run's byte offset so far, in the order of the request's ids
  const lastId = JSON.parse(all.filter((e) => e.event === 'rows').at(-1)!.id!) as number[];
  assert.deepEqual(lastId, [readFileSync(metrics.syn).length, readFileSync(metrics.img).length]);
  // a reconnect with that id gets only the rows appended since, for the run they were appended to;
  // a run that is not there (deleted while shown) is left out, and the others stay live
  const extra = syntheticRow('L-S', 0, 0, 700);
  const again = await events(d.port, '/api/events?run=syn&run=gone&run=img', (ev) => rowsOf(ev, 'syn').length >= 1,
    { 'Last-Event-ID': JSON.stringify([lastId[0], 0, lastId[1]]) }, () => setTimeout(() => appendFileSync(metrics.syn, JSON.stringify(extra) + '\n'), 100));
  assert.deepEqual(rowsOf(again, 'syn'), [extra]);
  assert.deepEqual(rowsOf(again, 'img'), []);
  assert.ok(again.every((e) => (e.data as { run: string }).run !== 'gone'));
  assert.deepEqual(JSON.parse(again.filter((e) => e.event === 'rows').at(-1)!.id!), [readFileSync(metrics.syn).length, 0, lastId[1]]);
  assert.equal((await get(d.port, '/api/events?run=gone&run=also-gone')).status, 404);
});

test('lrlab serve: a bad --port is a usage error', async () => {
  const err: string[] = [];
  const error = console.error;
  console.error = (...a: unknown[]) => { err.push(a.join(' ')); };
  try { assert.equal(await main(['serve', '--port', 'abc']), 2); } finally { console.error = error; }
  assert.equal(err[0], "lrlab serve: --port must be an integer in 0..65535, got 'abc'");
});

test('lrlab serve --port 0 --runs DIR: prints its URL, serves the runs, stops cleanly on SIGTERM', { timeout: 30_000 }, async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'lrlab-serve-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  writeSyntheticRun(join(base, 'runs', 'syn'), { seeds: 1, steps: 100 });
  const bin = fileURLToPath(new URL('../../bin/lrlab.js', import.meta.url));
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--runs', join(base, 'runs')], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  let out = '';
  const url = await new Promise<string>((ok, fail) => {
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); const m = /lrlab dashboard: (http:\/\/\S+)/.exec(out); if (m) ok(m[1]!); });
    child.on('exit', (code) => fail(new Error(`exited with ${code}: ${out}`)));
  });
  assert.match(out, /1 runs indexed/);
  const port = Number(new URL(url).port);
  const list = JSON.parse((await get(port, '/api/runs')).body);
  assert.deepEqual(list.runs.map((r: { id: string }) => r.id), ['syn']);
  const code = await new Promise<number | null>((ok) => { child.on('exit', (c) => ok(c)); child.kill('SIGTERM'); });
  assert.equal(code, 0);
});
