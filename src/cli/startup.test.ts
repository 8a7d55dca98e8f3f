// Start-up stays light (main.ts, commands.ts, engine/native.ts): `lrlab --version` loads no command
// at all, and the help (`--help`, `<command> --help`) and a synthetic --dry-run load neither libtorch
// (the native addon) nor what other commands need (the queue client, the report's charts, SQLite,
// Parquet, the dashboard). Each case is a child process whose module loads (a loader hook) and
// native addons (process.dlopen) are recorded; `lrlab info`, which loads the addon, shows that the
// recording sees it. These run the sources through tsx (LRLAB_NO_BUNDLE), module by module; the
// bundle keeps the same lazy imports as chunks (bundle.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT } from './runCli.testutil.js';

/** Module loads (in the loader's thread) go to $LRLAB_LOADS_FILE, one URL a line. */
const HOOKS = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) { appendFileSync(process.env.LRLAB_LOADS_FILE, url + '\\n'); return next(url, context); }`;
/** Registered before tsx (so it sees every module tsx loads); native addons are recorded at exit as dlopen:FILE. */
const PRELOAD = `import { register } from 'node:module';
import { appendFileSync } from 'node:fs';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOKS)}));
const opened = [];
const dlopen = process.dlopen;
process.dlopen = function (module, file, ...rest) { opened.push(file); return dlopen.call(this, module, file, ...rest); };
process.on('exit', () => appendFileSync(process.env.LRLAB_LOADS_FILE, opened.map((f) => 'dlopen:' + f + '\\n').join('')));`;

/** What `lrlab args` loaded: module URLs and dlopen'ed files, relative to the repository. */
function loadsOf(args: string[], dir: string): Promise<{ code: number | null; stderr: string; loads: string[] }> {
  const file = join(dir, `${args.join('_').replace(/[^a-z0-9_-]/gi, '')}.txt`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(PRELOAD)}`, BIN, ...args],
      { cwd: ROOT, env: { ...process.env, LRLAB_LOADS_FILE: file, LRLAB_NUM_THREADS: '1', LRLAB_NO_BUNDLE: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      let text = '';
      try { text = readFileSync(file, 'utf8'); } catch { /* nothing recorded */ }
      const root = ROOT.replace(/\/$/, '');
      resolve({ code, stderr, loads: text.split('\n').filter(Boolean).map((l) => l.replace(`file://${root}`, '').replace(root, '')) });
    });
  });
}

/** The packages of other commands: the queue (bullmq, ioredis), the report's charts (vega), the runs index (better-sqlite3), the export (hyparquet). */
const HEAVY = /\/node_modules\/(vega|vega-lite|bullmq|ioredis|better-sqlite3|hyparquet|hyparquet-writer)\//;

const tempDir = (t: { after: (fn: () => void) => void }) => {
  const d = mkdtempSync(join(tmpdir(), 'lrlab-startup-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
};

test('--version loads no command, no experiment kind and no package but tsx', async (t) => {
  const r = await loadsOf(['--version'], tempDir(t));
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.loads.some((l) => l.endsWith('/src/cli/main.ts')), `the recording works: ${r.loads.join(' ')}`);
  const packages = [...new Set(r.loads.map((l) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(l)?.[1]).filter((p) => p !== undefined))];
  assert.deepEqual(packages.filter((p) => p !== 'tsx' && p !== 'esbuild'), [], 'packages loaded');
  assert.deepEqual(r.loads.filter((l) => /\/src\/(experiments|engine|server|report|queue\/(?!queueUrl))/.test(l) || l.startsWith('dlopen:')), []);
});

test('the help of lrlab and of its commands, and a synthetic --dry-run, load neither libtorch nor other commands\' packages', async (t) => {
  const dir = tempDir(t);
  const cases = [['--help'], ['synthetic', '--help'], ['sweep', '--help'], ['serve', '--help'], ['report', '--help'], ['worker', '--help'], ['help', 'index'],
    ['synthetic', '--dry-run', '--out', join(dir, 'never')]];
  const [info, ...rs] = await Promise.all([loadsOf(['info'], dir), ...cases.map((args) => loadsOf(args, dir))]);
  assert.equal(info.code, 0, info.stderr);
  assert.ok(info.loads.some((l) => /^dlopen:.*lrlab\.node$/.test(l)), `lrlab info loads the addon, and the recording sees it: ${info.loads.filter((l) => l.startsWith('dlopen:')).join(' ')}`);
  rs.forEach((r, i) => {
    const what = cases[i]!.join(' ');
    assert.equal(r.code, 0, `${what}: ${r.stderr}`);
    assert.ok(r.loads.some((l) => l.endsWith('/src/cli/commands.ts')), `${what}: the recording works`);
    assert.deepEqual(r.loads.filter((l) => l.startsWith('dlopen:')), [], `${what}: no native addon (libtorch, SQLite)`);
    assert.deepEqual(r.loads.filter((l) => HEAVY.test(l) || /\/src\/(server|report)\//.test(l)), [], `${what}: other commands' modules`);
  });
});
