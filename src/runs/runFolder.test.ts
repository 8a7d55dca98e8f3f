import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRunDir, JsonlWriter, liveRunProcess, processStart, readJsonl, refuseIfRunningElsewhere, removeTornWrites, writeFileAtomic, writeRunStatus } from './runFolder.js';

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

test('removeTornWrites removes the temporary files of killed writes, not real files, ours, or a live process\'s', (t) => {
  const d = tempDir(t);
  const dead = 4_000_000; // above Linux's pid_max: no such process
  const live = process.ppid;
  writeFileAtomic(join(d, 'x.json'), 'x');
  const files = ['x.json', `x.json.tmp-${dead}-0123abcd`, `y.json.tmp-${dead}-ffffffff`, `z.json.tmp-${live}-0123abcd`,
    `w.json.tmp-${process.pid}-0123abcd`, 'notes.tmp', `v.json.tmp-${dead}`, 'notes.tmp-2024'];
  for (const f of files.slice(1)) writeFileSync(join(d, f), '');
  // w: our pid but another random part, i.e. an earlier process that had our pid (pid 1 in a container)
  assert.deepEqual(removeTornWrites(d).sort(), [`w.json.tmp-${process.pid}-0123abcd`, `x.json.tmp-${dead}-0123abcd`, `y.json.tmp-${dead}-ffffffff`]);
  assert.deepEqual(readdirSync(d).sort(), ['notes.tmp', 'notes.tmp-2024', `v.json.tmp-${dead}`, 'x.json', `z.json.tmp-${live}-0123abcd`].sort());
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

test('a running status counts as live only while its processes are the ones that wrote it (a reused pid does not)', { skip: processStart(process.pid) === null ? 'no /proc' : false }, (t) => {
  const d = tempDir(t);
  const own = processStart(process.pid)!;
  const ppid = process.ppid;
  writeRunStatus(d, 'running', { workers: [ppid] });
  const st = JSON.parse(readFileSync(join(d, 'status.json'), 'utf8'));
  assert.deepEqual(st.starts, { [process.pid]: own, [ppid]: processStart(ppid) });
  assert.equal(liveRunProcess(st), process.pid);
  assert.equal(liveRunProcess(st, process.pid), ppid, 'the worker still runs');
  // the same pids, but started at other times: the system has given them to other processes
  const reused = { ...st, starts: { [process.pid]: own + 1, [ppid]: st.starts[ppid] - 1 } };
  assert.equal(liveRunProcess(reused), null);
  writeFileSync(join(d, 'status.json'), JSON.stringify({ ...reused, pid: ppid }));
  refuseIfRunningElsewhere(d); // not refused: ppid is not the process that wrote it
  writeFileSync(join(d, 'status.json'), JSON.stringify({ ...st, pid: ppid, workers: [] }));
  assert.throws(() => refuseIfRunningElsewhere(d), new RegExp(`is being run by process ${ppid}`));
  // a status of an older lrlab (no starts): pids alone decide, as before
  assert.equal(liveRunProcess({ state: 'running', pid: ppid }), ppid);
  assert.equal(liveRunProcess({ ...st, state: 'done' }), null);
});
