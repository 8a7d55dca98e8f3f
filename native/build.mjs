#!/usr/bin/env node
// Builds the lrlab native addon (native/src/addon.cc) against libtorch.
// Finds libtorch through $LIBTORCH (an official libtorch distribution, CPU or CUDA) or Debian's
// libtorch-dev. As root on Debian it installs the missing system packages itself (libtorch-dev and
// OpenBLAS, without which Debian's libtorch runs the ~25x slower reference BLAS).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const force = process.argv.includes('--force');
const APT_PACKAGES = ['libtorch-dev', 'libopenblas0-pthread'];

function log(msg) { process.stderr.write(`[lrlab native] ${msg}\n`); }
function fail(msg) { process.stderr.write(`\n[lrlab native] ERROR: ${msg}\n\n`); process.exit(1); }

function debianLibDir() {
  for (const d of ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib']) {
    if (existsSync(join(d, 'libtorch.so'))) return d;
  }
  return null;
}

export function findLibtorch() {
  const env = process.env.LIBTORCH;
  if (env) {
    const inc = join(env, 'include');
    const lib = join(env, 'lib');
    if (!existsSync(join(inc, 'ATen', 'ATen.h')) || !existsSync(join(lib, 'libtorch.so'))) {
      fail(`LIBTORCH=${env} does not look like a libtorch distribution (expected include/ATen/ATen.h and lib/libtorch.so).`);
    }
    return { include: [inc, join(inc, 'torch', 'csrc', 'api', 'include')], lib, system: false };
  }
  const lib = debianLibDir();
  if (lib && existsSync('/usr/include/ATen/ATen.h')) {
    return { include: ['/usr/include', '/usr/include/torch/csrc/api/include'], lib, system: true };
  }
  return null;
}

function isRoot() { return typeof process.getuid === 'function' && process.getuid() === 0; }
function hasApt() { return existsSync('/usr/bin/apt-get'); }

function aptInstall(pkgs) {
  log(`installing Debian packages: ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env });
  }
  return r.status === 0;
}

function blasIsOpenblas(libDir) {
  try {
    const out = execFileSync('ldd', [join(libDir, 'libtorch_cpu.so')], { encoding: 'utf8' });
    const m = out.match(/libblas\.so\.3 => (\S+)/);
    if (!m) return out.includes('openblas');
    return realpathSync(m[1]).includes('openblas');
  } catch { return true; }
}

function newest(dir) {
  let t = 0;
  for (const f of readdirSync(dir)) t = Math.max(t, statSync(join(dir, f)).mtimeMs);
  return t;
}

/**
 * The real data of the CPU presets and of `npm start` (the patch experiment on Fashion-MNIST):
 * Debian's dataset-fashion-mnist, installed like libtorch (as root with apt), else a hint.
 */
function ensureFashionMnist() {
  if (existsSync('/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz')) return;
  if (isRoot() && hasApt() && !process.env.LRLAB_NO_APT && aptInstall(['dataset-fashion-mnist'])) return;
  log('note: Fashion-MNIST (the data of `npm start` and the CPU image presets) is not installed: sudo apt-get install dataset-fashion-mnist');
}

function main() {
  ensureFashionMnist();
  let lt = findLibtorch();
  if (!lt) {
    if (isRoot() && hasApt() && !process.env.LRLAB_NO_APT) {
      aptInstall(APT_PACKAGES);
      lt = findLibtorch();
    }
    if (!lt) {
      fail('libtorch was not found.\n' +
        '  On Debian/Ubuntu install it with:  sudo apt-get install libtorch-dev libopenblas0-pthread\n' +
        '  Or download the official libtorch distribution (CPU or CUDA) and set LIBTORCH=/path/to/libtorch,\n' +
        '  then run: npm run build:native');
    }
  }
  if (lt.system && !blasIsOpenblas(lt.lib)) {
    if (isRoot() && hasApt() && !process.env.LRLAB_NO_APT) aptInstall(['libopenblas0-pthread']);
    if (!blasIsOpenblas(lt.lib)) {
      log('WARNING: libtorch is linked to the reference BLAS (about 25x slower matmul). Install OpenBLAS:\n' +
        '    sudo apt-get install libopenblas0-pthread');
    }
  }
  const out = join(root, 'build', 'Release', 'lrlab.node');
  if (!force && existsSync(out) && statSync(out).mtimeMs > Math.max(newest(join(here, 'src')), statSync(join(root, 'binding.gyp')).mtimeMs)) {
    log('native addon is up to date');
    return;
  }
  log(`building against libtorch in ${lt.lib} (this takes a minute or two)`);
  const gyp = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const env = {
    ...process.env,
    LRLAB_TORCH_INCLUDE: lt.include.join(' '),
    LRLAB_TORCH_LIB: lt.lib,
    // a CUDA build of libtorch registers its kernels from these; --no-as-needed keeps them linked
    LRLAB_TORCH_EXTRA_LIBS: ['torch_cuda', 'c10_cuda'].filter((n) => existsSync(join(lt.lib, `lib${n}.so`))).map((n) => `-l${n}`).join(' '),
  };
  const args = [gyp, 'rebuild', `--jobs=${jobs()}`];
  // use the headers that ship with this Node (no download: the machine may be offline)
  const nodedir = process.env.npm_config_nodedir || dirname(dirname(process.execPath));
  if (existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodedir}`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) fail('the native build failed (see the compiler output above).');
  log('built build/Release/lrlab.node');
}

function jobs() { return Math.max(1, Number(process.env.JOBS) || 2); }

main();
