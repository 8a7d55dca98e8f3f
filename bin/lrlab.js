#!/usr/bin/env node
// lrlab command-line entry: the CLI's bundle (scripts/bundle.mjs, built at `npm ci`) where it is as
// new as the sources, else the TypeScript sources through tsx (no build step needed while editing).
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freshBundle } from './bundle.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = freshBundle(root);
let main;
if (bundle) ({ main } = await import(pathToFileURL(bundle).href));
else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
