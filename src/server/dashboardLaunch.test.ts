// Runs launched from the dashboard, end to end in headless Chromium (one browser launch): the "new
// run" form refuses a bad value with the CLI's one-line error and makes no folder; a run started
// from it appears and trains; stop checkpoints it; resume continues it; in the playground, moving a
// slider starts a run whose learning-order curves grow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { SKIP, browserSession } from './browser.testutil.js';


const points = (page: Page, sel: string) => page.evaluate((s) => Number(document.querySelector(s)?.getAttribute('data-points') ?? 0), sel);
const lines = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter(Boolean).length : 0);
const status = (dir: string) => JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as { state: string };

test('dashboard runs: the form starts a run that trains; stop checkpoints it, resume continues it; a playground slider starts a growing run', { skip: SKIP, timeout: 150_000 }, async (t) => {
  const { root, start } = browserSession(t, 'lrlab-dash-launch-');
  const { d, page } = await start({ width: 1280, height: 900 });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(d.url);

  // the form: generated from the schema, prefilled from the preset; a bad value gets the CLI's error
  await page.click('#nav-new');
  await page.locator('#new-run-fields [data-key="train.maxSteps"]').waitFor({ timeout: 10_000 });
  assert.equal(await page.inputValue('#new-run-fields [data-key="train.maxSteps"]'), '12000', 'the default preset fills the fields');
  await page.fill('[data-key="train.eta1"]', '-1');
  await page.click('#nr-start');
  await page.waitForFunction(() => /config key 'train\.eta1'/.test(document.querySelector('#new-run-error')?.textContent ?? ''), undefined, { timeout: 10_000 });
  assert.deepEqual(readdirSync(root).filter((f) => !f.startsWith('.')), [], 'a refused config makes no run folder');
  await page.click('#nr-reset');
  const set = { 'train.maxSteps': '3000', 'train.annealAtStep': '1500', 'train.noiseAnnealAtStep': '1500', 'train.evalEvery': '50', 'data.testSizes.pOnly': '200', 'data.testSizes.qOnly': '100', 'data.testSizes.both': '100' };
  for (const [k, v] of Object.entries(set)) await page.fill(`[data-key="${k}"]`, v);
  await page.click('#nr-start');

  // it appears in the list and trains: the chart grows
  const row = page.locator('#runs tbody tr[data-id^="synthetic-default-"]');
  await row.waitFor({ timeout: 20_000 });
  const id = (await row.getAttribute('data-id'))!;
  const dir = join(root, id);
  assert.equal(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).train.maxSteps, 3000);
  const chart = '#charts .chart[data-chart="components"]';
  await page.waitForFunction((s) => Number(document.querySelector(s)?.getAttribute('data-points') ?? 0) >= 6, chart, { timeout: 30_000 });
  const growing = await points(page, chart);
  await page.waitForFunction(([s, n]) => Number(document.querySelector(s as string)?.getAttribute('data-points') ?? 0) > (n as number), [chart, growing], { timeout: 20_000 });

  await page.locator('#charts .chart[data-chart="curves-loss"]').waitFor({ timeout: 10_000 }); // curves found once rows came

  // stop: SIGINT, the run saves a checkpoint and exits 130
  await page.locator('#stop').waitFor({ state: 'visible', timeout: 10_000 });
  await page.click('#stop');
  await page.waitForFunction(() => /stopped \(exit code 130\)/.test(document.querySelector('#action-msg')?.textContent ?? ''), undefined, { timeout: 30_000 });
  assert.equal(status(dir).state, 'interrupted');
  assert.ok(readdirSync(join(dir, 'checkpoints')).length > 0, 'a checkpoint was written');
  assert.equal(existsSync(join(dir, 'summary.json')), false, 'not finished');
  const atStop = lines(join(dir, 'metrics.jsonl'));

  // resume: lrlab resume DIR goes on from the checkpoint
  await page.locator('#resume').waitFor({ state: 'visible', timeout: 10_000 });
  await page.click('#resume');
  const deadline = Date.now() + 30_000;
  while (lines(join(dir, 'metrics.jsonl')) <= atStop && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.ok(lines(join(dir, 'metrics.jsonl')) > atStop, 'the resumed run appends rows');
  assert.equal(status(dir).state, 'running');
  await page.waitForFunction(([s, n]) => Number(document.querySelector(s as string)?.getAttribute('data-points') ?? 0) > (n as number), [chart, atStop], { timeout: 20_000 });
  await page.locator('#stop').waitFor({ state: 'visible', timeout: 10_000 });
  await page.click('#stop'); // frees the CPU for the playground
  await page.waitForFunction(() => /stopped/.test(document.querySelector('#action-msg')?.textContent ?? ''), undefined, { timeout: 30_000 });

  // playground: a slider starts a short run whose learning-order curves grow
  await page.click('#nav-play');
  await page.fill('#pg-steps', '1200');
  await page.fill('#pg-eta1', '0.05');
  const pg = '#pg-charts .chart[data-chart="components"]';
  await page.waitForFunction((s) => Number(document.querySelector(s)?.getAttribute('data-points') ?? 0) > 0, pg, { timeout: 30_000 });
  const first = await points(page, pg);
  await page.waitForFunction(([s, n]) => Number(document.querySelector(s as string)?.getAttribute('data-points') ?? 0) > (n as number), [pg, first], { timeout: 30_000 });
  const pgId = (await page.getAttribute('#pg-charts', 'data-run'))!;
  assert.match(pgId, /^playground\/synthetic-order-/);
  assert.equal(JSON.parse(readFileSync(join(root, pgId, 'config.json'), 'utf8')).train.eta1, 0.05);
  assert.deepEqual(problems, []);
});
