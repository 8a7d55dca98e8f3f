// `lrlab synthetic`: run L-S, S and S+noise on the synthetic P/Q problem over seeds.
import { alignedTable } from './textTable.js';
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, REUSE_CONFIG, RUN_OPTIONS, UsageError, parseSets, printDryRun } from './command.js';
import { runWithProgress } from './progress.js';
import { applySets, deepMerge } from '../experiments/configTools.js';
import { SYNTHETIC_PRESETS, syntheticPreset } from '../experiments/syntheticPresets.js';
import { type SyntheticExperimentConfig, validateSyntheticConfig } from '../experiments/syntheticConfig.js';
import { runSynthetic, type SyntheticSummary } from '../experiments/runSynthetic.js';
import { LEARNED_ACC } from '../experiments/learned.js';
import { createRunDir, defaultRunDir, readJson } from '../runs/runFolder.js';
import { type MeanStd, fmtMeanStd } from '../util/stats.js';

const USAGE = `usage: lrlab synthetic [--preset NAME] [--config FILE] [--seeds N] [--set key=value ...] [--out DIR] [--force] [--quiet] [--dry-run]

Runs the synthetic experiment of the paper (Sections 2-5): L-S (large lr, annealed), S (small lr) and
S+noise (small lr with annealed pre-activation noise) on the P/Q distribution, over seeds, and prints
the final test accuracy on each component (mean ± std over seeds).

options:
  --preset NAME     one of: ${Object.keys(SYNTHETIC_PRESETS).join(', ')} (default: default)
  --config FILE     a JSON config (whole or partial; merged over the preset)
  --seeds N         number of seeds (seed, seed+1, ...)
  --set key=value   override any config key, dotted (e.g. --set train.eta1=0.02 --set data.d=200)
  --out DIR         run folder (default: runs/synthetic-<preset>-<time>)
  --force           overwrite an existing run folder
  --quiet           no progress bar
  --dry-run         print the resolved config (JSON, on stdout) and what would run, then exit

presets:
${Object.entries(SYNTHETIC_PRESETS).map(([k, v]) => `  ${k.padEnd(8)} ${v.description}`).join('\n')}

The run folder holds config.json, metrics.jsonl, summary.json and checkpoints; resume an interrupted
run with \`lrlab resume DIR\`.`;

/** Build the config from --preset, --config, --seeds and --set. */
export function buildSyntheticConfig(o: { preset?: string; config?: string; seeds?: string; set?: string[] }): SyntheticExperimentConfig {
  let cfg = syntheticPreset(o.preset ?? 'default');
  if (o.config) {
    let patch: unknown;
    try { patch = JSON.parse(readFileSync(o.config, 'utf8')); } catch (e) { throw new UsageError(`cannot read --config ${o.config}: ${(e as Error).message}`); }
    cfg = deepMerge(cfg, patch);
  }
  if (o.seeds !== undefined) {
    const n = Number(o.seeds);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--seeds must be a positive integer, got '${o.seeds}'`);
    cfg.seeds = n;
  }
  try {
    cfg = applySets(cfg, parseSets(o.set ?? []));
    return validateSyntheticConfig(cfg);
  } catch (e) { throw new UsageError((e as Error).message); }
}

export function formatSyntheticTable(s: SyntheticSummary): string {
  const cols = ['p_only', 'q_only', 'both', 'all'];
  const head = ['method', ...cols.map((c) => `test acc ${c}`), 'P learned at', 'Q learned at', 'annealed at', 'steps'];
  const learned = (m: MeanStd | undefined) => (m && m.mean !== null ? `${fmtMeanStd(m, 0)} (${m.n})` : 'never');
  const rows = Object.entries(s.methods).map(([m, r]) => [
    m, ...cols.map((c) => fmtMeanStd(r.test_acc[c])), learned(r.learned_at_step?.p_only), learned(r.learned_at_step?.q_only),
    r.annealed_at_step ? fmtMeanStd(r.annealed_at_step, 0) : '-', fmtMeanStd(r.steps, 0),
  ]);
  return [`synthetic preset '${s.preset}', seeds ${s.seeds.join(', ')} (mean ± std over seeds)`, ...alignedTable(head, rows),
    `(P/Q learned at: first evaluated step with P-only / Q-only test accuracy >= ${LEARNED_ACC}, over the (n) seeds that got there)`].join('\n');
}

/** Run a config into a folder with a progress bar; print the table. Shared by `synthetic` and `resume`. */
export async function executeSynthetic(cfg: SyntheticExperimentConfig, dir: string, quiet: boolean): Promise<number> {
  return runWithProgress({
    label: 'synthetic', total: cfg.seeds * cfg.methods.length * cfg.train.maxSteps, dir, quiet,
    run: (shouldStop, bar) => runSynthetic(cfg, dir, {
      shouldStop,
      onProgress: (p) => bar.update(p.part * cfg.train.maxSteps + p.step,
        `${p.method} seed ${p.seed} step ${p.step}/${p.maxSteps} loss ${p.trainLoss.toPrecision(3)}`),
    }),
    table: () => formatSyntheticTable(readJson<SyntheticSummary>(join(dir, 'summary.json'))),
  });
}

export const syntheticCommand: Command = {
  name: 'synthetic',
  summary: 'the synthetic P/Q experiment: L-S vs S vs S+noise (paper Sections 2-5)',
  usage: USAGE,
  async run(argv) {
    const { values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: RUN_OPTIONS,
    });
    const cfg = buildSyntheticConfig(values);
    const out = values.out ?? defaultRunDir('synthetic', cfg.preset);
    if (values['dry-run']) {
      const plan = `would run ${cfg.methods.join(', ')} on ${cfg.seeds} seed(s) from seed ${cfg.seed}: ${cfg.seeds * cfg.methods.length} part(s) of up to ${cfg.train.maxSteps} steps`;
      return printDryRun(cfg, { plan, dir: out, force: values.force ?? false, reuse: REUSE_CONFIG });
    }
    const dir = createRunDir(out, values.force ?? false);
    return executeSynthetic(cfg, dir, values.quiet ?? false);
  },
};
