#!/usr/bin/env node
// Runs lrlab's tests (every src/**/*.test.ts, or the files/folders given) with node's test runner.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(p, out) {
  if (statSync(p).isDirectory()) {
    for (const f of readdirSync(p).sort()) if (f !== 'node_modules') find(join(p, f), out);
  } else if (p.endsWith('.test.ts')) out.push(p);
  return out;
}

const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('--'));
const paths = args.filter((a) => !a.startsWith('--'));
const files = (paths.length ? paths : ['src']).flatMap((p) => find(p, []));
if (files.length === 0) { console.error('no test files found'); process.exit(1); }
// Tests use small tensors, for which one libtorch thread is fastest (and immune to other load).
const env = { ...process.env, LRLAB_NUM_THREADS: process.env.LRLAB_NUM_THREADS ?? '1' };
// Two test files at a time (each single-threaded) use both cores of a small machine; LRLAB_TEST_CONCURRENCY=1
// runs them one by one (slower, but each alone: for timing a single file or a loaded machine).
const concurrency = process.env.LRLAB_TEST_CONCURRENCY ?? '2';
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...flags, ...files], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
