// The registry is the only place to touch to add an experiment: a tiny test-only kind ('toy',
// gradient descent on (w - target)^2 with a per-method learning rate, pure JavaScript) registered
// here gets the CLI command, --dry-run, resume, part identities, the report, the runs index and the
// dashboard's API without any other change.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { object, parseConfig, positive, positiveInt, seedInt, z } from '../util/schema.js';
import { meanStd } from '../util/stats.js';
import type { Experiment, PartWork } from './experiment.js';
import { getExperiment, registerExperiment, unregisterExperiment, experimentKinds } from './registry.js';
import { partId } from './partId.js';
import { runParts } from './partRunner.js';
import { main } from '../cli/main.js';
import { writeReport } from '../report/report.js';
import { RunsIndex } from '../server/runsIndex.js';
import { chartsFor, runDetail } from '../server/api.js';
import { meanBandPanel, nested, top } from '../viz/charts.js';
import type { SummaryEnvelope } from '../runs/format.js';

const toySchema = object({
  kind: z.literal('toy'), preset: z.string(), seed: seedInt(), seeds: positiveInt(),
  steps: positiveInt(), checkpointEvery: z.int().min(0),
  methods: z.array(object({ name: z.string(), lr: positive() })).min(1),
});
type Toy = z.infer<typeof toySchema>;

class ToyPart implements PartWork {
  w = 0; step = 0;
  constructor(private readonly c: Toy, private readonly method: string, private readonly lr: number, private readonly seed: number) {}
  get target() { return 1 + this.seed; }
  get done() { return this.step >= this.c.steps; }
  advance() { this.w -= this.lr * 2 * (this.w - this.target); this.step++; return { evaluate: true, checkpoint: this.c.checkpointEvery > 0 && this.step % this.c.checkpointEvery === 0 }; }
  evaluate() { const err = Math.abs(this.w - this.target); return { method: this.method, seed: this.seed, step: this.step, acc: { fit: 1 / (1 + err) } }; }
  state() { return { w: this.w, step: this.step }; }
  restore(s: unknown) { Object.assign(this, s as { w: number; step: number }); }
  result() { return { status: 'done', message: null, w: this.w }; }
  fingerprint() { return String(this.w); }
  progress() { return { at: this.step, of: this.c.steps, info: `${this.method} step ${this.step}` }; }
  dispose() {}
}

const toy: Experiment<Toy, null, number> = {
  kind: 'toy',
  schema: toySchema,
  validate: (c) => parseConfig(toySchema, c),
  presets: { basic: { description: 'two learning rates', config: () => ({ kind: 'toy', preset: 'basic', seed: 0, seeds: 2, steps: 20, checkpointEvery: 5, methods: [{ name: 'fast', lr: 0.3 }, { name: 'slow', lr: 0.01 }] }) } },
  defaultPreset: 'basic',
  methods: (c) => c.methods.map((m) => m.name),
  partConfig: (c, method) => ({ steps: c.steps, lr: c.methods.find((m) => m.name === method)!.lr }),
  environmentProblems: () => [],
  prepare: () => null,
  setupSeed: (_c, _x, seed) => seed,
  disposeSeed: () => {},
  createPart: (c, _x, seed, key) => new ToyPart(c, key.method, c.methods.find((m) => m.name === key.method)!.lr, seed),
  summarize: (c, parts) => ({
    kind: 'toy', preset: c.preset, seeds: [...new Set(parts.map((p) => p.seed))],
    methods: Object.fromEntries(c.methods.map((m) => [m.name, { w: meanStd(parts.filter((p) => p.method === m.name).map((p) => (p as unknown as { w: number }).w)) }])),
  }),
  schedule: { lengthKey: 'steps', unit: 'step', length: (c) => c.steps, events: () => [], scale: (c) => ({ config: c, moved: [] }) },
  view: {
    clock: 'step', headline: { group: 'acc', keys: ['fit'] }, listColumn: { key: 'acc.fit', label: 'fit', format: 'frac' }, indexKeys: [],
    methodNames: (c) => (c.methods as { name: string }[]).map((m) => m.name),
    rowFinals: () => ({}),
    tables: (_c, methods, f) => [{ caption: 'toy', header: ['method', 'fit'], paperCols: [], rows: methods.map((m) => [m, String(f.methods[m]?.['acc.fit']?.mean ?? f.methods[m]?.w?.mean)]), notes: [] }],
    charts: (ctx) => [{ id: 'fit', title: 'fit', caption: '', spec: top(ctx, meanBandPanel(ctx, { title: 'fit', x: { field: 'step', title: 'step' }, ys: [['fit', nested('acc', 'fit')]], yTitle: 'fit', width: 200, height: 100 })) }],
    facts: () => [['toy', 'yes']],
  },
  cli: {
    summary: 'a test-only experiment', help: 'Fits w to 1 + seed.', options: {}, applyOptions: (c) => c,
    plan: (c) => `would fit ${c.methods.length} method(s)`, table: (s: SummaryEnvelope) => `toy table: ${Object.keys(s.methods).join(', ')}`,
  },
  sweep: { columns: ['w'], shown: ['w'], what: 'toy', finals: () => ({}), gap: { first: null, second: null, column: 'w' } },
};

const root = mkdtempSync(join(tmpdir(), 'lrlab-registry-'));
after(() => { unregisterExperiment('toy'); rmSync(root, { recursive: true, force: true }); });

test('a kind registered once is known everywhere; a second registration and bad names are refused', () => {
  registerExperiment(toy);
  assert.ok(experimentKinds().includes('toy'));
  assert.equal(getExperiment('toy'), toy);
  assert.throws(() => registerExperiment(toy), /'toy' is already registered/);
  assert.throws(() => registerExperiment({ ...toy, kind: 'Bad Name' }), /must be lowercase/);
  assert.throws(() => getExperiment('toString'), /unknown experiment kind "toString" \(known: synthetic, images, toy\)/);
});

test('the registered kind runs through the CLI, resumes, and is reported, indexed and charted', async () => {
  const dir = join(root, 'runs', 'toy1');
  const log = console.log, err = console.error;
  const out: string[] = [];
  console.log = (...a: unknown[]) => { out.push(a.join(' ')); };
  console.error = () => {};
  try {
    assert.equal(await main(['toy', '--out', dir, '--quiet', '--set', 'steps=12']), 0);
    assert.equal(await main(['toy', '--set', 'steps=0', '--dry-run']), 2, 'the schema checks --set values');
    assert.equal(await main(['toy', '--preset', 'nope']), 2);
  } finally { console.log = log; console.error = err; }
  assert.ok(out.some((l) => l.includes('toy table: fast, slow')), out.join('\n'));
  assert.deepEqual(readdirSync(join(dir, 'parts')).sort(), ['fast-seed0.json', 'fast-seed1.json', 'slow-seed0.json', 'slow-seed1.json']);
  const part = JSON.parse(readFileSync(join(dir, 'parts', 'slow-seed1.json'), 'utf8')) as { partId: string; w: number };
  assert.equal(part.partId, partId('toy', { steps: 12, lr: 0.01 }, 1));
  assert.ok(part.w > 0 && part.w < 2);
  const rows = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n');
  assert.equal(rows.length, 4 * 13, 'an initial row and one per step for each part');

  // interrupt after the first checkpoint of a fresh run, then resume: the same rows
  const dir2 = join(root, 'runs', 'toy2');
  let calls = 0;
  const cfg = { ...toy.presets.basic!.config(), steps: 12 };
  assert.equal(await runParts(toy, cfg, dir2, { shouldStop: () => ++calls > 8 }), 'interrupted');
  assert.equal(await runParts(toy, cfg, dir2), 'done');
  assert.equal(readFileSync(join(dir2, 'metrics.jsonl'), 'utf8'), readFileSync(join(dir, 'metrics.jsonl'), 'utf8'));
  assert.equal(readdirSync(join(dir2, 'checkpoints')).length, 0, 'finished parts leave no checkpoint');
  // a stop asked from an event (as a SIGINT handler asks it: it runs only when the event loop does)
  // stops a run whose parts each take less than the pause interval
  let asked = false;
  setImmediate(() => { asked = true; });
  assert.equal(await runParts(toy, cfg, join(root, 'elsewhere', 'toy3'), { shouldStop: () => asked, yieldEveryMs: 60_000 }), 'interrupted');

  const rep = await writeReport([dir], join(root, 'report.html'));
  assert.match(readFileSync(rep.html, 'utf8'), /toy &#39;basic&#39;|toy 'basic'/);
  assert.equal(rep.svgs.length, 1);
  const index = new RunsIndex(join(root, 'runs'));
  try {
    index.sync();
    const listed = index.list({ kind: 'toy' });
    assert.equal(listed.length, 2);
    assert.deepEqual(listed[0]!.column, { key: 'acc.fit', label: 'fit', format: 'frac' });
  } finally { index.close(); }
  assert.deepEqual(runDetail(join(root, 'runs'), 'toy1').facts, [['toy', 'yes']]);
  assert.equal(chartsFor(join(root, 'runs'), ['toy1', 'toy2']).charts.length, 1);
  assert.ok(!existsSync(join(dir, 'checkpoints', 'fast-seed0.json')));
});

test('lrlab schema prints the kind\'s JSON Schema; an unknown kind is a usage error', async () => {
  const log = console.log, err = console.error;
  const out: string[] = [];
  console.log = (...a: unknown[]) => { out.push(a.join(' ')); };
  console.error = () => {};
  try {
    assert.equal(await main(['schema', 'toy']), 0);
    assert.equal(await main(['schema', 'cats']), 2);
  } finally { console.log = log; console.error = err; }
  const s = JSON.parse(out.join('\n')) as { title: string; properties: Record<string, { type?: string; minimum?: number }>; required: string[] };
  assert.equal(s.title, 'lrlab toy config');
  assert.equal(s.properties.steps!.type, 'integer');
  assert.equal(s.properties.steps!.minimum, 1);
  assert.ok(s.required.includes('methods'));
});
