/**
 * Every file `seamless ops render` writes, as path → content: the Grafana dashboards, the alert
 * and recording rules with their promtool tests, the per-policy SLA rules and their tests, one
 * runbook page per alert with an index, and the SLA policy pages. One function, so the command
 * and the test that keeps the checked-in files equal to it render exactly the same.
 */
import { join } from 'node:path';
import { DEFAULT_SLA_POLICY_DIR, loadSlaPolicies } from '../sla/index.js';
import { alertPage, indexEntries, renderAlertIndex, renderRunbookPage } from './alert-runbook.js';
import { ALERT_GROUPS, DASHBOARDS } from './catalog.js';
import { ALERT_RULES_FILE, RECORDING_RULES_FILE, renderAlertRules, renderAlertTests, renderRecordingRules } from './render-rules.js';
import { slaAlertPages } from './sla-alert-pages.js';
import { renderSlaRuleTests } from './sla-rule-tests.js';
import { BURN_ALERTS, CHECK_ALERT, renderRules } from './sla-rules.js';
import { renderRunbook } from './sla-runbook.js';

export const DEFAULT_OPS_OUT = 'operations';
export const DEFAULT_OPS_DOCS = 'docs/operations';
export const DEFAULT_RUNBOOK_BASE = 'docs/operations/alerts/';
export const SLA_RULES_FILE = 'sla-rules.yml';
export const GENERATED_BY = 'seamless ops render';

export interface OpsRenderOptions {
  /** Directory of dashboards/ and prometheus/. */
  readonly out: string;
  /** Directory of alerts/ (runbooks) and sla/ (policy pages). */
  readonly docs: string;
  readonly slaDir: string;
  /** Prefix of the alerts' runbook_url. */
  readonly runbookBase: string;
}

export const DEFAULT_OPS_OPTIONS: OpsRenderOptions = {
  out: DEFAULT_OPS_OUT, docs: DEFAULT_OPS_DOCS, slaDir: DEFAULT_SLA_POLICY_DIR, runbookBase: DEFAULT_RUNBOOK_BASE,
};

export function renderOperationsFiles(o: OpsRenderOptions): Map<string, string> {
  const files = new Map<string, string>();
  for (const d of DASHBOARDS) files.set(join(o.out, 'dashboards', d.file), `${JSON.stringify(d.build(), null, 2)}\n`);

  const prometheus = join(o.out, 'prometheus');
  const opts = { runbookBase: o.runbookBase, generatedBy: GENERATED_BY };
  const set = loadSlaPolicies(o.slaDir);
  files.set(join(prometheus, ALERT_RULES_FILE), renderAlertRules(ALERT_GROUPS, opts));
  files.set(join(prometheus, RECORDING_RULES_FILE), renderRecordingRules(set.policies.map((p) => ({ policy: p.name, objective: p.objective })), opts));
  const slaRules = renderRules(set, { source: o.slaDir });
  files.set(join(prometheus, SLA_RULES_FILE), slaRules);
  for (const g of ALERT_GROUPS) {
    files.set(join(prometheus, 'tests', `${g.name}.test.yml`), renderAlertTests(g, [`../${ALERT_RULES_FILE}`, `../${RECORDING_RULES_FILE}`], opts));
  }
  const slaTests = renderSlaRuleTests(set, { rulesText: slaRules, ruleFile: `../${SLA_RULES_FILE}`, generatedBy: GENERATED_BY });
  if (slaTests !== undefined) files.set(join(prometheus, 'tests', 'sla-rules.test.yml'), slaTests);

  const alerts = join(o.docs, 'alerts');
  for (const g of ALERT_GROUPS) {
    const testsFile = `${o.out}/prometheus/tests/${g.name}.test.yml`;
    for (const a of g.alerts) files.set(join(alerts, `${a.alert}.md`), renderRunbookPage(alertPage(a, g, testsFile, GENERATED_BY)));
  }
  for (const page of slaAlertPages(set, GENERATED_BY)) files.set(join(alerts, `${page.alert}.md`), renderRunbookPage(page));
  const group = 'SLA policies (per policy, sla-rules.yml)';
  const sla = [
    { alert: BURN_ALERTS.fast.alert, severity: BURN_ALERTS.fast.severity, group, summary: `A policy burns its error budget fast (${BURN_ALERTS.fast.long} and ${BURN_ALERTS.fast.short} windows)` },
    { alert: BURN_ALERTS.slow.alert, severity: BURN_ALERTS.slow.severity, group, summary: `A policy burns its error budget steadily (${BURN_ALERTS.slow.long} and ${BURN_ALERTS.slow.short} windows)` },
    { alert: CHECK_ALERT.alert, severity: CHECK_ALERT.severity, group, summary: 'Reads break a policy\'s freshness, coverage, sync-gap or recovery check' },
  ];
  files.set(join(alerts, 'README.md'), renderAlertIndex([...indexEntries(ALERT_GROUPS), ...sla], GENERATED_BY));
  for (const p of set.policies) files.set(join(o.docs, 'sla', `${p.name}.md`), renderRunbook(p));
  return files;
}
