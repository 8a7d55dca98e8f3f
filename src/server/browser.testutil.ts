// What the dashboard's browser tests share: Debian's Chromium driven by playwright-core, a temporary
// folder with the runs folder in it, and one teardown, in reverse order of setup (node runs
// after-hooks in registration order): the browser (its profile is in the folder), then the server,
// then the folder; each step runs even if one before failed.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { type Dashboard, startDashboard } from './server.js';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** The browser tests' skip reason where Chromium is missing. */
export const SKIP = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium)`;

export interface BrowserSession {
  /** The temporary folder (removed at the end) and the runs folder in it (not created). */
  base: string; root: string;
  /** Start the dashboard on the runs folder and a browser page at `viewport` (both closed at the end). */
  start(viewport: { width: number; height: number }): Promise<{ d: Dashboard; ctx: BrowserContext; page: Page }>;
}

export function browserSession(t: { after: (fn: () => Promise<void>) => void }, prefix: string): BrowserSession {
  const base = mkdtempSync(join(tmpdir(), prefix));
  const root = join(base, 'runs');
  const open: { d?: Dashboard; ctx?: BrowserContext } = {};
  t.after(async () => {
    try { await open.ctx?.close(); } finally {
      try { await open.d?.close(); } finally { rmSync(base, { recursive: true, force: true }); }
    }
  });
  return {
    base, root,
    async start(viewport) {
      const d = open.d = await startDashboard({ runsDir: root, port: 0, pollMs: 100 });
      const ctx = open.ctx = await chromium.launchPersistentContext(join(base, 'profile'), { executablePath: CHROMIUM, headless: true, args: ARGS, viewport });
      return { d, ctx, page: await ctx.newPage() };
    },
  };
}
