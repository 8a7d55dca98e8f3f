#!/usr/bin/env node
// Bundles the CLI (src/cli/main.ts and what it imports) into dist/cli/ with esbuild, so that a
// process started by `lrlab` loads a few plain JavaScript files instead of ~150 TypeScript modules
// compiled through tsx's loader hooks: ~0.25 s less per process (every command, and each process of
// a run trained side by side). The chunks sit in dist/cli/, two levels below the repository like
// src/cli/, so paths the code takes relative to its own file (../../web/, ../../package.json, the
// addon) resolve alike; kernelCheck.mjs (a script the kernel check spawns) is copied beside them.
// bin/lrlab.js uses the bundle only while no file under src/ is newer (bundleFresh), else tsx.
// Runs at `npm ci` (the install script, with --optional: a failure there leaves the CLI on tsx, with
// a warning) and `npm run build`.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_DIR, BUNDLE_STAMP, newestSource } from '../bin/bundle.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, BUNDLE_DIR);
const started = Date.now();
try {
  const newest = newestSource(root); // (before building: a file saved meanwhile leaves the bundle stale)
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [join(root, 'src', 'cli', 'main.ts')],
    bundle: true, platform: 'node', format: 'esm', target: 'node20', splitting: true,
    outdir: out, chunkNames: '[name]-[hash]', packages: 'external', logLevel: 'warning', legalComments: 'none',
  });
  copyFileSync(join(root, 'src', 'engine', 'kernelCheck.mjs'), join(out, 'kernelCheck.mjs'));
  // (the stamp last: a bundle without one is never used)
  writeFileSync(join(out, BUNDLE_STAMP), JSON.stringify({ sourcesNewest: newest, builtAt: new Date().toISOString() }) + '\n');
  if (!process.argv.includes('--quiet')) console.error(`[lrlab bundle] built ${BUNDLE_DIR}/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (e) {
  rmSync(out, { recursive: true, force: true });
  if (!process.argv.includes('--optional')) throw e;
  console.error(`[lrlab bundle] warning: could not bundle the CLI (${e.message}); lrlab runs its TypeScript sources through tsx (~0.25 s more per start)`);
}
