import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareRunFolder, readRuntimeSessions } from '../runs/runFolder.js';
import { findExperiment } from './registry.js';
import type { AnyExperiment, BaseConfig } from './experiment.js';
import { runtimeChanges, runtimeWarning, sweepRuntimeChanges, useRuntimeFor } from './runtime.js';

const synthetic = findExperiment('synthetic')!;
const cfg = synthetic.presets[synthetic.defaultPreset]!.config() as BaseConfig;

test('every session of a run is recorded in runtime.json; a resume with other kernels or threads is warned about', () => {
  const saved = process.env.LRLAB_NUM_THREADS;
  delete process.env.LRLAB_NUM_THREADS;
  try {
    const dir = mkdtempSync(join(tmpdir(), 'lrlab-runtime-'));
    const rec = useRuntimeFor(synthetic, cfg);
    assert.equal(rec.threads, 1); // the synthetic presets are small-op bound
    prepareRunFolder(dir, cfg, rec);
    assert.deepEqual(runtimeChanges(dir, synthetic, cfg), []);
    assert.equal(runtimeWarning(dir, []), null);
    // the same run resumed as a large-op run (all cores) and on other kernels
    const bigger: AnyExperiment = { ...synthetic, opSize: () => 'large-ops' };
    const sessions = readRuntimeSessions(dir);
    writeFileSync(join(dir, 'runtime.json'), JSON.stringify({ sessions: [{ ...sessions[0], kernels: 'SomeCore' }] }));
    const ch = runtimeChanges(dir, bigger, cfg);
    assert.ok(ch.includes(`kernels SomeCore -> ${rec.kernels}`), ch.join('; '));
    assert.equal(ch.includes(`threads 1 -> ${availableParallelism()}`), availableParallelism() > 1, ch.join('; '));
    assert.match(runtimeWarning(dir, ch)!, /other engine settings \(kernels SomeCore -> .*not be bit-identical/);
    prepareRunFolder(dir, cfg, rec);
    assert.equal(readRuntimeSessions(dir).length, 2);
    assert.ok(JSON.parse(readFileSync(join(dir, 'runtime.json'), 'utf8')).sessions[1].started);
    // a sweep: its run folders' kernels
    const sweep = mkdtempSync(join(tmpdir(), 'lrlab-runtime-sweep-'));
    mkdirSync(join(sweep, 'run-0'));
    prepareRunFolder(join(sweep, 'run-0'), cfg, rec);
    assert.deepEqual(sweepRuntimeChanges(sweep), []);
    writeFileSync(join(sweep, 'run-0', 'runtime.json'), JSON.stringify({ sessions: [{ ...rec, kernels: 'SomeCore' }] }));
    assert.deepEqual(sweepRuntimeChanges(sweep), [`kernels SomeCore -> ${rec.kernels}`]);
  } finally {
    if (saved === undefined) delete process.env.LRLAB_NUM_THREADS; else process.env.LRLAB_NUM_THREADS = saved;
  }
});
