/**
 * Debian's chromium driven by playwright-core (no browser download): a fresh profile in a temp
 * directory per browser (launchPersistentContext; `--user-data-dir` in args is refused), the
 * flags of /work/shared/design/DEPENDENCIES.md, and every console error and uncaught page error
 * collected per page, so a test can say "no console error". `close()` ends the browser and
 * removes its profile.
 */
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { tempDir } from '../helpers/temp-dir.js';

export const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  /** A new tab with its console errors and page errors collected in `errors`. */
  open(url: string): Promise<{ page: Page; errors: string[] }>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new TypeError(`${CHROMIUM} is missing: install Debian's chromium (scripts/system-packages.txt; npm run test:all installs it)`);
  const profile = await tempDir('seamless-e2e-chromium-');
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile.path, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1400, height: 1000 } });
  } catch (error) {
    await profile.remove();
    throw error;
  }
  return {
    async open(url) {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (message) => { if (message.type() === 'error') errors.push(`console: ${message.text()} (${message.location().url})`); });
      page.on('pageerror', (error) => { errors.push(`page error: ${error.message}`); });
      await page.goto(url);
      return { page, errors };
    },
    async close() {
      await context.close();
      await profile.remove();
    },
  };
}
