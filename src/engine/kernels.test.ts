import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KERNELS_ENV, bestCore, parseCpuInfo, runCheckChild, selectKernels, verifyKernels, type CheckVerdict, type KernelChoice, userWhy,
} from './kernels.js';
import { productCheck } from './kernelCheck.mjs';
import { native } from './native.js';
import { kernelChoice } from './runtime.js';

const XEON = `processor\t: 0
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 85
model name\t: Intel(R) Xeon(R) Platinum 8272CL CPU @ 2.60GHz
flags\t\t: fpu sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 avx512f avx512dq avx512cd avx512bw avx512vl

processor\t: 1
vendor_id\t: GenuineIntel
flags\t\t: fpu sse
`;
const EPYC = `processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 1
model name\t: AMD EPYC
flags\t\t: fpu sse sse2 ssse3 fma sse4_1 sse4_2 avx avx2 sha_ni
`;
const HASWELL = 'vendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 60\nmodel name\t: Intel(R) Core(TM) i7-4770\nflags\t\t: fpu sse avx fma avx2\n';
const OLD = 'vendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 42\nmodel name\t: Intel(R) Core(TM) i7-2600\nflags\t\t: fpu sse avx\n';
const ARM = 'processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm\nCPU implementer\t: 0x41\n';

const ADDON = join(import.meta.dirname, '..', '..', 'build', 'Release', 'lrlab.node');

test('parseCpuInfo reads the first processor; bestCore picks the kernels its flags allow', () => {
  const xeon = parseCpuInfo(XEON)!;
  assert.equal(xeon.vendor, 'GenuineIntel');
  assert.equal(xeon.model, 85);
  assert.ok(xeon.flags.has('avx512vl'));
  assert.equal(bestCore(xeon).core, 'SkylakeX');
  assert.equal(bestCore(parseCpuInfo(EPYC)!).core, 'Zen');
  assert.equal(bestCore(parseCpuInfo(HASWELL)!).core, 'Haswell');
  assert.equal(bestCore(parseCpuInfo(OLD)!).core, null);
  // AVX-512 F without BW/DQ/VL (Knights Landing) is not enough for SkylakeX
  assert.equal(bestCore(parseCpuInfo(HASWELL.replace('avx2', 'avx2 avx512f'))!).core, 'Haswell');
  assert.equal(parseCpuInfo(ARM), null);
});

/** A fake check: `results` by requested coretype (null: OpenBLAS's own, reported as 'Prescott'). */
function fakeCheck(results: Record<string, Partial<CheckVerdict>>) {
  const calls: (string | null)[] = [];
  const check = (_addon: string, coretype: string | null): CheckVerdict => {
    calls.push(coretype);
    return { ok: true, core: coretype ?? 'Prescott', blas: [], error: null, float32: 1e-7, float64: 0, ...results[coretype ?? 'null'] };
  };
  return { calls, check };
}

test('selectKernels: chooses from the flags once, caches the verdict, and publishes it to child processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrlab-kernels-'));
  const env: NodeJS.ProcessEnv = {};
  const f = fakeCheck({});
  const c = selectKernels(ADDON, { env, cpuinfo: XEON, cacheDirs: [dir], check: f.check, warn: () => assert.fail('no warning expected') });
  assert.equal(c.source, 'flags');
  assert.equal(c.coretype, 'SkylakeX');
  assert.equal(env.OPENBLAS_CORETYPE, 'SkylakeX');
  assert.deepEqual(f.calls, ['SkylakeX']);
  assert.equal(readdirSync(dir).length, 1);
  // a new process: the cached verdict, no check
  const env2: NodeJS.ProcessEnv = {};
  const f2 = fakeCheck({});
  assert.deepEqual(selectKernels(ADDON, { env: env2, cpuinfo: XEON, cacheDirs: [dir], check: f2.check }), c);
  assert.deepEqual(f2.calls, []);
  // a child process inherits the choice through its environment (also without a cache)
  const child = { ...env2 };
  assert.deepEqual(selectKernels(ADDON, { env: child, cpuinfo: XEON, cacheDirs: [], check: f2.check }), c);
  assert.deepEqual(f2.calls, []);
  // another CPU model is another cache entry
  selectKernels(ADDON, { env: {}, cpuinfo: HASWELL, cacheDirs: [dir], check: f2.check });
  assert.deepEqual(f2.calls, ['Haswell']);
});

test('selectKernels: a user\'s OPENBLAS_CORETYPE always wins, also over an inherited choice', () => {
  const f = fakeCheck({});
  const env: NodeJS.ProcessEnv = { OPENBLAS_CORETYPE: 'Prescott' };
  const c = selectKernels(ADDON, { env, cpuinfo: XEON, cacheDirs: [], check: f.check });
  assert.deepEqual([c.source, c.coretype, env.OPENBLAS_CORETYPE], ['user', 'Prescott', 'Prescott']);
  const inherited: KernelChoice = { coretype: 'SkylakeX', core: 'SkylakeX', source: 'flags', why: 'x' };
  const env2: NodeJS.ProcessEnv = { OPENBLAS_CORETYPE: 'Haswell', [KERNELS_ENV]: JSON.stringify(inherited) };
  const c2 = selectKernels(ADDON, { env: env2, cpuinfo: XEON, cacheDirs: [], check: f.check });
  assert.deepEqual([c2.source, c2.coretype], ['user', 'Haswell']);
  // it says which kernels lrlab would choose where they differ from the user's, and nothing where they agree
  assert.match(c.why, /^OPENBLAS_CORETYPE set by the user; lrlab would choose SkylakeX on this CPU \(CPU flags avx512f.*\): unset OPENBLAS_CORETYPE/);
  assert.match(c2.why, /would choose SkylakeX/);
  assert.equal(selectKernels(ADDON, { env: { OPENBLAS_CORETYPE: 'skylakex' }, cpuinfo: XEON, cacheDirs: [], check: f.check }).why, 'OPENBLAS_CORETYPE set by the user');
  assert.equal(selectKernels(ADDON, { env: { OPENBLAS_CORETYPE: 'Haswell' }, cpuinfo: HASWELL, cacheDirs: [], check: f.check }).why, 'OPENBLAS_CORETYPE set by the user');
  assert.equal(selectKernels(ADDON, { env: { OPENBLAS_CORETYPE: 'Haswell' }, cpuinfo: null, cacheDirs: [], check: f.check }).why, 'OPENBLAS_CORETYPE set by the user');
  // faster or unknown kernels of the user's get no advice, nor does a CPU whose SkylakeX check failed before
  for (const c of ['Cooperlake', 'SapphireRapids', 'MyOwn']) assert.equal(selectKernels(ADDON, { env: { OPENBLAS_CORETYPE: c }, cpuinfo: XEON, cacheDirs: [], check: f.check }).why, 'OPENBLAS_CORETYPE set by the user', c);
  assert.equal(userWhy('Haswell', parseCpuInfo(XEON), true), 'OPENBLAS_CORETYPE set by the user');
  assert.deepEqual(f.calls, []);
});

test('selectKernels: kernels that fail their check fall back to OpenBLAS\'s own choice, saying so once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrlab-kernels-'));
  const warnings: string[] = [];
  const f = fakeCheck({ SkylakeX: { ok: false, error: 'the check crashed (SIGILL)' } });
  const env: NodeJS.ProcessEnv = {};
  const c = selectKernels(ADDON, { env, cpuinfo: XEON, cacheDirs: [dir], check: f.check, warn: (l) => warnings.push(l) });
  assert.deepEqual([c.source, c.coretype, c.core], ['fallback', null, 'Prescott']);
  assert.match(c.why, /SkylakeX .*failed its check: the check crashed \(SIGILL\)/);
  assert.equal(env.OPENBLAS_CORETYPE, undefined);
  assert.deepEqual(f.calls, ['SkylakeX', null]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /failed the start-up check .*OpenBLAS's own choice \(Prescott\)/);
  // cached: the next start falls back without a check or a warning
  const f2 = fakeCheck({});
  assert.equal(selectKernels(ADDON, { env: {}, cpuinfo: XEON, cacheDirs: [dir], check: f2.check, warn: (l) => warnings.push(l) }).source, 'fallback');
  assert.deepEqual([f2.calls, warnings.length], [[], 1]);
  // OpenBLAS silently running other kernels than asked is a failed check too
  const f3 = fakeCheck({ Haswell: { core: 'Prescott' } });
  assert.match(selectKernels(ADDON, { env: {}, cpuinfo: HASWELL, cacheDirs: [], check: f3.check, warn: () => {} }).why, /ran Prescott instead/);
});

test('selectKernels: no better kernels, no /proc/cpuinfo, or a BLAS that is not OpenBLAS leave the library\'s own', () => {
  const f = fakeCheck({});
  const old = selectKernels(ADDON, { env: {}, cpuinfo: OLD, cacheDirs: [], check: f.check });
  assert.deepEqual([old.source, old.coretype, old.core], ['openblas', null, 'Prescott']);
  assert.equal(selectKernels(ADDON, { env: {}, cpuinfo: null, cacheDirs: [], check: f.check }).source, 'openblas');
  const notOpenblas = fakeCheck({ SkylakeX: { core: null, blas: ['/opt/mkl/libmkl_rt.so'] } });
  const env: NodeJS.ProcessEnv = {};
  const c = selectKernels(ADDON, { env, cpuinfo: XEON, cacheDirs: [], check: notOpenblas.check });
  assert.equal(c.source, 'not-openblas');
  assert.equal(env.OPENBLAS_CORETYPE, undefined);
});

test('a cached verdict holds only for the same BLAS files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrlab-kernels-'));
  const lib = join(dir, 'libopenblas.so');
  writeFileSync(lib, 'one');
  const f = fakeCheck({ SkylakeX: { blas: [lib] } });
  selectKernels(ADDON, { env: {}, cpuinfo: XEON, cacheDirs: [dir], check: f.check });
  selectKernels(ADDON, { env: {}, cpuinfo: XEON, cacheDirs: [dir], check: f.check });
  assert.equal(f.calls.length, 1);
  writeFileSync(lib, 'another build');
  selectKernels(ADDON, { env: {}, cpuinfo: XEON, cacheDirs: [dir], check: f.check });
  assert.equal(f.calls.length, 2);
});

test('the check child runs the asked kernels and catches kernels this CPU cannot run', () => {
  const v = runCheckChild(ADDON, 'Prescott');
  assert.equal(v.ok, true, v.error ?? '');
  assert.equal(v.core, 'Prescott');
  assert.ok(v.float32! < 1e-5 && v.float64 === 0, `float32 ${v.float32}, float64 ${v.float64}`);
  const cpu = parseCpuInfo(readFileSync('/proc/cpuinfo', 'utf8'));
  if (cpu && !cpu.flags.has('avx512f')) {
    const bad = runCheckChild(ADDON, 'SkylakeX');
    assert.equal(bad.ok, false);
    assert.match(bad.error!, /SIGILL/);
  }
});

test('this process runs on the published choice, and its products pass the check', () => {
  assert.deepEqual(JSON.parse(process.env[KERNELS_ENV]!), kernelChoice());
  assert.equal(process.env.OPENBLAS_CORETYPE, kernelChoice().coretype ?? undefined);
  const r = productCheck(native);
  assert.ok(r.ok && r.float64 === 0, JSON.stringify(r));
});

test('verifyKernels refuses lrlab\'s own choice when products disagree (and falls back next time); warns for a user\'s', () => {
  const wrong: Parameters<typeof productCheck>[0] = {
    fromBuffer: native.fromBuffer, dispose: native.dispose, toBuffer: native.toBuffer,
    matmul: (a, b) => native.mulS(native.matmul(a, b), 1.001),
  };
  assert.equal(productCheck(wrong).ok, false);
  const dir = mkdtempSync(join(tmpdir(), 'lrlab-kernels-'));
  const chosen: KernelChoice = { coretype: 'SkylakeX', core: 'SkylakeX', source: 'flags', why: 'chosen from CPU flags' };
  assert.throws(() => verifyKernels(chosen, wrong, ADDON, { cpuinfo: XEON, cacheDirs: [dir] }), /inexact matrix products.*run the command again/);
  const f = fakeCheck({});
  assert.equal(selectKernels(ADDON, { env: {}, cpuinfo: XEON, cacheDirs: [dir], check: f.check }).source, 'fallback');
  assert.deepEqual(f.calls, []);
  const warnings: string[] = [];
  verifyKernels({ ...chosen, source: 'user' }, wrong, ADDON, { cpuinfo: XEON, cacheDirs: [dir], warn: (l) => warnings.push(l) });
  assert.equal(warnings.length, 1);
});
