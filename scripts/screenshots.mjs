#!/usr/bin/env node
// Screenshots of the dashboard page for docs/dashboard.md and the README:
//   node scripts/screenshots.mjs        (or npm run screenshots)
// Starts `seamless serve` through bin/seamless.js (which builds web/dist when it is stale) on a
// free loopback port, with the demo datasets and the SLA policies of configs/seamless/sla, in a
// temp directory; backfills two stretches of ohlcv:demo:BTC-USD 1m with a gap between them
// (the heatmap shows both), reads the demo dataset with defects (a conformance report with
// findings) and a read of ETH-USD 1m with more bars missing than the demo-1m policy lets a
// read fetch while it waits (an SLA violation); then
// opens the page in Debian's chromium (playwright-core) and writes docs/images/dashboard.png
// (the whole page) and docs/images/dashboard-chart.png (the chart panel). Everything it
// started is stopped and its temp directory removed, also on failure.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'docs', 'images');
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const BTC = 'ohlcv:demo:BTC-USD';
const DAY = 86_400_000;

/** Polls `probe` until it returns something other than undefined; throws naming `what` after `ms`. */
async function eventually(what, probe, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new TypeError(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function backfill(url, start, end) {
  const res = await fetch(`${url}/v1/backfills`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ node: BTC, interval: '1m', start, end }) });
  if (res.status !== 202) throw new TypeError(`POST /v1/backfills answered ${res.status}: ${await res.text()}`);
  const { job } = await res.json();
  await eventually(`backfill ${job.id} to end`, async () => {
    const { job: now } = await (await fetch(`${url}/v1/backfills/${job.id}`)).json();
    return now.state === 'running' ? undefined : now.state;
  }, 120_000);
}

const dir = mkdtempSync(join(tmpdir(), 'seamless-screenshots-'));
let gateway;
let context;
try {
  const config = join(dir, 'seamless.yml');
  writeFileSync(config, [`dataDir: ${JSON.stringify(join(dir, 'data'))}`, 'logging: { level: warn }', `seamless: { sla: { dir: ${JSON.stringify(join(ROOT, 'configs/seamless/sla'))} } }`, ''].join('\n'));
  gateway = spawn(process.execPath, [join(ROOT, 'bin/seamless.js'), 'serve', '--port', '0', '--config', config], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  gateway.stdout.on('data', (chunk) => { stdout += chunk.toString('utf8'); });
  const url = await eventually('the gateway to listen', async () => /listening on (http:\/\/\S+)/.exec(stdout)?.[1], 120_000);

  const first = Date.UTC(2024, 0, 1);
  // The second stretch holds more than the chart's default range (240 1h bars before the newest
  // bar), so drawing the chart reads only stored bars and the gap stays visible.
  // Shards of 1m bars span 3 UTC days (from 2023-12-31): the gap, 01-06 to 01-15, is three whole shards.
  await backfill(url, first, first + 5 * DAY);
  await backfill(url, first + 14 * DAY, first + 29 * DAY);
  await fetch(`${url}/v1/bars?node=ohlcv:demo:DEFECTS&interval=1m&start=2024-01-01T00:00:00Z&end=2024-01-01T06:00:00Z`);
  // More 1m bars missing than demo-1m lets a read fetch while it waits (maxSyncGapBars 1440): a violation.
  await fetch(`${url}/v1/bars?node=ohlcv:demo:ETH-USD&interval=1m&start=2024-02-01T00:00:00Z&end=2024-02-04T00:00:00Z`);

  const profile = join(dir, 'chromium');
  mkdirSync(profile);
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
  const page = context.pages()[0] ?? await context.newPage();
  await page.goto(`${url}/`);
  await page.locator(`#datasets tr[data-node="${BTC}"]`).waitFor({ timeout: 60_000 });
  await page.locator('#heatmap .cell').first().waitFor({ timeout: 60_000 });
  await page.locator('#reports tr[data-report]').first().waitFor({ timeout: 60_000 });
  await page.locator('#sla tr[data-policy]').first().waitFor({ timeout: 60_000 });
  await eventually('the chart to draw', async () => (Number(await page.locator('#chart').getAttribute('data-bars')) > 0 ? true : undefined), 60_000);
  mkdirSync(OUT, { recursive: true });
  await page.screenshot({ path: join(OUT, 'dashboard.png'), fullPage: true });
  await page.locator('#chart-panel').screenshot({ path: join(OUT, 'dashboard-chart.png') });
  console.log(`wrote ${join('docs', 'images', 'dashboard.png')} and ${join('docs', 'images', 'dashboard-chart.png')}`);
} catch (error) {
  console.error(`screenshots: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await context?.close();
  if (gateway !== undefined && gateway.exitCode === null) {
    const exited = new Promise((resolve) => gateway.once('exit', resolve));
    gateway.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
}
