#!/usr/bin/env node
// `npm start`: the clearest demonstration lrlab has, in 1-3 minutes on 2 cores: the paper's
// patch experiment (Section 6) on Fashion-MNIST, one seed — the small learning rate memorizes the
// patch first, the large one does not — then its table with that learning order and its report.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'lrlab.js');
const FM = '/usr/share/datasets/fashion-mnist';
const extra = process.argv.slice(2);
const hasData = extra.includes('--data') || existsSync(join(FM, 'train-images-idx3-ubyte.gz'));
if (!hasData) {
  console.error(`npm start runs the patch experiment on Fashion-MNIST, which is not installed in ${FM}.
Install it with:  sudo apt-get install dataset-fashion-mnist
(or download the four .gz files from https://github.com/zalandoresearch/fashion-mnist and run: npm start -- --data DIR)`);
  process.exit(2);
}
const ts = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
const out = join('runs', `start-patch-fmnist-${ts}`);
console.error(`lrlab: the patch experiment of the paper (Section 6) on Fashion-MNIST, 1 seed, 3 methods x 24 epochs (1-3 minutes).
Expect: the small learning rate memorizes the patch (patch-only validation accuracy above 50%) long
before the large one, which does not within the 24 epochs and ends with the better clean accuracy.\n`);
const run = spawnSync(process.execPath, [bin, 'images', '--preset', 'patch-fmnist', '--seeds', '1', '--out', out, ...extra], { stdio: 'inherit', cwd: process.cwd() });
if (run.status !== 0 || extra.includes('--dry-run')) process.exit(run.status ?? 1);
const rep = spawnSync(process.execPath, [bin, 'report', out], { stdio: ['ignore', 'pipe', 'inherit'], cwd: process.cwd(), encoding: 'utf8' });
if (rep.status !== 0) process.exit(rep.status ?? 1);
process.stdout.write(rep.stdout);
console.log(`\nNext: npx lrlab serve (live dashboard), npx lrlab images --preset patch-fmnist --seeds 3 (mean ± std), docs/RESULTS.md (what reproduced).`);
