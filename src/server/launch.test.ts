// Runs started through the dashboard's API: every state-changing request needs the page's token,
// this server's Host and (when sent) its own Origin, else 403 and no run folder; a bad config is a
// 400 with the CLI's one-line error; a good one runs as a child process from a config file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDashboard } from './server.js';
import { TOKEN_HEADER } from './security.js';
import { LaunchError, Launcher, runningPid } from './launcher.js';
import { readRunStatus } from '../report/runData.js';
import { syntheticPreset } from '../experiments/synthetic/presets.js';

interface Reply { status: number; body: string }

function post(port: number, path: string, body: string, headers: Record<string, string>): Promise<Reply> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'Content-Type': 'application/json', ...headers } }, (res) => {
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { b += c; });
      res.on('end', () => ok({ status: res.statusCode!, body: b }));
    });
    req.on('error', fail);
    req.end(body);
  });
}

/** A tiny synthetic run (a few hundred steps, small test sets). */
export const TINY = {
  'train.maxSteps': 300, 'train.annealAtStep': 150, 'train.noiseAnnealAtStep': 150, 'train.evalEvery': 50,
  'data.testSizes': { pOnly: 200, qOnly: 100, both: 100 },
};

test('POST /api/runs: without the token, with a foreign Origin or Host -> 403 and no run folder; bad config -> 400 naming the key', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'lrlab-launch-'));
  const root = join(base, 'runs');
  const d = await startDashboard({ runsDir: root, port: 0 });
  t.after(async () => { await d.close(); rmSync(base, { recursive: true, force: true }); });
  const own = { Host: `127.0.0.1:${d.port}`, Origin: `http://127.0.0.1:${d.port}`, [TOKEN_HEADER]: d.token };
  const body = JSON.stringify({ kind: 'synthetic', preset: 'default', overrides: TINY });
  const { [TOKEN_HEADER]: _t, ...noToken } = own;
  const refused: [string, Record<string, string>][] = [
    ['no token', noToken],
    ['a wrong token', { ...own, [TOKEN_HEADER]: 'x'.repeat(64) }],
    ['a foreign Origin', { ...own, Origin: 'http://evil.example' }],
    ['an Origin on another port', { ...own, Origin: `http://127.0.0.1:${d.port + 1}` }],
    ['a foreign Host', { ...own, Host: 'evil.example', Origin: 'http://evil.example' }],
    ['a Host on another port', { ...own, Host: `localhost:${d.port + 1}` }],
  ];
  for (const [what, headers] of refused) {
    const r = await post(d.port, '/api/runs', body, headers);
    assert.equal(r.status, 403, `${what}: ${r.body}`);
    assert.match(JSON.parse(r.body).error, /token|Origin|origin|Host/);
  }
  for (const path of ['/api/runs/x/stop', '/api/runs/x/resume']) assert.equal((await post(d.port, path, '{}', noToken)).status, 403);
  assert.deepEqual(readdirSync(root).filter((f) => !f.startsWith('.')), [], 'no run folder was made');
  assert.equal(existsSync(join(root, '.launched')), false, 'no config file was written');

  const bad = async (b: unknown, re: RegExp, status = 400) => {
    const r = await post(d.port, '/api/runs', JSON.stringify(b), own);
    assert.equal(r.status, status, r.body);
    const msg = JSON.parse(r.body).error as string;
    assert.match(msg, re);
    assert.ok(!msg.includes('\n'), 'one line');
  };
  await bad({ kind: 'synthetic', preset: 'default', overrides: { 'train.eta9': 1 } }, /unknown config key 'train\.eta9'/);
  await bad({ kind: 'synthetic', preset: 'default', overrides: { 'train.eta1': -1 } }, /config key 'train\.eta1'/);
  await bad({ kind: 'synthetic', preset: 'nope' }, /unknown synthetic preset 'nope'/);
  await bad({ kind: 'rm -rf /' }, /unknown experiment kind/);
  await bad({ kind: 'synthetic', argv: ['--out', '/'] }, /unknown field 'argv'/);
  await bad({ kind: 'synthetic', folder: '../x' }, /field 'folder'/);
  // a shorter run than the preset's schedule: the CLI's advice in the dashboard's words
  const shorter = { kind: 'synthetic', preset: 'default', overrides: { 'train.maxSteps': 3000 } };
  await bad(shorter, /or tick 'scale the schedule' \(scaleSchedule: true in the API\)/);
  const r = await post(d.port, '/api/runs', JSON.stringify(shorter), own);
  assert.ok(!JSON.parse(r.body).error.includes('--scale-schedule'), 'no CLI flag in the dashboard\'s message');
  await bad({ ...shorter, scaleSchedule: 'yes' }, /field 'scaleSchedule' must be true or false/);
  // the preset name becomes part of the folder name and the child's arguments: only the kind's own
  await bad({ kind: 'synthetic', preset: 'default', overrides: { preset: `x/../../../../${base.slice(1)}/evil` } }, /config key 'preset' must be one of the synthetic presets/);
  assert.deepEqual(readdirSync(base), ['runs'], 'no folder outside the runs folder');
  assert.equal((await post(d.port, '/api/runs', 'not json', own)).status, 400);
  assert.equal((await post(d.port, '/api/runs', '{}', { ...own, 'Content-Type': 'text/plain' })).status, 415);
  assert.deepEqual(readdirSync(root).filter((f) => !f.startsWith('.')), [], 'still no run folder');

  // the same request with the token, Host and Origin starts the run, from a config file, as a child process
  const ok = await post(d.port, '/api/runs', body, own);
  assert.equal(ok.status, 201, ok.body);
  const started = JSON.parse(ok.body) as { id: string; pid: number };
  assert.match(started.id, /^synthetic-default-/);
  assert.ok(existsSync(join(root, started.id, 'config.json')));
  const cfg = JSON.parse(readFileSync(join(root, started.id, 'config.json'), 'utf8'));
  assert.equal(cfg.train.maxSteps, 300);
  assert.equal(readdirSync(join(root, '.launched')).length, 1);
  const deadline = Date.now() + 60_000;
  while (d.launcher.get(started.id)?.state === 'running' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(d.launcher.get(started.id)?.code, 0, d.launcher.get(started.id)?.stderr);
  assert.ok(existsSync(join(root, started.id, 'summary.json')));
  // a run that is not running cannot be stopped; an unknown one is 404
  assert.equal((await post(d.port, `/api/runs/${started.id}/stop`, '{}', own)).status, 409);
  assert.equal((await post(d.port, '/api/runs/nope/stop', '{}', own)).status, 404);
  // scaleSchedule: the preset's schedule moved with the length, as --scale-schedule moves it
  const { 'train.annealAtStep': _a, 'train.noiseAnnealAtStep': _n, ...unscheduled } = TINY;
  const scaled = await post(d.port, '/api/runs', JSON.stringify({ kind: 'synthetic', preset: 'default', overrides: unscheduled, scaleSchedule: true, folder: 'scaled' }), own);
  assert.equal(scaled.status, 201, scaled.body);
  const sid = (JSON.parse(scaled.body) as { id: string }).id;
  const scfg = JSON.parse(readFileSync(join(root, sid, 'config.json'), 'utf8'));
  const preset = syntheticPreset('default');
  assert.equal(scfg.train.maxSteps, 300);
  assert.equal(scfg.train.annealAtStep, Math.round(preset.train.annealAtStep! * 300 / preset.train.maxSteps));
});

test('a dashboard listening beyond loopback is read-only: POST /api/runs gets 403 even with the token', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'lrlab-launch-'));
  const root = join(base, 'runs');
  const d = await startDashboard({ runsDir: root, host: '0.0.0.0', port: 0 });
  t.after(async () => { await d.close(); rmSync(base, { recursive: true, force: true }); });
  const own = { Host: `127.0.0.1:${d.port}`, Origin: `http://127.0.0.1:${d.port}`, [TOKEN_HEADER]: d.token };
  const r = await post(d.port, '/api/runs', JSON.stringify({ kind: 'synthetic', preset: 'default', overrides: TINY }), own);
  assert.equal(r.status, 403, r.body);
  assert.match(JSON.parse(r.body).error, /loopback/);
  assert.deepEqual(readdirSync(root).filter((f) => !f.startsWith('.')), [], 'no run folder was made');
});

test('runs started from the dashboard choose their threads as at the terminal; a run is live while its side-by-side workers are', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'lrlab-launch-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const { LRLAB_NUM_THREADS: _n, ...env } = process.env;
  // (a run whose parts batch then trains them side by side, one process per core, as `lrlab synthetic` does)
  assert.equal(new Launcher(base, env).childEnv().LRLAB_NUM_THREADS, undefined);
  assert.equal(new Launcher(base, { ...env, LRLAB_NUM_THREADS: '3' }).childEnv().LRLAB_NUM_THREADS, '3', "the server's own setting wins");
  assert.equal(new Launcher(base, env).childEnv().LRLAB_SWEEP_PARENT, String(process.pid));
  // beside a run it started that still runs, the next one gets one thread (two runs do not both claim every core)
  const launcher = new Launcher(base, env);
  const long = await launcher.start({ kind: 'synthetic', preset: 'default', overrides: Object.entries({ ...TINY, 'train.maxSteps': 200000 }) });
  assert.equal(launcher.get(long.id)?.state, 'running');
  assert.equal(launcher.childEnv().LRLAB_NUM_THREADS, '1');
  assert.equal(await launcher.stop(long.id), 130, launcher.get(long.id)?.stderr);
  assert.equal(launcher.childEnv().LRLAB_NUM_THREADS, undefined, 'alone again');

  const gone = spawnSync(process.execPath, ['-e', '']).pid!; // (a pid that no longer runs)
  const dir = join(base, 'run');
  mkdirSync(dir);
  const status = (s: Record<string, unknown>) => writeFileSync(join(dir, 'status.json'), JSON.stringify({ updated: new Date().toISOString(), ...s }));
  status({ state: 'running', pid: gone, workers: [gone, process.pid] });
  assert.equal(runningPid(dir), process.pid, 'the run process is gone, one of its workers is not');
  assert.equal(readRunStatus(dir).state, 'running');
  await assert.rejects(new Launcher(base, env).resume('run', dir), (e: Error) => e instanceof LaunchError && e.status === 409 && new RegExp(`process ${process.pid}`).test(e.message));
  status({ state: 'running', pid: gone, workers: [gone] });
  assert.equal(runningPid(dir), null);
  const st = readRunStatus(dir);
  assert.equal(st.state, 'interrupted');
  assert.match(String(st.stale), /is gone/);
  status({ state: 'done', pid: process.pid, workers: [process.pid] });
  assert.equal(runningPid(dir), null, 'only a running status has live processes');
});
