// Runs started from the dashboard: POST /api/runs gives {kind, preset, overrides}; the config is
// built and checked here with the CLI's own builder (experiments/configBuild.ts: the same one-line
// errors), written to a config FILE, and run by the lrlab CLI as a child process of the server —
// never a command line taken from a request. Stop sends SIGINT (the run checkpoints and exits 130);
// resume runs `lrlab resume DIR`. Children get the server's pid (as sweep workers get their sweep's),
// so a run whose server is gone checkpoints and stops instead of running on alone.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeJsonAtomic, defaultRunDir, liveRunProcess } from '../runs/runFolder.js';
import { ConfigInputError, resolveConfig } from '../experiments/configBuild.js';
import { SCALE_HINT } from '../experiments/scheduleCheck.js';
import { findExperiment, experimentKinds } from '../experiments/registry.js';
import { loadEngine } from '../engine/index.js';

/** SCALE_HINT as the dashboard says it. */
export const SCALE_HINT_DASHBOARD = "or tick 'scale the schedule' (scaleSchedule: true in the API) to move every schedule event with the length of training";

const CLI = fileURLToPath(new URL('../../bin/lrlab.js', import.meta.url));
/** The env variable by which a run learns its parent's pid (cli/progress.ts: it stops when that parent is gone). */
const PARENT_ENV = 'LRLAB_SWEEP_PARENT';
/** Where the launched configs are written, inside the runs folder (hidden: never listed, never served). */
export const LAUNCH_DIR = '.launched';

/** A refused launch request: status 400 (bad input), 404 (no such run), 409 (not possible now). */
export class LaunchError extends Error {
  constructor(readonly status: 400 | 404 | 409, message: string) { super(message); }
}

export interface LaunchRequest { kind: string; preset?: string; overrides: [string, unknown][]; seeds?: number; folder?: string; scaleSchedule?: boolean }

export interface Launched {
  id: string;
  pid: number;
  what: 'run' | 'resume';
  state: 'running' | 'exited';
  code: number | null;
  /** The last lines the child wrote on stderr. */
  stderr: string;
  started: string;
}

/** Check a POST /api/runs body: {kind, preset?, overrides?: {key: value}, seeds?, folder?, scaleSchedule?} (scaleSchedule: the CLI's --scale-schedule). */
export function parseLaunchBody(body: unknown): LaunchRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new LaunchError(400, 'the request body must be a JSON object {kind, preset, overrides}');
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) if (!['kind', 'preset', 'overrides', 'seeds', 'folder', 'scaleSchedule'].includes(k)) throw new LaunchError(400, `unknown field '${k}' in the request (known: kind, preset, overrides, seeds, folder, scaleSchedule)`);
  if (typeof b.kind !== 'string') throw new LaunchError(400, `field 'kind' must be one of ${experimentKinds().join(', ')}`);
  if (b.preset !== undefined && typeof b.preset !== 'string') throw new LaunchError(400, "field 'preset' must be a preset name");
  const ov = b.overrides ?? {};
  if (ov === null || typeof ov !== 'object' || Array.isArray(ov)) throw new LaunchError(400, "field 'overrides' must be an object {\"dotted.key\": value}");
  if (b.seeds !== undefined && typeof b.seeds !== 'number') throw new LaunchError(400, "field 'seeds' must be a positive integer");
  if (b.folder !== undefined && (typeof b.folder !== 'string' || !/^[a-z][a-z0-9-]{0,39}$/.test(b.folder))) throw new LaunchError(400, "field 'folder' must be a lowercase name (letters, digits, -)");
  if (b.scaleSchedule !== undefined && typeof b.scaleSchedule !== 'boolean') throw new LaunchError(400, "field 'scaleSchedule' must be true or false");
  return { kind: b.kind, preset: b.preset as string | undefined, overrides: Object.entries(ov), seeds: b.seeds as number | undefined, folder: b.folder as string | undefined, ...(b.scaleSchedule ? { scaleSchedule: true } : {}) };
}

export class Launcher {
  private children = new Map<string, { child: ChildProcess; info: Launched; exited: Promise<number> }>();

  constructor(readonly root: string, private readonly env: NodeJS.ProcessEnv = process.env) {}

  /** Every run this server started (or resumed), newest first. */
  list(): Launched[] { return [...this.children.values()].map((c) => ({ ...c.info })).reverse(); }

  get(id: string): Launched | null { const c = this.children.get(id); return c ? { ...c.info } : null; }

  /** Validate, write the config file, start `lrlab <kind> --config FILE --out DIR`; resolves once the run folder has its config.json. */
  async start(r: LaunchRequest): Promise<Launched> {
    const exp = findExperiment(r.kind);
    if (!exp) throw new LaunchError(400, `unknown experiment kind '${r.kind}' (known: ${experimentKinds().join(', ')})`);
    let cfg;
    try { cfg = resolveConfig(exp, { preset: r.preset, sets: r.overrides, seeds: r.seeds, scaleSchedule: r.scaleSchedule }); } catch (e) {
      // the CLI's advice in the dashboard's words (its form's box; scaleSchedule in the API)
      if (e instanceof ConfigInputError) throw new LaunchError(400, e.message.split('\n').join('; ').replace(SCALE_HINT, SCALE_HINT_DASHBOARD).replace(/as --scale-schedule did not/g, "as 'scale the schedule' did not"));
      throw e;
    }
    // the preset name goes into the folder name and onto the child's command line: only the kind's own names
    if (!Object.hasOwn(exp.presets, cfg.preset)) {
      throw new LaunchError(400, `config key 'preset' must be one of the ${exp.kind} presets (${Object.keys(exp.presets).join(', ')}), got '${String(cfg.preset)}'`);
    }
    const parent = resolve(r.folder ? join(this.root, r.folder) : this.root);
    const dir = resolve(defaultRunDir(exp.kind, cfg.preset, parent));
    const inside = (p: string) => { const rel = relative(resolve(this.root), p); return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel)); };
    if (!inside(parent) || !inside(dir) || dir === resolve(this.root)) throw new LaunchError(400, `the run folder must lie inside the runs folder ${this.root}`);
    mkdirSync(parent, { recursive: true });
    mkdirSync(dir); // claims the name; the CLI accepts an empty folder
    const id = relative(this.root, dir).split(sep).join('/');
    mkdirSync(join(this.root, LAUNCH_DIR), { recursive: true });
    const file = join(this.root, LAUNCH_DIR, `${id.replaceAll('/', '__')}.json`);
    writeJsonAtomic(file, cfg);
    return this.spawn(id, 'run', [exp.kind, '--preset', cfg.preset, '--config', file, '--out', dir, '--quiet'],
      () => existsSync(join(dir, 'config.json')));
  }

  /** SIGINT to a run this server started: it checkpoints and exits (130); resolves with its exit code. */
  async stop(id: string, timeoutMs = 60_000): Promise<number> {
    const c = this.children.get(id);
    if (!c) throw new LaunchError(409, `run '${id}' was not started from this dashboard: stop it where it runs (Ctrl-C checkpoints it)`);
    if (c.info.state === 'exited') throw new LaunchError(409, `run '${id}' is not running (it exited with code ${c.info.code})`);
    c.child.kill('SIGINT');
    const t = setTimeout(() => c.child.kill('SIGKILL'), timeoutMs);
    try { return await c.exited; } finally { clearTimeout(t); }
  }

  /** `lrlab resume DIR` for a run folder of the runs folder that is not running; resolves once it runs (or exited). */
  async resume(id: string, dir: string): Promise<Launched> {
    const own = this.children.get(id);
    if (own?.info.state === 'running') throw new LaunchError(409, `run '${id}' is running already`);
    const pid = runningPid(dir);
    if (pid !== null) throw new LaunchError(409, `run '${id}' is being run by process ${pid}`);
    return this.spawn(id, 'resume', ['resume', dir, '--quiet'], (child) => runningPid(dir) === child.pid);
  }

  /** Stop every child (SIGINT: they checkpoint) and wait for them. */
  async closeAll(timeoutMs = 30_000): Promise<void> {
    const live = [...this.children.keys()].filter((id) => this.children.get(id)!.info.state === 'running');
    await Promise.all(live.map((id) => this.stop(id, timeoutMs).catch(() => undefined)));
  }

  /**
   * The environment of a run started from here: the server's, and its pid (the run stops once the
   * server is gone). Alone, a run chooses its threads as one started at the terminal (side by side
   * for parts that batch and whose ops are small, else intra-op threads); beside another run started
   * from here that still runs, it gets one thread, so that two runs do not both claim every core.
   * The server's own LRLAB_NUM_THREADS wins either way.
   */
  childEnv(): NodeJS.ProcessEnv {
    const busy = [...this.children.values()].some((c) => c.info.state === 'running');
    return { ...this.env, [PARENT_ENV]: String(process.pid), ...(busy && this.env.LRLAB_NUM_THREADS === undefined ? { LRLAB_NUM_THREADS: '1' } : {}) };
  }

  private async spawn(id: string, what: Launched['what'], args: string[], ready: (child: ChildProcess) => boolean): Promise<Launched> {
    loadEngine(); // (the child inherits this process's kernel choice unchecked: checked here, once)
    const env = this.childEnv();
    // a process group of its own (as sweep workers): a Ctrl-C at the server's terminal reaches only the
    // server, which passes exactly one SIGINT on (a second one would make the run quit without its checkpoint)
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env, detached: true });
    const info: Launched = { id, pid: child.pid ?? -1, what, state: 'running', code: null, stderr: '', started: new Date().toISOString() };
    child.stderr!.on('data', (d: Buffer) => { info.stderr = (info.stderr + d.toString()).slice(-4000); });
    const exited = new Promise<number>((ok) => child.on('close', (code, signal) => {
      info.state = 'exited';
      info.code = code ?? (signal === 'SIGKILL' ? 137 : 1);
      ok(info.code);
    }));
    child.on('error', (e) => { info.stderr += `\n${e.message}`; });
    this.children.set(id, { child, info, exited });
    // answer once the run is visible (or the child gave up)
    const deadline = Date.now() + 30_000;
    while (info.state === 'running' && !ready(child) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (info.state === 'exited' && info.code !== 0 && !ready(child)) {
      throw new LaunchError(400, info.stderr.trim().split('\n').pop() || `lrlab ${what} exited with code ${info.code}`);
    }
    return { ...info };
  }
}

/**
 * A live process working on a run folder (status.json 'running': its pid, or one of the processes
 * training its parts side by side), else null.
 */
export function runningPid(dir: string): number | null {
  try { return liveRunProcess(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as Record<string, unknown>); } catch { return null; }
}
