// End to end in headless Chromium (Debian's `chromium`, driven by playwright-core): the dashboard
// lists a fixture run, opening it shows its charts, and the charts gain points when rows are appended
// to the run's metrics.jsonl while the page is open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { type Dashboard, startDashboard } from './server.js';
import { syntheticRow, writeImageRun, writeSyntheticRun } from '../report/fixtures.testutil.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const SKIP = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium)`;
/** The first test's temporary folder and dashboard address, for the second test to check they are gone. */
let base = '', url = '';

test('dashboard: lists a run, opening it shows a chart, appended metrics rows appear live', { skip: SKIP, timeout: 60_000 }, async (t) => {
  base = mkdtempSync(join(tmpdir(), 'lrlab-dash-'));
  const open: { d?: Dashboard; ctx?: BrowserContext } = {};
  // One teardown, in reverse order of setup (node runs after-hooks in registration order): the browser
  // (its profile is in `base`), then the server, then the folder; each step runs even if one before failed.
  t.after(async () => {
    try { await open.ctx?.close(); } finally {
      try { await open.d?.close(); } finally { rmSync(base, { recursive: true, force: true }); }
    }
  });
  const root = join(base, 'runs');
  const run = writeSyntheticRun(join(root, 'live-syn'), { seeds: 1, steps: 300, every: 100, done: false }); // 3 methods x 4 rows
  writeImageRun(join(root, 'img-patch'), { preset: 'patch', epochs: 4 });
  const d = open.d = await startDashboard({ runsDir: root, port: 0, pollMs: 100 });
  url = d.url;

  const ctx = open.ctx = await chromium.launchPersistentContext(join(base, 'profile'), { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1400, height: 1000 } });
  const page = await ctx.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
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
  assert.deepEqual(problems, []);
});

test('dashboard: the test above leaves no browser profile, folder or listening server behind', { skip: SKIP, timeout: 10_000 }, async () => {
  assert.ok(base !== '' && url !== '', 'the dashboard test ran');
  assert.equal(existsSync(base), false, `${base} was removed`);
  await assert.rejects(fetch(url, { signal: AbortSignal.timeout(5_000) }), 'the server no longer listens');
});
