// The CLI's bundle (scripts/bundle.mjs, bin/bundle.js): bin/lrlab.js uses it only while it is as new
// as the sources, and it behaves as the sources do. The bundle is built here into a copy of the
// repository's top level (src, web, node_modules and the addon linked), not into the repository's
// own dist/, which other tests' CLI processes may be reading.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './runCli.testutil.js';
// @ts-expect-error (plain JavaScript beside the entry point, without types)
import { freshBundle, sourceSignature } from '../../bin/bundle.js';

const fresh = freshBundle as (root: string) => string | null;
const signature = sourceSignature as (root: string) => { newest: number; files: number; bytes: number };

test('the bundle is used only while the sources are as it was built from (times, files, sizes), and not with LRLAB_NO_BUNDLE', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'lrlab-bundle-fresh-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'src', 'cli'), { recursive: true });
  mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
  writeFileSync(join(root, 'package.json'), '{}');
  writeFileSync(join(root, 'src', 'cli', 'main.ts'), 'export {};');
  const past = new Date(Date.now() - 60_000);
  const age = (...ps: string[]) => { for (const p of ps) utimesSync(join(root, p), past, past); };
  age('package.json', 'src/cli/main.ts', 'src/cli', 'src');
  assert.equal(fresh(root), null, 'no stamp: not built');
  const stamp = () => writeFileSync(join(root, 'dist', 'cli', 'bundle.json'), JSON.stringify({ sources: signature(root) }));
  stamp();
  assert.equal(fresh(root), join(root, 'dist', 'cli', 'main.js'));
  const prev = process.env.LRLAB_NO_BUNDLE;
  process.env.LRLAB_NO_BUNDLE = '1';
  try { assert.equal(fresh(root), null, 'LRLAB_NO_BUNDLE'); } finally { if (prev === undefined) delete process.env.LRLAB_NO_BUNDLE; else process.env.LRLAB_NO_BUNDLE = prev; }
  // an edited file (a later time)
  writeFileSync(join(root, 'src', 'cli', 'main.ts'), 'export const a = 1;');
  assert.equal(fresh(root), null, 'an edited source');
  // another content with the old time kept (cp -p, rsync -a): its size differs
  age('src/cli/main.ts', 'src/cli');
  stamp();
  writeFileSync(join(root, 'src', 'cli', 'main.ts'), 'export const ab = 12;');
  age('src/cli/main.ts');
  assert.equal(fresh(root), null, 'a copy with the old time and another size');
  stamp();
  // a file added (its folder's time moves back too: only the count tells), a file renamed (same
  // count, size and time: only the names tell), package.json, tsconfig.json
  writeFileSync(join(root, 'src', 'cli', 'new.ts'), '');
  age('src/cli/new.ts', 'src/cli');
  assert.equal(fresh(root), null, 'a file added');
  stamp();
  renameSync(join(root, 'src', 'cli', 'new.ts'), join(root, 'src', 'cli', 'renamed.ts'));
  age('src/cli');
  assert.equal(fresh(root), null, 'a file renamed');
  stamp();
  // tests are not bundled: adding or editing one keeps the bundle
  writeFileSync(join(root, 'src', 'cli', 'main.test.ts'), 'export {};');
  writeFileSync(join(root, 'src', 'cli', 'helper.testutil.ts'), 'export {};');
  assert.equal(fresh(root), join(root, 'dist', 'cli', 'main.js'), 'a test added');
  writeFileSync(join(root, 'src', 'cli', 'main.test.ts'), 'export const edited = 1;');
  assert.equal(fresh(root), join(root, 'dist', 'cli', 'main.js'), 'a test edited');
  writeFileSync(join(root, 'tsconfig.json'), '{}');
  assert.equal(fresh(root), null, 'tsconfig.json added');
  stamp();
  writeFileSync(join(root, 'package.json'), '{"a":1}');
  assert.equal(fresh(root), null, 'package.json edited');
  writeFileSync(join(root, 'dist', 'cli', 'bundle.json'), 'not json');
  assert.equal(fresh(root), null, 'an unreadable stamp');
});

test('the bundled CLI prints what the sources print and loads its chunks, not the sources; a failed bundle leaves tsx', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'lrlab-bundle-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const d of ['src', 'web', 'node_modules', 'build']) symlinkSync(join(ROOT, d), join(root, d));
  for (const f of ['package.json', 'bin', 'scripts']) cpSync(join(ROOT, f), join(root, f), { recursive: true });
  const built = spawnSync(process.execPath, [join(root, 'scripts', 'bundle.mjs')], { cwd: root, encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
  assert.equal(fresh(root), join(root, 'dist', 'cli', 'main.js'));
  const run = (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, ['--import', 'data:text/javascript,' + encodeURIComponent(
      "import { appendFileSync } from 'node:fs'; import { register } from 'node:module'; register('data:text/javascript,' + encodeURIComponent(\"import { appendFileSync } from 'node:fs'; export async function load(u, c, n) { if (process.env.LRLAB_LOADS_FILE) appendFileSync(process.env.LRLAB_LOADS_FILE, u + '\\\\n'); return n(u, c); }\"));"),
    join(root, 'bin', 'lrlab.js'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, LRLAB_NUM_THREADS: '1', ...env } });
    return r;
  };
  const loads = join(root, 'loads.txt');
  for (const args of [['--help'], ['--version'], ['synthetic', '--help'], ['synthetic', '--dry-run', '--preset', 'order', '--out', join(root, 'never')]]) {
    const b = run(args, { LRLAB_LOADS_FILE: loads }), s = run(args, { LRLAB_NO_BUNDLE: '1' });
    assert.equal(b.status, 0, `${args.join(' ')}: ${b.stderr}`);
    assert.equal(b.stdout, s.stdout, `${args.join(' ')}: stdout`);
    assert.equal(b.stderr, s.stderr, `${args.join(' ')}: stderr`);
  }
  const text = spawnSync('cat', [loads], { encoding: 'utf8' }).stdout;
  assert.ok(/\/dist\/cli\/main\.js/.test(text), `the bundle ran: ${text.slice(0, 300)}`);
  assert.ok(!/\/src\/.*\.ts/.test(text) && !/node_modules\/tsx\//.test(text), 'no source module and no tsx loaded');
  // the engine from the bundle: the addon, the kernel check's script beside the chunks
  const info = run(['info'], { LRLAB_LOADS_FILE: '' });
  assert.equal(info.status, 0, info.stderr);
  assert.match(info.stdout, /^kernels: /m);
  // a bundle that cannot be built (no entry point here) with --optional: a warning, no bundle, tsx
  rmSync(join(root, 'src'));
  mkdirSync(join(root, 'src'));
  const failed = spawnSync(process.execPath, [join(root, 'scripts', 'bundle.mjs'), '--optional'], { cwd: root, encoding: 'utf8' });
  assert.equal(failed.status, 0, failed.stderr);
  assert.match(failed.stderr, /warning: could not bundle the CLI [\s\S]* through tsx/);
  assert.equal(fresh(root), null);
});
