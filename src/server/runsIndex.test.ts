// The SQLite runs index: rebuilt from the folders, listed and filtered, refreshed by cheap stat checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INDEX_FILE, RunsIndex } from './runsIndex.js';
import { findRunDirs } from '../runs/runScan.js';
import { imageRow, writeImageRun, writeSyntheticRun } from '../report/fixtures.testutil.js';
import { main } from '../cli/main.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'lrlab-index-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Make a file look changed to a stat check even within the file system's mtime resolution. */
function touch(path: string, secondsAhead: number): void {
  const t = new Date(Date.now() + secondsAhead * 1000);
  utimesSync(path, t, t);
}

function fixtureRuns(root: string): void {
  writeImageRun(join(root, 'img-patch'), { preset: 'patch', epochs: 4 });
  writeImageRun(join(root, 'img-fm'), { preset: 'patch-fmnist', dataset: 'fashion-mnist', epochs: 4, done: false });
  writeSyntheticRun(join(root, 'syn-a'), { steps: 300 });
  writeSyntheticRun(join(root, 'sweep-1', 'points', 'p000', 'seed0'), { preset: 'default', seeds: 1, steps: 200 });
  mkdirSync(join(root, 'not-a-run', 'deeper'), { recursive: true });
  writeFileSync(join(root, 'not-a-run', 'deeper', 'notes.txt'), 'x');
}

test('rebuild from the folders, list and filter by kind / preset / status / text', (t) => {
  const root = tempDir(t);
  fixtureRuns(root);
  assert.deepEqual(findRunDirs(root), ['img-fm', 'img-patch', 'sweep-1/points/p000/seed0', 'syn-a']);
  const index = new RunsIndex(root);
  t.after(() => index.close());
  const r = index.rebuild();
  assert.deepEqual(r, { added: 4, updated: 0, removed: 0, errors: [] });
  assert.ok(existsSync(join(root, INDEX_FILE)));
  assert.equal(index.count(), 4);
  assert.deepEqual(index.list({ kind: 'images' }).map((x) => x.id).sort(), ['img-fm', 'img-patch']);
  assert.deepEqual(index.list({ kind: 'images', preset: 'patch' }).map((x) => x.id), ['img-patch']);
  assert.deepEqual(index.list({ status: 'running' }).map((x) => x.id), ['img-fm']);
  assert.deepEqual(index.list({ q: 'points/p000' }).map((x) => x.id), ['sweep-1/points/p000/seed0']);
  assert.deepEqual(index.list({ q: '100%' }), [], "'%' in the search text is literal");
  assert.equal(index.list({ limit: 2 }).length, 2);
  assert.deepEqual(index.facets(), [{ kind: 'images', preset: 'patch', n: 1 }, { kind: 'images', preset: 'patch-fmnist', n: 1 }, { kind: 'synthetic', preset: 'default', n: 2 }]);

  const img = index.get('img-patch')!;
  assert.equal(img.kind, 'images');
  assert.deepEqual(img.methods, ['large LR + anneal', 'small LR', 'small LR + noise']);
  assert.deepEqual(img.seeds, [0, 1]);
  assert.equal(img.status, 'done');
  assert.equal(img.final.source, 'summary');
  const summary = JSON.parse(readFileSync(join(root, 'img-patch', 'summary.json'), 'utf8'));
  assert.deepEqual(img.final.methods['small LR']!['val_acc.clean'], summary.methods['small LR'].val_acc.clean);
  assert.deepEqual(img.progress, { rows: 30, last: 4, clock: 'epoch' });
  const fm = index.get('img-fm')!;
  assert.equal(fm.final.source, 'metrics', 'a running run: the latest rows');
  const latest = (s: number) => (imageRow('small LR', 1, s, 4).val_acc as { clean: number }).clean;
  assert.ok(Math.abs(fm.final.methods['small LR']!['val_acc.clean']!.mean! - (latest(0) + latest(1)) / 2) < 1e-12);

  // the index survives a reopen; a second sync reads nothing again
  index.close();
  const again = new RunsIndex(root);
  t.after(() => again.close());
  assert.equal(again.count(), 4);
  assert.deepEqual(again.sync(), { added: 0, updated: 0, removed: 0, errors: [] });
});

test('stat-based refresh: a new run, appended metrics, a status change, a removed folder, a bad config', (t) => {
  const root = tempDir(t);
  fixtureRuns(root);
  const index = new RunsIndex(root);
  t.after(() => index.close());
  index.sync();
  // a run started from the CLI shows up while it is running (no summary yet)
  const live = writeImageRun(join(root, 'img-live'), { preset: 'smoke', epochs: 2, done: false });
  let r = index.sync();
  assert.deepEqual(r, { added: 1, updated: 0, removed: 0, errors: [] });
  assert.deepEqual(index.get('img-live')!.progress, { rows: 18, last: 2, clock: 'epoch' });
  // it trains on: rows appended (read incrementally), then a torn line that is completed later
  const rows = [0, 1].flatMap((s) => [imageRow('large LR + anneal', 0, s, 3), imageRow('small LR', 1, s, 3)]);
  appendFileSync(join(live, 'metrics.jsonl'), rows.map((x) => JSON.stringify(x) + '\n').join('') + '{"method":"small LR + no');
  r = index.sync();
  assert.deepEqual(r, { added: 0, updated: 1, removed: 0, errors: [] });
  assert.deepEqual(index.get('img-live')!.progress, { rows: 22, last: 3, clock: 'epoch' });
  appendFileSync(join(live, 'metrics.jsonl'), `ise","seed":0,"epoch":4,"step":160}\n`);
  index.sync();
  assert.deepEqual(index.get('img-live')!.progress, { rows: 23, last: 4, clock: 'epoch' });
  // resumed from a checkpoint: the file shrank, so it is read from the start
  const full = readFileSync(join(live, 'metrics.jsonl'), 'utf8');
  truncateSync(join(live, 'metrics.jsonl'), full.indexOf('\n') + 1);
  index.sync();
  assert.deepEqual(index.get('img-live')!.progress, { rows: 1, last: 0, clock: 'epoch' });
  // finished: status and summary change
  writeFileSync(join(live, 'status.json'), JSON.stringify({ state: 'done', updated: '2030-01-01T00:00:00.000Z' }));
  touch(join(live, 'status.json'), 5);
  index.sync();
  assert.equal(index.get('img-live')!.status, 'done');
  assert.equal(index.list()[0]!.id, 'img-live', 'most recently updated first');
  // a folder removed, and a folder whose config is not JSON
  rmSync(join(root, 'syn-a'), { recursive: true });
  mkdirSync(join(root, 'broken'));
  writeFileSync(join(root, 'broken', 'config.json'), '{"kind": "synth');
  r = index.sync();
  assert.equal(r.removed, 1);
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0]!, /^broken: broken\/config.json is not valid JSON/);
  assert.equal(index.get('syn-a'), null);
  assert.equal(index.get('broken'), null);
  // maybeSync only syncs when the last sync is old enough
  writeSyntheticRun(join(root, 'syn-b'), { steps: 100 });
  index.maybeSync(60_000);
  assert.equal(index.get('syn-b'), null);
  index.maybeSync(0);
  assert.ok(index.get('syn-b'));
});

test('lrlab index --rebuild lists the runs; --kind filters; a missing runs folder is an error', async (t) => {
  const root = tempDir(t);
  fixtureRuns(root);
  const out: string[] = [], err: string[] = [];
  const log = console.log, error = console.error;
  console.log = (...a: unknown[]) => { out.push(a.join(' ')); };
  console.error = (...a: unknown[]) => { err.push(a.join(' ')); };
  let codes: number[];
  try {
    codes = [await main(['index', '--rebuild', '--runs', root, '--kind', 'synthetic', '--json']), await main(['index', '--runs', join(root, 'nope')])];
  } finally { console.log = log; console.error = error; }
  assert.deepEqual(codes, [0, 2]);
  assert.deepEqual(out.map((l) => JSON.parse(l).id).sort(), ['sweep-1/points/p000/seed0', 'syn-a']);
  assert.match(err.at(-1)!, /lrlab index: runs folder .*nope does not exist/);
});

test('thousands of runs: one rebuild, then an unchanged sync reads no folder and filtered listing stays fast', (t) => {
  const root = tempDir(t);
  for (let i = 0; i < 1500; i++) {
    const d = join(root, `run-${String(i).padStart(4, '0')}`);
    mkdirSync(d);
    writeFileSync(join(d, 'config.json'), JSON.stringify({ kind: i % 2 ? 'images' : 'synthetic', preset: `p${i % 5}`, seed: 0, seeds: 1, methods: ['a', 'b'] }));
    writeFileSync(join(d, 'status.json'), JSON.stringify({ state: i % 3 ? 'done' : 'running', updated: new Date(Date.UTC(2030, 0, 1) + i * 1000).toISOString() }));
  }
  const index = new RunsIndex(root);
  t.after(() => index.close());
  assert.equal(index.rebuild().added, 1500);
  assert.deepEqual(index.sync(), { added: 0, updated: 0, removed: 0, errors: [] });
  const t0 = performance.now();
  const got = index.list({ kind: 'images', preset: 'p3', status: 'done', limit: 50 });
  const ms = performance.now() - t0;
  assert.equal(index.count({ kind: 'images', preset: 'p3', status: 'done' }), 100); // odd i with i % 5 == 3 and i % 3 != 0
  assert.equal(got.length, 50);
  assert.equal(got[0]!.id, 'run-1493', 'newest first');
  assert.ok(ms < 200, `listing took ${ms.toFixed(1)} ms`);
});
