/**
 * What `seamless ops render` writes from this folder: the dashboards (file name → builder) and
 * the alert groups of seamless-alerts.yml, in file order.
 */
import type { AlertGroup } from './alert-spec.js';
import { BACKFILL_ALERTS } from './alerts-backfill.js';
import { DATA_ALERTS } from './alerts-data.js';
import { FEED_ALERTS } from './alerts-live.js';
import { SLA_ALERTS } from './alerts-sla.js';
import { backfillDashboard } from './dashboard-backfill.js';
import { conformanceDashboard } from './dashboard-conformance.js';
import { slaDashboard } from './dashboard-sla.js';
import { tracesDashboard } from './dashboard-traces.js';
import type { GrafanaDashboard } from './grafana.js';

export const DASHBOARDS: readonly { readonly file: string; readonly build: () => GrafanaDashboard }[] = [
  { file: 'seamless-sla.json', build: slaDashboard },
  { file: 'seamless-backfill.json', build: backfillDashboard },
  { file: 'seamless-conformance.json', build: conformanceDashboard },
  { file: 'seamless-traces.json', build: tracesDashboard },
];

export const ALERT_GROUPS: readonly AlertGroup[] = [BACKFILL_ALERTS, DATA_ALERTS, FEED_ALERTS, SLA_ALERTS];
