import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { spawnSync } from 'node:child_process';
import { getNumThreads, runtimeDifferences, runtimeRecord, setNumThreads, threadChoice, threadsFor, useThreadsFor } from './runtime.js';
import { native } from './native.js';

test('threadsFor: one thread for small ops, all cores for large ones; LRLAB_NUM_THREADS wins', () => {
  assert.deepEqual(threadsFor('small-ops', {}).threads, 1);
  assert.deepEqual(threadsFor('large-ops', {}).threads, availableParallelism());
  assert.deepEqual(threadsFor(undefined, {}).threads, availableParallelism());
  assert.deepEqual(threadsFor('small-ops', { LRLAB_NUM_THREADS: '3' }), { threads: 3, why: 'LRLAB_NUM_THREADS' });
  assert.deepEqual(threadsFor('large-ops', { LRLAB_NUM_THREADS: '1' }).threads, 1);
  assert.equal(threadsFor('large-ops', { LRLAB_NUM_THREADS: 'two' }).threads, availableParallelism()); // not a count: ignored
});

test('useThreadsFor sets libtorch\'s threads; the run record says what a run used', () => {
  const saved = process.env.LRLAB_NUM_THREADS;
  delete process.env.LRLAB_NUM_THREADS;
  try {
    useThreadsFor('small-ops');
    assert.equal(getNumThreads(), 1);
    assert.match(threadChoice().why, /small ops/);
    const r = runtimeRecord();
    assert.equal(r.threads, 1);
    assert.equal(r.openblasThreads, '1', "OpenBLAS's own pool follows (lrlab set it from LRLAB_NUM_THREADS, not the user)");
    useThreadsFor('large-ops');
    assert.deepEqual([getNumThreads(), runtimeRecord().openblasThreads], [availableParallelism(), String(availableParallelism())]);
    useThreadsFor('small-ops');
    assert.ok(r.kernelsWhy.length > 0 && r.cpuCapability.length > 0);
    assert.deepEqual(runtimeDifferences(r, r), []);
    assert.deepEqual(runtimeDifferences({ ...r, kernels: 'Prescott', threads: 2 }, r), [`kernels Prescott -> ${r.kernels}`, 'threads 2 -> 1']);
    assert.deepEqual(runtimeDifferences({}, r), []); // a record without the fields (an older run folder)
  } finally {
    if (saved === undefined) delete process.env.LRLAB_NUM_THREADS; else process.env.LRLAB_NUM_THREADS = saved;
    useThreadsFor('small-ops');
  }
});

test("setNumThreads sets OpenBLAS's own pool too (its products run apart from ATen's threads), as OpenBLAS itself reports", () => {
  try {
    setNumThreads(2);
    assert.deepEqual([getNumThreads(), native.getBlasThreads(), runtimeRecord().openblasThreads], [2, 2, '2']);
    setNumThreads(1);
    assert.deepEqual([getNumThreads(), native.getBlasThreads(), runtimeRecord().openblasThreads], [1, 1, '1']);
  } finally { useThreadsFor('small-ops'); }
});

test("a user's own OPENBLAS_NUM_THREADS wins over the run's choice (a fresh process)", () => {
  const code = "import('./src/engine/runtime.ts').then((m) => { m.useThreadsFor('small-ops'); m.setNumThreads(1); console.log(m.runtimeRecord().openblasThreads); })";
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: '2' };
  delete env.LRLAB_NUM_THREADS;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').pop(), '2');
});
