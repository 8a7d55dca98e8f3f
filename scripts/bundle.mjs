#!/usr/bin/env node
// Bundles the CLI (src/cli/main.ts and what it imports) into dist/cli/ with esbuild, so that a
// process started by `lrlab` loads a few plain JavaScript files instead of ~150 TypeScript modules
// compiled through tsx's loader hooks: ~0.25 s less per process (every command, and each process of
// a run trained side by side). The chunks sit in dist/cli/, two levels below the repository like
// src/cli/, so paths the code takes relative to its own file (../../web/, ../../package.json, the
// addon) resolve alike; kernelCheck.mjs (a script the kernel check spawns) is copied beside them.
// bin/lrlab.js uses the bundle only while the sources are as they were (freshBundle), else tsx.
// Runs at `npm ci` (the install script, with --optional: a failure there leaves the CLI on tsx, with
// a warning) and `npm run build`.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_DIR, BUNDLE_STAMP, sourceSignature } from '../bin/bundle.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, BUNDLE_DIR);
const started = Date.now();
try {
  const sources = sourceSignature(root); // (before building: a file saved meanwhile leaves the bundle stale)
  mkdirSync(out, { recursive: true });
  rmSync(join(out, BUNDLE_STAMP), { force: true }); // (no bundle is used while it is rebuilt)
  // into the folder as it is: a CLI still running from the last bundle may yet import its chunks
  // (their names are content hashes), so those go only once they are older than ten minutes
  const built = await build({
    entryPoints: [join(root, 'src', 'cli', 'main.ts')],
    bundle: true, platform: 'node', format: 'esm', target: 'node20', splitting: true, metafile: true,
    outdir: out, chunkNames: '[name]-[hash]', packages: 'external', logLevel: 'warning', legalComments: 'none',
  });
  const emitted = new Set(Object.keys(built.metafile.outputs).map((f) => basename(f)));
  for (const f of readdirSync(out)) {
    if (f.endsWith('.js') && !emitted.has(f) && Date.now() - statSync(join(out, f)).mtimeMs > 10 * 60_000) rmSync(join(out, f), { force: true });
  }
  copyFileSync(join(root, 'src', 'engine', 'kernelCheck.mjs'), join(out, 'kernelCheck.mjs'));
  // (the stamp last: a bundle without one is never used)
  writeFileSync(join(out, BUNDLE_STAMP), JSON.stringify({ sources, builtAt: new Date().toISOString() }) + '\n');
  if (!process.argv.includes('--quiet')) console.error(`[lrlab bundle] built ${BUNDLE_DIR}/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (e) {
  rmSync(join(out, BUNDLE_STAMP), { force: true });
  if (!process.argv.includes('--optional')) throw e;
  console.error(`[lrlab bundle] warning: could not bundle the CLI (${e.message}); lrlab runs its TypeScript sources through tsx (~0.25 s more per start)`);
}
