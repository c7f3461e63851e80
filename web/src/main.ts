/**
 * The dashboard page (docs/dashboard.md): wires the panels to the gateway's API and refreshes
 * them. Every call for data carries the key the user gave (auth-ui.ts); the backfill panel
 * follows the event stream; the others reload every REFRESH_MS. `window.seamlessDashboard`
 * exposes the chart's bars for the browser tests (test/e2e/).
 */
import './style.css';
import { createApi } from './api.js';
import { createAuthUi } from './auth-ui.js';
import { byId, fmtError } from './dom.js';
import { KeyRefusedError } from './errors.js';
import { createKeyStore } from './key-store.js';
import { pollingLiveBars } from './live-bars.js';
import { parseMetrics } from './metrics-text.js';
import { createBackfillsPanel } from './panels/backfills.js';
import { createChartPanel } from './panels/chart.js';
import type { ChartPanel } from './panels/chart.js';
import { createDatasetsPanel } from './panels/datasets.js';
import { createHealthPanel, HEALTH_METRICS } from './panels/health.js';
import { createHeatmap } from './panels/heatmap.js';
import { createReportsPanel } from './panels/reports.js';
import { createSlaPanel } from './panels/sla.js';

const REFRESH_MS = 10_000;

declare global {
  interface Window {
    seamlessDashboard?: { readonly chart: ChartPanel; refresh(): Promise<void> };
  }
}

const keys = createKeyStore();
const auth = createAuthUi(keys, () => { void start(); });
const api = createApi(keys, (error) => auth.refused(error));
const heatmap = createHeatmap(api, byId('heatmap'));
const datasets = createDatasetsPanel(api, heatmap);
const backfills = createBackfillsPanel(api, heatmap);
const chart = createChartPanel(api, pollingLiveBars(api));
const sla = createSlaPanel(api);
const reports = createReportsPanel(api);
const health = createHealthPanel(api);
const status = byId('gateway-status');
const metricNames = new Set<string>(HEALTH_METRICS);

/** Runs one panel's load; a refused key is shown by auth-ui, any other failure in the panel's place. */
async function guarded(name: string, task: () => Promise<void>): Promise<void> {
  try {
    await task();
  } catch (error) {
    if (error instanceof KeyRefusedError) return;
    status.textContent = `${name}: ${fmtError(error)}`;
  }
}

async function refresh(): Promise<void> {
  if (auth.blocked) return;
  const metrics = fetch('/metrics').then(async (res) => parseMetrics(await res.text(), metricNames));
  await Promise.all([
    guarded('datasets', async () => {
      const list = await datasets.load();
      chart.setDatasets(list);
      status.textContent = `${list.length} dataset(s) · updated ${new Date().toISOString().slice(11, 19)}Z`;
    }),
    guarded('health', async () => { await health.load(await metrics); }),
    guarded('reports', () => reports.load()),
    guarded('sla', () => sla.load()),
    guarded('backfills', () => backfills.loadJobs()),
  ]);
}

let timer: ReturnType<typeof setInterval> | undefined;

async function start(): Promise<void> {
  if (timer !== undefined) clearInterval(timer);
  backfills.stop();
  await refresh();
  if (auth.blocked) return;
  backfills.start();
  timer = setInterval(() => { void refresh(); }, REFRESH_MS);
}

window.seamlessDashboard = { chart, refresh };
void start();
