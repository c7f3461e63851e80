/**
 * The dashboard page in a real browser (Debian chromium via playwright-core) against real
 * `seamless serve` children: one without keys (loopback) whose synthetic source answers each
 * fetch after 600 ms, so a backfill's shards (one day each, one at a time) land one by one, and
 * one with an API key. What the user sees: the page loads with no console error and every panel
 * filled; the coverage heatmap turns a backfill's days stored as the shards land (watched in the
 * page as it re-renders, driven by the event stream); the chart holds exactly the bars
 * `GET /v1/bars` answers; a bad key gets a message saying the key was refused and what to do,
 * and the right key then loads the page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { generateApiKey } from '../../src/gateway/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { eventually, killSeamlessProcesses, startSeamless, waitForLine, writeSeamlessConfig } from '../harness/seamless-processes.js';
import { launchBrowser } from './browser.js';
import type { Browser } from './browser.js';

const FAST = 'ohlcv:e2e:BTC';
const SLOW = 'ohlcv:e2e:SLOW';
const DAY = 86_400_000;
const HEATMAP_START = Date.UTC(2024, 2, 1);
const HEATMAP_DAYS = 5;

const KEY = generateApiKey('dashboard-reader', ['read']);

let dir: Awaited<ReturnType<typeof tempDir>>;
let browser: Browser;
let open = '';
let keyed = '';

async function serve(name: string, lines: readonly string[]): Promise<string> {
  const sub = `${dir.path}/${name}`;
  await import('node:fs/promises').then((fs) => fs.mkdir(sub));
  const config = await writeSeamlessConfig(sub, lines);
  const child = startSeamless(['serve', '--port', '0', '--config', config], sub, name);
  return (await waitForLine(child, /listening on (http:\/\/\S+)/, 90_000))[1];
}

const DATASETS = [
  'sources:',
  '  fast: { kind: synthetic, seed: 7 }',
  '  slow: { kind: synthetic, seed: 8, latencyMs: 600 }',
  'datasets:',
  `  - { nodeId: "${FAST}", intervals: [1m, 1h], baseInterval: 1m, source: fast }`,
  `  - { nodeId: "${SLOW}", intervals: [1m], source: slow }`,
  'seamless:',
  '  backfill: { barsPerShard: 1440, concurrency: 1 }',
];

beforeAll(async () => {
  dir = await tempDir('seamless-e2e-dashboard-');
  const [a, b] = await Promise.all([
    serve('open', DATASETS),
    serve('keyed', [...DATASETS, 'auth:', `  keys: [${JSON.stringify(KEY.entry)}]`]),
    launchBrowser().then((opened) => { browser = opened; }),
  ]);
  open = a;
  keyed = b;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await killSeamlessProcesses();
  await dir?.remove();
});

/** The heatmap's cells as [date, state] pairs. */
async function cells(page: Page): Promise<[string, string][]> {
  // A script string: runs in the page (the test project's types have no DOM).
  return await page.evaluate<[string, string][]>(`[...document.querySelectorAll('#heatmap .cell')].map((e) => [e.dataset.date, e.dataset.state])`);
}

describe('the dashboard page in chromium', () => {
  it('loads with every panel filled and no console error', async () => {
    const { page, errors } = await browser.open(`${open}/`);
    await page.locator(`#datasets tr[data-node="${FAST}"]`).waitFor({ timeout: 30_000 });
    await page.locator('#health-checks li[data-check="storage"].ok').waitFor({ timeout: 30_000 });
    await page.locator('#heatmap .cell').first().waitFor({ timeout: 30_000 });
    await page.locator('#events-status[data-state="connected"]').waitFor({ timeout: 30_000 });
    // Nothing stored yet: the chart says how to draw a range rather than starting a backfill.
    expect(await page.locator('#chart-status').textContent()).toContain('choose a range and press Show');
    expect(await page.locator('#auth-message').isHidden()).toBe(true);
    expect(await page.locator('#key-form').isHidden()).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('turns a backfill\'s days stored in the heatmap as its shards land', async () => {
    const { page, errors } = await browser.open(`${open}/`);
    await page.locator(`#heatmap-node option[value="${SLOW}"]`).waitFor({ state: 'attached', timeout: 30_000 });
    await page.selectOption('#heatmap-node', SLOW);
    await page.fill('#heatmap-start', new Date(HEATMAP_START).toISOString().slice(0, 10));
    await page.fill('#heatmap-end', new Date(HEATMAP_START + HEATMAP_DAYS * DAY).toISOString().slice(0, 10));
    await page.click('#heatmap-form button[type="submit"]');
    await eventually('the heatmap of the chosen days, all missing', async () => {
      const now = await cells(page);
      return now.length === HEATMAP_DAYS && now.every(([, state]) => state === 'missing') && await page.locator('#heatmap').getAttribute('data-node') === SLOW ? true : undefined;
    }, 30_000);
    // Watch every render of the heatmap from now on: how many days it shows stored each time.
    await page.evaluate(`{
      window.storedCounts = [];
      const heatmap = document.getElementById('heatmap');
      new MutationObserver(() => { window.storedCounts.push(heatmap.querySelectorAll('.cell[data-state="stored"]').length); }).observe(heatmap, { childList: true });
    }`);

    const res = await fetch(`${open}/v1/backfills`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ node: SLOW, interval: '1m', start: HEATMAP_START, end: HEATMAP_START + HEATMAP_DAYS * DAY }),
    });
    expect(res.status).toBe(202);
    const { job } = await res.json() as { job: { id: string; totalShards: number } };
    expect(job.totalShards).toBe(HEATMAP_DAYS);

    await eventually('every day of the backfill stored in the heatmap', async () => ((await cells(page)).every(([, state]) => state === 'stored') ? true : undefined), 60_000);
    const counts = await page.evaluate<number[]>('window.storedCounts');
    // The page re-rendered as shards landed: it showed some days stored before all were.
    expect(counts.some((n) => n > 0 && n < HEATMAP_DAYS), `stored days at each render: ${counts.join(', ')}`).toBe(true);
    expect(counts.at(-1)).toBe(HEATMAP_DAYS);
    for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeGreaterThanOrEqual(counts[i - 1]);
    // What the cells say is what the API says about the same days.
    const condition = await (await fetch(`${open}/v1/datasets/condition?node=${encodeURIComponent(SLOW)}&interval=1m&start=${HEATMAP_START}&end=${HEATMAP_START + HEATMAP_DAYS * DAY}`)).json() as { days: { date: string; bars: { stored: number; closed: number } }[] };
    expect(condition.days.map((d) => [d.date, d.bars.stored === d.bars.closed ? 'stored' : 'not stored'])).toEqual(await cells(page));
    // The backfill panel followed the job to its end.
    await page.locator(`#backfills [data-job="${job.id}"][data-state="completed"]`).waitFor({ timeout: 30_000 });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('draws exactly the bars GET /v1/bars answers for the range asked for (as the page asks: partial_ok)', async () => {
    const { page, errors } = await browser.open(`${open}/`);
    const start = '2024-01-01T00:00:00Z';
    const end = '2024-01-03T00:00:00Z';
    // Every read of another range (the draws that picking a dataset and an interval start, of
    // their default ranges) is held until the chart shows ours: those older reads then answer
    // last, as a slow backfill of the default range does on a loaded machine, and must not
    // replace the chart of the range asked for.
    let release!: () => void;
    const ours = new Promise<void>((resolve) => { release = resolve; });
    const held: Promise<unknown>[] = [];
    await page.route('**/v1/bars?*', async (route) => {
      const q = new URL(route.request().url()).searchParams;
      if (q.get('start') === start && q.get('end') === end) return route.continue();
      held.push(page.waitForResponse((res) => res.request() === route.request()));
      await ours;
      return route.continue();
    });
    await page.locator(`#chart-node option[value="${FAST}"]`).waitFor({ state: 'attached', timeout: 30_000 });
    await page.selectOption('#chart-node', FAST);
    // Through 1m to 1h: two changes, two draws of default ranges before ours.
    await page.selectOption('#chart-interval', '1m');
    await page.selectOption('#chart-interval', '1h');
    await page.fill('#chart-start', start);
    await page.fill('#chart-end', end);
    await page.click('#chart-form button[type="submit"]');
    await page.locator('#chart[data-interval="1h"][data-bars="48"]').waitFor({ timeout: 30_000 });
    expect(held.length).toBeGreaterThanOrEqual(2);
    release();
    await Promise.all(held);
    await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => resolve(undefined)))');
    expect(await page.locator('#chart').getAttribute('data-bars')).toBe('48');
    // The bars the chart library's series holds (web/src/panels/chart.ts exposes them).
    const drawn = await page.evaluate<unknown[]>('window.seamlessDashboard.chart.data().map((c) => ({ ...c }))');
    const api = await (await fetch(`${open}/v1/bars?node=${encodeURIComponent(FAST)}&interval=1h&start=${start}&end=${end}&partial_ok=true`)).json() as { data: Record<'ts' | 'open' | 'high' | 'low' | 'close', number[]> };
    expect(api.data.ts).toHaveLength(48);
    expect(drawn).toEqual(api.data.ts.map((ts, i) => ({ time: ts / 1000, open: api.data.open[i], high: api.data.high[i], low: api.data.low[i], close: api.data.close[i] })));
    expect(errors).toEqual([]);
    await page.close();
  });

  it('says the key was refused when a bad key is entered, and loads with the right one', async () => {
    const { page } = await browser.open(`${keyed}/`);
    const message = page.locator('#auth-message');
    // No key yet: the page asks for one.
    await page.locator('#auth-message[data-reason="key-required"]').waitFor({ timeout: 30_000 });
    expect(await message.textContent()).toContain('This gateway needs an API key');
    expect(await page.locator('#datasets tbody tr[data-node]').count()).toBe(0);

    await page.fill('#key-input', `${KEY.secret}-not-it`);
    await page.click('#key-form button[type="submit"]');
    await page.locator('#auth-message[data-reason="key-refused"]').waitFor({ timeout: 30_000 });
    const refused = await message.textContent();
    expect(refused).toContain('The key was refused (401: the API key is not valid)');
    expect(refused).toContain('seamless keys create NAME --scope read');
    expect(await page.locator('#key-form').isVisible()).toBe(true);

    await page.fill('#key-input', KEY.secret);
    await page.click('#key-form button[type="submit"]');
    await page.locator(`#datasets tr[data-node="${SLOW}"]`).waitFor({ timeout: 30_000 });
    // Every panel has loaded, the upstream budgets included (scope worker, which this key lacks:
    // that column stays empty, the page is not refused).
    await page.locator('#health-panel[data-loaded]').waitFor({ timeout: 30_000 });
    await page.locator('#sla tbody tr').first().waitFor({ timeout: 30_000 });
    expect(await message.isHidden()).toBe(true);
    expect(await page.locator('#key-form').isHidden()).toBe(true);
    // The key is kept: a reload needs no prompt.
    await page.reload();
    await page.locator(`#datasets tr[data-node="${SLOW}"]`).waitFor({ timeout: 30_000 });
    await page.locator('#health-panel[data-loaded]').waitFor({ timeout: 30_000 });
    expect(await message.isHidden()).toBe(true);
    await page.close();
  });
});
