// End to end in headless Chromium (Debian's `chromium`, driven by playwright-core): the dashboard
// lists a fixture run, opening it shows its charts, and the charts gain points when rows are appended
// to the run's metrics.jsonl while the page is open; then, at 1280 px, a sweep's table and plots, its
// download, a hyperparameter column, the config diff of two runs, per-seed curves, and no table
// wider than its page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { SKIP, browserSession } from './browser.testutil.js';
import { syntheticRow, writeImageRun, writeSyntheticRun, writeSyntheticSweep } from '../report/fixtures.testutil.js';

/** The first test's temporary folder and dashboard address, for the second test to check they are gone. */
let base = '', url = '';

test('dashboard: lists a run, opening it shows a chart, appended metrics rows appear live; sweeps, columns, diffs, per-seed curves', { skip: SKIP, timeout: 120_000 }, async (t) => {
  const session = browserSession(t, 'lrlab-dash-');
  base = session.base;
  const root = session.root;
  const run = writeSyntheticRun(join(root, 'live-syn'), { seeds: 1, steps: 300, every: 100, done: false }); // 3 methods x 4 rows
  writeImageRun(join(root, 'img-patch'), { preset: 'patch', epochs: 4 });
  const { d, page } = await session.start({ width: 1400, height: 1000 });
  url = d.url;
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  // (an event stream the page closes itself, when another run is opened, ends as aborted)
  page.on('requestfailed', (r) => { if (!(new URL(r.url()).pathname.endsWith('/events') && r.failure()?.errorText === 'net::ERR_ABORTED')) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`); });
  await page.goto(d.url);

  const row = page.locator('#runs tbody tr[data-id="live-syn"]');
  await row.waitFor({ timeout: 10_000 });
  assert.match(await row.innerText(), /live-syn[\s\S]*synthetic · default[\s\S]*running/);
  assert.equal(await page.locator('#runs tbody tr').count(), 2);

  await row.click();
  const chart = page.locator('.chart[data-chart="components"]');
  await page.waitForFunction(() => document.querySelector('.chart[data-chart="components"]')?.getAttribute('data-points') === '12', undefined, { timeout: 10_000 });
  assert.equal(await chart.locator('svg').count(), 1);
  /** Line vertices drawn in the chart: the 'L' commands of its line marks' paths. */
  const vertices = () => chart.evaluate((el) => [...el.querySelectorAll('.mark-line path')].reduce((n, p) => n + (p.getAttribute('d')?.match(/L/g)?.length ?? 0), 0));
  const before = await vertices();
  assert.ok(before > 0, 'the lines are drawn');
  assert.equal(await page.locator('#live').isVisible(), true, 'a running run is marked live');
  assert.match(await page.locator('#tables').innerText(), /Final test accuracy per component/);

  // the run trains on: three more rows (one per method) arrive while the page is open
  appendFileSync(join(run, 'metrics.jsonl'), ['L-S', 'S', 'S+noise'].map((m, i) => JSON.stringify(syntheticRow(m, i, 0, 400)) + '\n').join(''));
  await page.waitForFunction(() => document.querySelector('.chart[data-chart="components"]')?.getAttribute('data-points') === '15', undefined, { timeout: 10_000 });
  await page.waitForFunction((n) => [...document.querySelectorAll('.chart[data-chart="components"] .mark-line path')]
    .reduce((k, p) => k + (p.getAttribute('d')?.match(/L/g)?.length ?? 0), 0) > n, before, { timeout: 5_000 });
  assert.ok((await vertices()) > before, 'the lines gained vertices');
  assert.equal(await page.locator('.chart[data-chart="q-contrast"]').getAttribute('data-points'), '15');

  if (process.env.LRLAB_SCREENSHOTS) await page.screenshot({ path: join(process.env.LRLAB_SCREENSHOTS, 'dashboard.png'), fullPage: true });

  // ---- comparison at 1280 px: a sweep (grouped in the list), a second synthetic run of another length
  await page.setViewportSize({ width: 1280, height: 900 });
  writeSyntheticSweep(join(root, 'sw1'), { over: [['train.eta1', [0.01, 0.02, 0.04]]], seeds: 2 });
  writeSyntheticRun(join(root, 'syn-b'), { seeds: 2, steps: 600, every: 100 });
  const sweepRow = page.locator('#runs tbody tr.sweep[data-sweep="sw1"]');
  await sweepRow.waitFor({ timeout: 10_000 });
  assert.match(await sweepRow.innerText(), /sweep sw1[\s\S]*6 runs/);
  assert.equal(await page.locator('#runs tbody tr[data-id^="sw1/"]').count(), 0, "a sweep's runs are folded under it");
  await sweepRow.locator('button.fold').click();
  await page.locator('#runs tbody tr[data-id="sw1/points/p000/seed0"]').waitFor({ timeout: 5_000 });

  await sweepRow.click();
  await page.locator('#sweep-table table tbody tr').first().waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('#sweep-table table tbody tr').count(), 3, 'one row per grid point');
  const sweepText = await page.locator('#sweep-table').innerText();
  assert.match(sweepText, /train\.eta1/);
  assert.match(sweepText, /0\.040 ± 0\.014|0\.04/, 'the swept value');
  assert.match(sweepText, /gap L-S − S/);
  await page.waitForFunction(() => document.querySelectorAll('#sweep-charts .chart[data-rendered="1"]').length >= 2, undefined, { timeout: 10_000 });
  const marks = await page.locator('#sweep-charts .chart').first().evaluate((el) => el.querySelectorAll('.mark-symbol path, .mark-line path, .mark-rule line').length);
  assert.ok(marks >= 3, `the gap plot draws its points (${marks} marks)`);
  await assertFits(page, 'sweep page');
  if (process.env.LRLAB_SCREENSHOTS) await page.screenshot({ path: join(process.env.LRLAB_SCREENSHOTS, 'dashboard-sweep.png'), fullPage: true });
  // the sweep's download: the export of all its runs (csv)
  const href = await page.locator('#sweep-download').getAttribute('href');
  const csv = await page.evaluate(async (u) => (await fetch(u!)).text(), href);
  const lines = csv.trim().split('\n');
  assert.match(lines[0]!, /run/);
  assert.ok(lines.length > 6 * 3, `one row per recorded value (${lines.length} lines)`);

  // a hyperparameter column from a config key, sorted
  await page.fill('#column-key', 'train.maxSteps');
  await page.press('#column-key', 'Enter');
  await page.waitForFunction(() => [...document.querySelectorAll('#runs thead th')].some((th) => th.textContent?.startsWith('train.maxSteps')), undefined, { timeout: 10_000 });
  await page.waitForFunction(() => document.querySelector('#runs tbody tr[data-id="syn-b"] td.param')?.textContent === '600', undefined, { timeout: 10_000 });
  await page.fill('.chip[data-key="train.maxSteps"] input', '>500');
  await page.waitForFunction(() => !document.querySelector('#runs tbody tr[data-id="live-syn"]') && !!document.querySelector('#runs tbody tr[data-id="syn-b"]'), undefined, { timeout: 10_000 });
  await page.fill('.chip[data-key="train.maxSteps"] input', '');
  await page.locator('#runs tbody tr[data-id="live-syn"]').waitFor({ timeout: 10_000 });

  // two ticked runs: overlaid, and the diff of their configs
  await page.locator('#runs tbody tr[data-id="live-syn"] input[type=checkbox]').check();
  await page.locator('#runs tbody tr[data-id="syn-b"] input[type=checkbox]').check();
  await page.locator('#diff tr[data-key="train.maxSteps"]').waitFor({ timeout: 10_000 });
  assert.match(await page.locator('#diff tr[data-key="train.maxSteps"]').innerText(), /300[\s\S]*600/);
  assert.equal(await page.locator('#diff tr[data-key="kind"]').count(), 0, 'equal keys are not listed');
  await page.waitForFunction(() => document.querySelector('.chart[data-chart="components"]')?.getAttribute('data-points') === String(15 + 2 * 3 * 7), undefined, { timeout: 10_000 });
  const legend = await page.locator('.chart[data-chart="curves-loss"]').innerText();
  const legend2 = await page.locator('.chart[data-chart="components"]').innerText();
  for (const l of ['live-syn · L-S', 'syn-b · S+noise']) assert.ok(legend.includes(l) && legend2.includes(l), `overlay label ${l} in both charts`);
  await page.locator('#runs tbody tr[data-id="live-syn"] input[type=checkbox]').uncheck();
  await page.locator('#runs tbody tr[data-id="syn-b"] input[type=checkbox]').uncheck();

  // per-seed curves beside the mean band; loss and schedule curves; the whole config; nothing wider than the page
  await page.locator('#runs tbody tr[data-id="syn-b"]').click();
  const lossPaths = () => page.locator('.chart[data-chart="curves-loss"] .mark-line path').count();
  await page.waitForFunction(() => document.querySelector('.chart[data-chart="curves-loss"]')?.getAttribute('data-points') === '42', undefined, { timeout: 10_000 });
  const meanOnly = await lossPaths();
  await page.locator('#per-seed').check();
  await page.waitForFunction(() => document.querySelector('.chart[data-chart="curves-loss"]')?.getAttribute('data-points') === '42', undefined, { timeout: 10_000 });
  await page.waitForFunction((n) => document.querySelectorAll('.chart[data-chart="curves-loss"] .mark-line path').length > n, meanOnly, { timeout: 10_000 });
  assert.ok((await lossPaths()) >= meanOnly * 2, 'every seed gets its own line');
  assert.equal(await page.locator('.chart[data-chart="curves-schedule"]').count(), 1, 'the lr and noise schedules');
  await page.locator('#config').waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('#stop').isVisible(), false, 'a run this dashboard did not start has no stop button');
  assert.equal(await page.locator('#resume').isVisible(), false, 'a finished run has no resume button');
  assert.match(await page.locator('#config pre').textContent() ?? '', /"maxSteps": 600/);
  await assertFits(page, 'run page');
  if (process.env.LRLAB_SCREENSHOTS) await page.screenshot({ path: join(process.env.LRLAB_SCREENSHOTS, 'dashboard-run.png'), fullPage: true });
  assert.deepEqual(problems, []);
});

test('dashboard: seven overlaid runs stream on one connection, and the page goes on refreshing (a browser keeps 6 to a server)', { skip: SKIP, timeout: 90_000 }, async (t) => {
  const { root, start } = browserSession(t, 'lrlab-dash-many-');
  const ids = Array.from({ length: 7 }, (_, i) => `r${i}`);
  const runs = ids.map((id) => writeSyntheticRun(join(root, id), { seeds: 1, steps: 200, every: 100, done: false })); // 3 methods x 3 rows each
  const { d, page } = await start({ width: 1400, height: 1000 });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  const streams: string[] = [];
  page.on('request', (r) => { if (new URL(r.url()).pathname.endsWith('/events')) streams.push(r.url()); });
  await page.goto(d.url);
  await page.locator('#runs tbody tr[data-id="r6"]').waitFor({ timeout: 10_000 });
  for (const id of ids) await page.locator(`#runs tbody tr[data-id="${id}"] input[type=checkbox]`).check();
  const points = (n: number) => page.waitForFunction((k) => document.querySelector('.chart[data-chart="components"]')?.getAttribute('data-points') === String(k), n, { timeout: 10_000 });
  await points(7 * 9);
  // rows appended to the last run reach the overlay, and a run started now still appears in the list
  // (with a stream per run, the seventh waited for a free connection and the list's requests with it)
  appendFileSync(join(runs[6]!, 'metrics.jsonl'), JSON.stringify(syntheticRow('L-S', 0, 0, 300)) + '\n');
  await points(7 * 9 + 1);
  writeSyntheticRun(join(root, 'later'), { seeds: 1, steps: 200, every: 100 });
  await page.locator('#runs tbody tr[data-id="later"]').waitFor({ timeout: 10_000 });
  const last = new URL(streams.at(-1)!);
  assert.deepEqual(last.searchParams.getAll('run'), ids, 'the last stream opened is one for all seven runs');
  assert.deepEqual(problems, []);
});

/** No horizontal overflow: the page, and every table (none wider than its box). */
async function assertFits(page: import('playwright-core').Page, what: string): Promise<void> {
  const r = await page.evaluate(() => ({
    page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    tables: [...document.querySelectorAll('.table, #sidebar')].filter((e) => (e as HTMLElement).offsetParent !== null)
      .map((e) => [e.id || e.querySelector('caption')?.textContent?.slice(0, 40) || e.className, e.scrollWidth - e.clientWidth] as [string, number]),
  }));
  assert.ok(r.page <= 0, `${what}: the page scrolls sideways by ${r.page}px`);
  for (const [name, over] of r.tables) assert.ok(over <= 1, `${what}: table '${name}' is ${over}px wider than its box`);
}

test('dashboard: the test above leaves no browser profile, folder or listening server behind', { skip: SKIP, timeout: 10_000 }, async () => {
  assert.ok(base !== '' && url !== '', 'the dashboard test ran');
  assert.equal(existsSync(base), false, `${base} was removed`);
  await assert.rejects(fetch(url, { signal: AbortSignal.timeout(5_000) }), 'the server no longer listens');
});
