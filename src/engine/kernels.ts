// Which OpenBLAS kernels lrlab runs on. Debian's OpenBLAS 0.3.21 does not recognise every CPU and then
// falls back to its oldest kernels (`Core: Prescott`, 4-7x below the machine's float32 peak on an
// AVX-512 Xeon). So, before the addon (and with it libtorch and OpenBLAS) is loaded, lrlab picks the
// best kernel set the CPU's features allow and sets OPENBLAS_CORETYPE, which OpenBLAS reads when it
// is loaded. A candidate is checked once, in a short child process (kernelCheck.mjs: products
// against a float64 reference; kernels the CPU cannot run crash the child, not lrlab), and the
// verdict is cached per CPU and addon. A user's own OPENBLAS_CORETYPE always wins. Child processes
// inherit the choice through the environment (OPENBLAS_CORETYPE and LRLAB_KERNELS).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadedBlas, productCheck } from './kernelCheck.mjs';

/** The environment variable through which a process hands its kernel choice to its children. */
export const KERNELS_ENV = 'LRLAB_KERNELS';
const VERSION = 1;

/** What a CPU says about itself in /proc/cpuinfo (its first processor). */
export interface CpuInfo { vendor: string; family: number | null; model: number | null; modelName: string; flags: Set<string> }

/** Parse the first processor of /proc/cpuinfo; null when it has no flags line (not x86 Linux). */
export function parseCpuInfo(text: string): CpuInfo | null {
  const block = text.split(/\n\s*\n/)[0] ?? '';
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(block)?.[1]?.trim();
  const flags = field('flags');
  if (flags === undefined) return null;
  const num = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : null);
  return { vendor: field('vendor_id') ?? '', family: num(field('cpu family')), model: num(field('model')), modelName: field('model name') ?? '', flags: new Set(flags.split(/\s+/)) };
}

/** The best OpenBLAS core for a CPU, from its features: null leaves OpenBLAS's own choice. */
export function bestCore(cpu: CpuInfo): { core: string | null; why: string } {
  const has = (...f: string[]) => f.every((x) => cpu.flags.has(x));
  if (has('avx512f', 'avx512bw', 'avx512dq', 'avx512vl')) return { core: 'SkylakeX', why: 'CPU flags avx512f, avx512bw, avx512dq, avx512vl' };
  const amd = cpu.vendor === 'AuthenticAMD' || cpu.vendor === 'HygonGenuine';
  if (amd && (cpu.family ?? 0) >= 0x17 && has('avx2', 'fma')) return { core: 'Zen', why: `AMD Zen (family ${cpu.family}), CPU flags avx2, fma` };
  if (has('avx2', 'fma')) return { core: 'Haswell', why: 'CPU flags avx2, fma' };
  return { core: null, why: 'no CPU flags for a newer kernel set (no avx2 + fma)' };
}

/**
 * The kernels in use and why. `source`: 'user' (the user's OPENBLAS_CORETYPE), 'flags' (chosen by
 * lrlab from the CPU flags and checked), 'fallback' (the choice failed its check: OpenBLAS's own),
 * 'openblas' (nothing better to choose, or no /proc/cpuinfo: OpenBLAS's own), 'not-openblas'.
 */
export interface KernelChoice {
  /** OPENBLAS_CORETYPE as set for this process (null: not set, OpenBLAS chooses). */
  coretype: string | null;
  /** The core OpenBLAS reported in the check (OPENBLAS_VERBOSE), when known. */
  core: string | null;
  source: 'user' | 'flags' | 'fallback' | 'openblas' | 'not-openblas';
  why: string;
}

/** What one check child reported. */
export interface CheckVerdict { ok: boolean; core: string | null; blas: string[]; error: string | null; float32: number | null; float64: number | null }

/** Run kernelCheck.mjs in a child process with OPENBLAS_CORETYPE = coretype (null: unset). */
export function runCheckChild(addon: string, coretype: string | null, env: NodeJS.ProcessEnv = process.env): CheckVerdict {
  const childEnv: NodeJS.ProcessEnv = { ...env, OPENBLAS_VERBOSE: '2' };
  delete childEnv[KERNELS_ENV];
  if (coretype === null) delete childEnv.OPENBLAS_CORETYPE; else childEnv.OPENBLAS_CORETYPE = coretype;
  const script = join(dirname(fileURLToPath(import.meta.url)), 'kernelCheck.mjs');
  const r = spawnSync(process.execPath, [script, addon], { env: childEnv, encoding: 'utf8', timeout: 120_000 });
  const core = /^Core: (\S+)/m.exec(`${r.stderr ?? ''}\n${r.stdout ?? ''}`)?.[1] ?? null;
  const fail = (error: string): CheckVerdict => ({ ok: false, core, blas: [], error, float32: null, float64: null });
  if (r.error) return fail(`the check could not run (${r.error.message})`);
  if (r.signal) return fail(`the check crashed (${r.signal}${r.signal === 'SIGILL' ? ': the CPU lacks an instruction these kernels use' : ''})`);
  if (r.status !== 0) return fail(`the check exited with ${r.status}: ${(r.stderr ?? '').trim().split('\n').pop() ?? ''}`);
  let out: { ok: boolean; float32: number; float64: number; blas: string[] };
  try { out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as typeof out; } catch { return fail(`the check printed no result (${r.stdout.slice(0, 200)})`); }
  const error = out.ok ? null : `products disagree with a float64 reference (relative error float32 ${out.float32.toExponential(1)}, float64 ${out.float64.toExponential(1)})`;
  return { ok: out.ok, core, blas: out.blas, error, float32: out.float32, float64: out.float64 };
}

/** Where verdicts are cached: $XDG_CACHE_HOME/lrlab or ~/.cache/lrlab, else the OS temp folder. */
export function cacheDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs: string[] = [];
  if (env.LRLAB_CACHE_DIR) dirs.push(env.LRLAB_CACHE_DIR);
  const home = (() => { try { return homedir(); } catch { return ''; } })();
  if (env.XDG_CACHE_HOME) dirs.push(join(env.XDG_CACHE_HOME, 'lrlab')); else if (home) dirs.push(join(home, '.cache', 'lrlab'));
  const uid = (() => { try { return String(userInfo().uid); } catch { return 'user'; } })();
  dirs.push(join(tmpdir(), `lrlab-${uid}`));
  return dirs;
}

/** A file's identity for the cache: path, size and modification time. */
function fileStamp(path: string): string {
  try { const s = statSync(path); return `${path}:${s.size}:${s.mtimeMs}`; } catch { return `${path}:missing`; }
}

/** The cache key of a CPU and addon: a verdict holds only for the same CPU model, features and build. */
export function cacheKey(cpu: CpuInfo, addon: string): string {
  const id = JSON.stringify([VERSION, cpu.vendor, cpu.family, cpu.model, cpu.modelName, [...cpu.flags].sort(), fileStamp(addon), process.arch]);
  return createHash('sha256').update(id).digest('hex').slice(0, 20);
}

interface CacheEntry { version: number; choice: KernelChoice; blas: string[] }

function readCache(dirs: string[], key: string): CacheEntry | null {
  for (const d of dirs) {
    try {
      const e = JSON.parse(readFileSync(join(d, `kernels-${key}.json`), 'utf8')) as CacheEntry;
      // the BLAS libraries the verdict was for must still be the same files
      if (e.version === VERSION && e.blas.every((b) => !b.endsWith(':missing') && fileStamp(b.slice(0, b.indexOf(':'))) === b)) return e;
    } catch { /* no entry here */ }
  }
  return null;
}

function writeCache(dirs: string[], key: string, entry: CacheEntry): void {
  for (const d of dirs) {
    try {
      mkdirSync(d, { recursive: true });
      const f = join(d, `kernels-${key}.json`);
      writeFileSync(`${f}.${process.pid}.tmp`, JSON.stringify(entry, null, 2) + '\n');
      renameSync(`${f}.${process.pid}.tmp`, f);
      return;
    } catch { /* try the next place */ }
  }
}

/** Forget a cached verdict (in every cache folder). */
export function dropCache(dirs: string[], key: string): void {
  for (const d of dirs) rmSync(join(d, `kernels-${key}.json`), { force: true });
}

export interface SelectOptions {
  env?: NodeJS.ProcessEnv;
  /** /proc/cpuinfo's text (null: none). */
  cpuinfo?: string | null;
  cacheDirs?: string[];
  /** The check runner (default: runCheckChild). */
  check?: (addon: string, coretype: string | null) => CheckVerdict;
  /** Where to say that a choice fell back (default: stderr). */
  warn?: (line: string) => void;
}

function readCpuinfo(): string | null {
  try { return readFileSync('/proc/cpuinfo', 'utf8'); } catch { return null; }
}

/**
 * Choose the kernels for this process before `addon` is loaded, and set them in `env`
 * (OPENBLAS_CORETYPE, and LRLAB_KERNELS for child processes). Runs the check child only when no
 * verdict is cached for this CPU and addon.
 */
export function selectKernels(addon: string, o: SelectOptions = {}): KernelChoice {
  const env = o.env ?? process.env;
  const warn = o.warn ?? ((l: string) => process.stderr.write(`${l}\n`));
  const user = env.OPENBLAS_CORETYPE && env.OPENBLAS_CORETYPE !== '' ? env.OPENBLAS_CORETYPE : null;
  // inherited from an lrlab parent: the same choice, unchecked again
  const inherited = parseInherited(env[KERNELS_ENV]);
  if (inherited && inherited.coretype === user) return inherited;
  const text = o.cpuinfo === undefined ? readCpuinfo() : o.cpuinfo;
  const cpu = text === null ? null : parseCpuInfo(text);
  const dirs = o.cacheDirs ?? cacheDirs(env);
  const key = cpu === null ? null : cacheKey(cpu, addon);
  const cached = key === null ? null : readCache(dirs, key);
  // (the verdict on lrlab's own choice also tells whether to suggest it to a user with other kernels)
  if (user !== null) return publish(env, { coretype: user, core: null, source: 'user', why: userWhy(user, cpu, cached?.choice.source === 'fallback') });
  if (cpu === null || key === null) return publish(env, { coretype: null, core: null, source: 'openblas', why: 'no CPU flags to choose from (no /proc/cpuinfo): OpenBLAS\'s own choice' });
  if (cached) return publish(env, cached.choice);
  const check = o.check ?? ((a: string, c: string | null) => runCheckChild(a, c, env));
  const best = bestCore(cpu);
  let choice: KernelChoice;
  let blas: string[] = [];
  const own = (why: string, source: KernelChoice['source']): KernelChoice => {
    const v = check(addon, null);
    blas = v.blas;
    if (v.core === null && v.ok) return { coretype: null, core: null, source: 'not-openblas', why: `the BLAS is not OpenBLAS with runtime kernel selection (${v.blas.join(', ') || 'no BLAS library found'}): its own kernels` };
    return { coretype: null, core: v.core, source, why: v.ok ? why : `${why}; its check failed too: ${v.error}` };
  };
  if (best.core === null) {
    choice = own(`${best.why}: OpenBLAS's own choice`, 'openblas');
  } else {
    const v = check(addon, best.core);
    blas = v.blas;
    if (v.ok && v.core !== null && v.core.toLowerCase() === best.core.toLowerCase()) {
      choice = { coretype: best.core, core: v.core, source: 'flags', why: `chosen from ${best.why}` };
    } else if (v.ok && v.core === null) {
      choice = { coretype: null, core: null, source: 'not-openblas', why: `the BLAS is not OpenBLAS with runtime kernel selection (${v.blas.join(', ') || 'no BLAS library found'}): its own kernels` };
    } else {
      const reason = v.ok ? `OpenBLAS ran ${v.core} instead` : v.error;
      choice = own(`fallback: ${best.core} (from ${best.why}) failed its check: ${reason}`, 'fallback');
      warn(`lrlab: OpenBLAS kernels ${best.core} failed the start-up check (${reason}); using OpenBLAS's own choice${choice.core ? ` (${choice.core})` : ''}. Set OPENBLAS_CORETYPE to choose.`);
    }
  }
  writeCache(dirs, key, { version: VERSION, choice, blas: blas.map(fileStamp) });
  return publish(env, choice);
}

/** OpenBLAS x86 cores by the vector units their kernels use (a larger rank: wider, faster kernels). */
const CORE_RANK: Record<string, number> = {
  prescott: 0, core2: 0, penryn: 0, dunnington: 0, atom: 0, nehalem: 1, sandybridge: 2, bulldozer: 2, piledriver: 2,
  steamroller: 2, excavator: 2, haswell: 3, zen: 3, skylakex: 4, cooperlake: 5, sapphirerapids: 6,
};

/**
 * Why the user's kernels run, and, where lrlab would choose faster ones from the CPU's features (and
 * no earlier check of those failed: `fallback`), which (a machine's environment may set
 * OPENBLAS_CORETYPE for older kernels than its CPU can run: on an AVX-512 CPU, Haswell's reach about
 * half of SkylakeX's float32 peak). Kernels it does not rank, or ranks as fast, get no advice.
 */
export function userWhy(user: string, cpu: CpuInfo | null, fallback = false): string {
  const why = 'OPENBLAS_CORETYPE set by the user';
  const best = cpu === null ? null : bestCore(cpu);
  if (best === null || best.core === null || fallback) return why;
  const mine = CORE_RANK[user.toLowerCase()], theirs = CORE_RANK[best.core.toLowerCase()]!;
  if (mine === undefined || mine >= theirs) return why;
  return `${why}; lrlab would choose ${best.core} on this CPU (${best.why}): unset OPENBLAS_CORETYPE to run on those`;
}

function parseInherited(s: string | undefined): KernelChoice | null {
  if (!s) return null;
  try {
    const c = JSON.parse(s) as KernelChoice;
    return typeof c.source === 'string' && typeof c.why === 'string' ? { coretype: c.coretype ?? null, core: c.core ?? null, source: c.source, why: c.why } : null;
  } catch { return null; }
}

function publish(env: NodeJS.ProcessEnv, c: KernelChoice): KernelChoice {
  if (c.coretype !== null) env.OPENBLAS_CORETYPE = c.coretype;
  env[KERNELS_ENV] = JSON.stringify(c);
  return c;
}

/** One line for `lrlab info` and run records: "SkylakeX (chosen from CPU flags ...)". */
export function describeKernels(c: KernelChoice): string {
  const name = c.coretype ?? c.core ?? 'the BLAS library\'s own';
  return `${name} (${c.why})`;
}

/**
 * After the addon is loaded: the same products in this process (a few ms). When kernels lrlab chose
 * disagree here (the cached verdict no longer holds), the verdict becomes a fallback for the next
 * start and this start is refused: OpenBLAS's kernels cannot be changed once it is loaded.
 */
export function verifyKernels(choice: KernelChoice, binding: Parameters<typeof productCheck>[0], addon: string, o: SelectOptions = {}): void {
  const r = productCheck(binding);
  const text = o.cpuinfo === undefined ? readCpuinfo() : o.cpuinfo;
  const cpu = text === null ? null : parseCpuInfo(text);
  const dirs = o.cacheDirs ?? cacheDirs(o.env ?? process.env);
  if (cpu && r.ok) {
    // a verdict for other BLAS files (e.g. after update-alternatives) is checked again at the next start
    const e = readCache(dirs, cacheKey(cpu, addon));
    const loaded = loadedBlas();
    if (e && loaded.length > 0 && e.blas.map((b) => b.slice(0, b.indexOf(':'))).join('\n') !== loaded.join('\n')) dropCache(dirs, cacheKey(cpu, addon));
  }
  if (r.ok) return;
  const what = `relative error float32 ${r.float32.toExponential(1)}, float64 ${r.float64.toExponential(1)}`;
  if (choice.source !== 'flags') {
    (o.warn ?? ((l: string) => process.stderr.write(`${l}\n`)))(`lrlab: warning: the BLAS kernels in use (${describeKernels(choice)}) give inexact matrix products (${what})`);
    return;
  }
  if (cpu) {
    const fallback: KernelChoice = { coretype: null, core: null, source: 'fallback', why: `fallback: ${choice.coretype} gave inexact products in lrlab (${what})` };
    writeCache(dirs, cacheKey(cpu, addon), { version: VERSION, choice: fallback, blas: loadedBlas().map(fileStamp) });
  }
  throw new Error(`lrlab: OpenBLAS kernels ${choice.coretype} (${choice.why}) give inexact matrix products here (${what}); `
    + 'the next start uses OpenBLAS\'s own kernels: run the command again (or set OPENBLAS_CORETYPE to choose)');
}
