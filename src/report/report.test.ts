// The report from small fixture runs: SVG charts written and inlined, the paper's tables beside ours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { writeReport } from './report.js';
import { writeImageRun, writeSyntheticRun, writeSyntheticSweep, IMAGE_METHODS } from './fixtures.testutil.js';
import { expandRunDirs } from './runData.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'lrlab-report-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('image report: Figure 3 and Figure 1 SVGs with every method, Table 2 with the paper beside ours', async (t) => {
  const d = tempDir(t);
  const run = writeImageRun(join(d, 'patch-run'), { preset: 'patch', seeds: 2, epochs: 10 });
  const out = join(d, 'out', 'report.html');
  const r = await writeReport([run], out);
  assert.equal(r.html, out);
  assert.deepEqual(r.svgs.map((s) => basename(s)), ['patch-run-figure3.svg', 'patch-run-figure1.svg']);
  for (const f of r.svgs) {
    assert.ok(existsSync(f), f);
    const svg = readFileSync(f, 'utf8');
    assert.match(svg, /^<svg /);
    for (const m of IMAGE_METHODS) assert.ok(svg.includes(m.name), `${basename(f)} names ${m.name}`);
  }
  const fig3 = readFileSync(r.svgs[0]!, 'utf8');
  assert.ok(fig3.includes('clean validation accuracy') && fig3.includes('patch-only validation accuracy'));
  const fig1 = readFileSync(r.svgs[1]!, 'utf8');
  assert.ok(fig1.includes('lr annealed (epoch 6)'), 'Figure 1 marks the anneal from the lr schedule (at: [6])');
  assert.ok(fig1.includes('train') && fig1.includes('val'));

  const html = readFileSync(out, 'utf8');
  assert.equal((html.match(/<svg /g) ?? []).length, 2, 'both charts inline');
  assert.ok(!/<script|<link |src="http|href="http|@import/i.test(html), 'self-contained: no scripts, no external resources');
  assert.match(html, /Table 2 layout: validation accuracy \(%\) on mixed \/ clean images, mean ± std over 2 seeds/);
  assert.ok(html.includes('paper (Table 2): mixed') && html.includes('paper (Table 2): clean'));
  // the paper's numbers on the row of their method, beside ours
  const row = (m: string) => html.split('\n').find((l) => l.startsWith(`<tr><th scope="row">${m}</th>`)) ?? '';
  assert.match(row('large LR + anneal'), /<td>\d+\.\d\d ± \d+\.\d\d<\/td><td>\d+\.\d\d ± \d+\.\d\d<\/td><td class="paper">95\.35<\/td><td class="paper">87\.61<\/td>/);
  assert.match(row('small LR'), /<td class="paper">92\.83<\/td><td class="paper">69\.89<\/td>/);
  assert.match(row('small LR + noise'), /<td class="paper">94\.43<\/td><td class="paper">81\.36<\/td>/);
  assert.ok(!html.includes('not directly comparable'));
});

test('Fashion-MNIST and clean presets: the paper labeled as another setting, Table 1 layout', async (t) => {
  const d = tempDir(t);
  const fm = writeImageRun(join(d, 'fm'), { preset: 'patch-fmnist', dataset: 'fashion-mnist', epochs: 8, done: false });
  const clean = writeImageRun(join(d, 'clean'), { preset: 'clean', patch: false, epochs: 8 });
  const r = await writeReport([fm, clean], join(d, 'report.html'));
  assert.equal(r.svgs.length, 4);
  const html = readFileSync(r.html, 'utf8');
  assert.ok(html.includes('paper (CIFAR-10, different setting): mixed'));
  assert.ok(html.includes('not directly comparable'));
  assert.ok(html.includes('run not finished'), 'a running run reports its latest rows');
  assert.match(html, /Table 1 layout: clean validation accuracy/);
  assert.ok(html.includes('paper (Table 1): clean'));
  for (const n of ['90.41', '89.65', '84.93']) assert.ok(html.includes(`<td class="paper">${n}</td>`), n);
});

test('synthetic report: per-component accuracy and Q-contrast charts, final accuracy table', async (t) => {
  const d = tempDir(t);
  const run = writeSyntheticRun(join(d, 'syn'), { seeds: 2, steps: 800, every: 100 });
  const r = await writeReport([run], join(d, 'r', 'index.html'));
  assert.deepEqual(r.svgs.map((s) => basename(s)), ['syn-components.svg', 'syn-q-contrast.svg', 'syn-margins.svg']);
  for (const f of r.svgs) {
    const svg = readFileSync(f, 'utf8');
    assert.match(svg, /^<svg /);
    for (const m of ['L-S', 'S', 'S+noise']) assert.ok(svg.includes(`>${m}<`), `${basename(f)} names ${m}`);
    assert.ok(svg.includes('>anneal<'), 'the L-S anneal is marked');
  }
  const comp = readFileSync(r.svgs[0]!, 'utf8');
  assert.ok(comp.includes('P-only test accuracy') && comp.includes('Q-only test accuracy'));
  const html = readFileSync(r.html, 'utf8');
  assert.match(html, /Final test accuracy per component, mean ± std over 2 seeds/);
  // learning order: P-only / Q-only test accuracy first >= 0.75 (the fixture: L-S learns Q after its anneal at 400, S early, S+noise never)
  assert.match(html, /<tr><th scope="row">L-S<\/th>(<td>[\d.]+ ± [\d.]+<\/td>){4}<td>300 ± 0<\/td><td>600 ± 0<\/td><td>800 ± 0<\/td><td>400 ± 0<\/td><td>2 done<\/td><\/tr>/);
  assert.match(html, /<tr><th scope="row">S<\/th>(<td>[\d.]+ ± [\d.]+<\/td>){4}<td>[\d]+ ± [\d]+<\/td><td>100 ± 0<\/td>/);
  assert.match(html, /<tr><th scope="row">S\+noise<\/th>(<td>[\d.]+ ± [\d.]+<\/td>){4}<td>300 ± 0<\/td><td>never<\/td>/);
  assert.ok(html.includes('annealed at step (mean over seeds)</dt><dd>L-S 400</dd>'));
});

test('synthetic report of an unfinished run: the learning order from the metrics rows', async (t) => {
  const d = tempDir(t);
  const run = writeSyntheticRun(join(d, 'syn'), { seeds: 2, steps: 500, every: 100, done: false });
  const html = readFileSync((await writeReport([run], join(d, 'r', 'index.html'))).html, 'utf8');
  assert.match(html, /run not finished/);
  assert.match(html, /<tr><th scope="row">L-S<\/th>(<td>[\d.]+ ± [\d.]+<\/td>){4}<td>300 ± 0<\/td><td>not yet<\/td><td>500 ± 0<\/td><td>400 ± 0<\/td>/);
  assert.match(html, /<tr><th scope="row">S<\/th>(<td>[\d.]+ ± [\d.]+<\/td>){4}<td>[\d]+ ± [\d]+<\/td><td>100 ± 0<\/td>/);
});

test('sweep report: the sweep section leads, names the swept key, has the table of grid points and the gap plots; then the runs', async (t) => {
  const d = tempDir(t);
  const sw = writeSyntheticSweep(join(d, 'sw1'), { over: [['train.eta1', [0.01, 0.1]]], seeds: 2 });
  const r = await writeReport(expandRunDirs([sw]), join(sw, 'report.html'));
  const html = readFileSync(r.html, 'utf8');
  assert.match(html, /<title>lrlab report: sweep sw1 over train\.eta1<\/title>/);
  const sections = [...html.matchAll(/<h2>([^<]*)<\/h2>/g)].map((m) => m[1]);
  assert.equal(sections[0], 'sw1: sweep over train.eta1 (synthetic)');
  assert.equal(sections.length, 1 + 2 * 2, 'then one section per point and seed');
  assert.equal(sections[1], 'sw1/p000/seed0 (train.eta1 = 0.01): synthetic &#39;default&#39;');
  assert.ok(html.includes('<dt>swept</dt><dd>train.eta1: 0.01, 0.1</dd>'));
  assert.match(html, /<tr><th scope="row">p001<\/th><td>0\.1<\/td>/);
  assert.ok(html.includes('<dt>parts</dt><dd>8 parts run, 4 reused (copied from finished parts with the same part identity)</dd>'));
  assert.deepEqual(r.svgs.slice(0, 2).map((s) => basename(s)), ['sweep-sw1-sweep-gap-train-eta1.svg', 'sweep-sw1-sweep-methods-train-eta1.svg']);
  assert.ok(readFileSync(r.svgs[0]!, 'utf8').includes('train.eta1'));
});

test('a one-seed run and a one-seed sweep: the charts\' labels say there is no std, not "NaN"', async (t) => {
  const d = tempDir(t);
  const run = writeSyntheticRun(join(d, 'syn1'), { seeds: 1, steps: 400, every: 100 });
  const sw = writeSyntheticSweep(join(d, 'sw1'), { over: [['train.eta1', [0.01, 0.1]]], seeds: 1 });
  for (const [dirs, out] of [[[run], join(d, 'r1', 'index.html')], [expandRunDirs([sw]), join(sw, 'report.html')]] as const) {
    const r = await writeReport([...dirs], out);
    const texts = [readFileSync(r.html, 'utf8'), ...r.svgs.map((f) => readFileSync(f, 'utf8'))];
    assert.ok(texts.some((x) => x.includes('std: - (one seed)')), `${basename(out)}: the charts' labels name the std`);
    for (const [i, x] of texts.entries()) assert.ok(!x.includes('NaN'), `${i === 0 ? r.html : r.svgs[i - 1]}: ${x.slice(Math.max(0, x.indexOf('NaN') - 80), x.indexOf('NaN') + 10)}`);
  }
});
