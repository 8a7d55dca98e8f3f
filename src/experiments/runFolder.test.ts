import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRunDir, JsonlWriter, readJsonl, removeTornWrites, writeFileAtomic } from './runFolder.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'lrlab-runfolder-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('writeFileAtomic replaces a file whole and leaves no temporary file', (t) => {
  const d = tempDir(t);
  const p = join(d, 'a.json');
  writeFileAtomic(p, 'old');
  writeFileAtomic(p, 'new');
  assert.equal(readFileSync(p, 'utf8'), 'new');
  assert.deepEqual(readdirSync(d), ['a.json']);
});

test('removeTornWrites removes the temporary files of killed writes, not real files or our own', (t) => {
  const d = tempDir(t);
  for (const f of ['x.json', 'x.json.tmp-123', 'y.json.tmp-99999', `z.json.tmp-${process.pid}`, 'notes.tmp', 'x.json.tmp-12a']) {
    writeFileSync(join(d, f), '');
  }
  assert.deepEqual(removeTornWrites(d).sort(), ['x.json.tmp-123', 'y.json.tmp-99999']);
  assert.deepEqual(readdirSync(d).sort(), ['notes.tmp', 'x.json', 'x.json.tmp-12a', `z.json.tmp-${process.pid}`].sort());
  assert.deepEqual(removeTornWrites(join(d, 'missing')), []);
});

test('readJsonl skips and reports a torn last line', (t) => {
  const d = tempDir(t);
  const p = join(d, 'm.jsonl');
  const w = new JsonlWriter(p);
  w.write({ a: 1 });
  w.write({ a: 2 });
  w.close();
  writeFileSync(p, readFileSync(p, 'utf8') + '{"a": 3, "b');
  const r = readJsonl<{ a: number }>(p);
  assert.deepEqual(r.rows.map((x) => x.a), [1, 2]);
  assert.deepEqual(r.bad, [{ line: 3, text: '{"a": 3, "b' }]);
});

test('createRunDir refuses a non-empty folder unless forced', (t) => {
  const d = tempDir(t);
  const run = join(d, 'run');
  createRunDir(run);
  writeFileSync(join(run, 'config.json'), '{}');
  assert.throws(() => createRunDir(run), /already exists; pass --force/);
  createRunDir(run, true);
  assert.equal(existsSync(join(run, 'config.json')), false);
});
