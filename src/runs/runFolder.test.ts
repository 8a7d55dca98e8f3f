import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRunDir, JsonlWriter, liveRunProcess, prepareRunFolder, processStart, readJsonl, refuseIfRunningElsewhere, removeTornWrites, settleFileSets, writeFileAtomic, writeFilesAtomic, writeRunStatus } from './runFolder.js';

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

test('writeFilesAtomic writes a set of files; settleFileSets leaves nothing else behind', (t) => {
  const d = tempDir(t);
  writeFilesAtomic(d, [{ name: 'a.json', data: '1' }, { name: 'b.json', data: '1' }]);
  writeFilesAtomic(d, [{ name: 'a.json', data: '2' }, { name: 'b.json', data: '2' }]);
  assert.deepEqual(readdirSync(d).sort(), ['a.json', 'b.json']);
  assert.deepEqual(['a.json', 'b.json'].map((f) => readFileSync(join(d, f), 'utf8')), ['2', '2']);
  // a dead process's commit list whose renames were cut short: the renames are finished, the list goes
  writeFileSync(join(d, 'a.json.tmp-999999-0123abcd'), '3');
  writeFileSync(join(d, '.commit.tmp-999999-0123abcd.json'), JSON.stringify(['a.json', 'b.json'])); // (b.json was renamed)
  assert.deepEqual(settleFileSets(d), ['a.json']);
  assert.deepEqual(readdirSync(d).sort(), ['a.json', 'b.json']);
  assert.equal(readFileSync(join(d, 'a.json'), 'utf8'), '3');
});

test('writeFilesAtomic under SIGKILL at random points: after prepareRunFolder every file of the set holds the same write', { timeout: 120_000 }, async (t) => {
  const d = tempDir(t);
  const ck = join(d, 'checkpoints');
  const mod = fileURLToPath(new URL('./runFolder.ts', import.meta.url));
  // a process writing sets of 3 checkpoint files (each of its generation, padded so a write takes a while) as fast as it can
  const code = `import(${JSON.stringify(mod)}).then(({ writeFilesAtomic }) => {
    for (let g = 1; ; g++) writeFilesAtomic(${JSON.stringify(ck)}, ['a', 'b', 'c'].map((n) => ({ name: n + '.json', data: JSON.stringify({ g, pad: 'x'.repeat(20000) }) })));
  });`;
  const seen = new Set<number>();
  for (let round = 0; round < 12; round++) {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], { stdio: 'ignore' });
    // wait until a set exists, then a random further while
    while (!existsSync(join(ck, 'c.json'))) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, Math.random() * 60));
    const gone = new Promise((r) => child.on('close', r));
    child.kill('SIGKILL');
    await gone;
    prepareRunFolder(d, {});
    const gens = ['a', 'b', 'c'].map((n) => (JSON.parse(readFileSync(join(ck, `${n}.json`), 'utf8')) as { g: number }).g);
    assert.deepEqual(gens, [gens[0], gens[0], gens[0]], `round ${round}: one set (generations ${gens.join(', ')})`);
    assert.deepEqual(readdirSync(ck).sort(), ['a.json', 'b.json', 'c.json'], `round ${round}: no list or temporary file left`);
    seen.add(gens[0]!);
    rmSync(ck, { recursive: true, force: true });
  }
  assert.ok(seen.size > 1, 'the kills came at different writes');
});
