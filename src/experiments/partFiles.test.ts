// dropRowsAfter: the rows of each part after its own cut go, in one pass; other parts' rows and the
// rows before each cut stay; torn and unparsable lines go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropRowsAfter, resumePoints, rowCounts } from './partFiles.js';

const row = (method: string, seed: number, step: number) => `${JSON.stringify({ method, seed, step })}\n`;
const rows = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => { const r = JSON.parse(l) as { method: string; seed: number; step: number }; return `${r.method}${r.seed}@${r.step}`; });

test('dropRowsAfter cuts each part at its own offset (processes side by side checkpoint at different offsets)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lrlab-drop-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'metrics.jsonl');
  writeFileSync(path, row('A', 0, 0) + row('B', 0, 0));
  appendFileSync(path, row('A', 0, 1));
  const cutA = statSync(path).size; // A's checkpoint: after its step 1
  appendFileSync(path, row('B', 0, 1) + row('A', 0, 2) + row('B', 0, 2));
  const cutB = statSync(path).size; // B's checkpoint: after its step 2
  appendFileSync(path, row('A', 0, 3) + row('B', 0, 3) + row('C', 1, 0) + '{"method":"B","se');
  const want = ['A0@0', 'B0@0', 'A0@1', 'B0@1', 'B0@2', 'C1@0'];
  // one part after the other gives another file: cutting A first moves the bytes B's offset counts from
  writeFileSync(join(dir, 'copy'), readFileSync(path));
  dropRowsAfter(join(dir, 'copy'), [{ key: { method: 'A', seed: 0 }, offset: cutA }]);
  dropRowsAfter(join(dir, 'copy'), [{ key: { method: 'B', seed: 0 }, offset: cutB }]);
  assert.notDeepEqual(rows(join(dir, 'copy')), want, 'the case this function is for');
  dropRowsAfter(path, [{ key: { method: 'A', seed: 0 }, offset: cutA }, { key: { method: 'B', seed: 0 }, offset: cutB }]);
  assert.deepEqual(rows(path), want);
  const before = readFileSync(path);
  dropRowsAfter(path, [{ key: { method: 'A', seed: 0 }, offset: 0 }].slice(0, 0));
  assert.deepEqual(readFileSync(path), before, 'no cuts: untouched');
  dropRowsAfter(path, [{ key: { method: 'C', seed: 1 }, offset: 0 }]);
  assert.deepEqual(rows(path), want.slice(0, 5), 'offset 0: all of that part\'s rows');
});

test('a cut by row counts (what checkpoints record) still holds after the file was rewritten', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lrlab-drop-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'metrics.jsonl');
  const A = { method: 'A', seed: 0 }, B = { method: 'B', seed: 0 };
  // A checkpointed after 2 rows (at byte a), B after 3 (at byte b > a); rows after both followed
  writeFileSync(path, row('A', 0, 0) + row('B', 0, 0) + row('A', 0, 1));
  const a = statSync(path).size;
  appendFileSync(path, row('B', 0, 1) + row('A', 0, 2) + row('A', 0, 3) + row('A', 0, 4) + row('B', 0, 2));
  const b = statSync(path).size;
  appendFileSync(path, row('A', 0, 5) + row('B', 0, 3));
  dropRowsAfter(path, [{ key: A, offset: a, rows: 2 }, { key: B, offset: b, rows: 3 }]);
  assert.deepEqual(rows(path), ['A0@0', 'B0@0', 'A0@1', 'B0@1', 'B0@2']);
  // resumed: B writes a row past its checkpoint, then dies; its checkpoint's byte offset is stale
  // now (the file shrank), its row count is not
  appendFileSync(path, row('A', 0, 2) + row('B', 0, 3));
  const stale = join(dir, 'stale');
  writeFileSync(stale, readFileSync(path));
  dropRowsAfter(stale, [{ key: B, offset: b }]);
  assert.deepEqual(rows(stale).filter((r) => r.startsWith('B')), ['B0@0', 'B0@1', 'B0@2', 'B0@3'], 'the offset keeps a row after the checkpoint');
  dropRowsAfter(path, [{ key: B, offset: b, rows: 3 }]);
  assert.deepEqual(rows(path), ['A0@0', 'B0@0', 'A0@1', 'B0@1', 'B0@2', 'A0@2']);
  // an unparsable line anywhere goes; a part with no cut keeps its rows
  writeFileSync(path, row('A', 0, 0) + 'garbage\n' + row('C', 1, 0));
  dropRowsAfter(path, [{ key: A, offset: 0, rows: 1 }]);
  assert.deepEqual(rows(path), ['A0@0', 'C1@0']);
});

test('rowCounts counts each part\'s rows (method and seed), in one pass; parts without rows and a missing file count 0', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lrlab-count-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'metrics.jsonl');
  writeFileSync(path, row('A', 0, 0) + row('B', 0, 0) + row('A', 1, 0) + row('A', 0, 1) + `${JSON.stringify({ method: 'A', seed: '0', step: 2 })}\n` + row('C', 0, 0) + row('A', 0, 2));
  assert.deepEqual(rowCounts(path, [{ method: 'A', seed: 0 }, { method: 'B', seed: 0 }, { method: 'A', seed: 1 }, { method: 'B', seed: 1 }]), [3, 1, 1, 0]);
  assert.deepEqual(rowCounts(join(dir, 'none.jsonl'), [{ method: 'A', seed: 0 }]), [0]);
});

test('resumePoints: a part with a checkpoint goes on from its state\'s step (and epochs done), one without from the start', () => {
  const ck = (state: unknown) => ({ codeVersion: 'x', config: {}, partId: 'p', metricsBytes: 0, seconds: 0, state });
  const keys = [{ method: 'A', seed: 0 }, { method: 'B', seed: 0 }, { method: 'S+noise', seed: 1 }, { method: 'D', seed: 0 }];
  const p = resumePoints(keys, [ck({ step: 1537 }), null, ck({ step: 130, epoch: 3 }), ck({})]);
  assert.deepEqual(p.map((x) => x.at), ['step 1537', null, 'step 130, 3 epoch(s) done', 'its checkpoint']);
});
