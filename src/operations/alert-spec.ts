/**
 * An alert as data: its rule (expression, `for`, severity, annotations), its runbook (what it
 * means, impact, first checks, the fix, escalation) and its promtool cases — a staged bad series
 * that must fire it with exactly the listed labels, and a healthy one that must stay quiet.
 * The rule file, the promtool tests and the runbook pages are all rendered from these.
 */

export type Severity = 'page' | 'ticket';

/** One input series of a promtool test: `series` in PromQL notation, `values` in expanding notation (`0+1x30`). */
export interface SeriesSpec {
  readonly series: string;
  readonly values: string;
}

export interface AlertCase {
  /** What the case stages, e.g. "a lease held for 30 minutes while no shard ends". */
  readonly name: string;
  readonly series: readonly SeriesSpec[];
  /** When the alert is evaluated (promtool `eval_time`, e.g. "30m"). */
  readonly evalAt: string;
  /** The labels (besides the rule's) of each alert that must fire; empty: none may. */
  readonly fires: readonly Readonly<Record<string, string>>[];
}

export interface AlertRunbook {
  /** What the alert means, in a paragraph. */
  readonly meaning: string;
  readonly impact: string;
  /** First checks: markdown list items (commands in backticks, queries in ```promql blocks). */
  readonly checks: readonly string[];
  readonly fix: readonly string[];
  readonly escalation: string;
}

export interface AlertSpec {
  readonly alert: string;
  readonly expr: string;
  /** How long the condition must hold; absent: fires at once. */
  readonly for?: string;
  readonly severity: Severity;
  /** Annotation templates; only `{{ $labels.name }}` is used (the promtool cases expand it). */
  readonly summary: string;
  readonly description: string;
  readonly runbook: AlertRunbook;
  readonly bad: AlertCase;
  readonly healthy: AlertCase;
}

export interface AlertGroup {
  /** Rule group name, e.g. "seamless-backfill"; also names the promtool test file. */
  readonly name: string;
  readonly title: string;
  readonly alerts: readonly AlertSpec[];
}

const LABEL_TEMPLATE = /\{\{\s*\$labels\.([A-Za-z_]\w*)\s*\}\}/g;

/** An annotation template with `{{ $labels.x }}` replaced (as Prometheus renders it for those labels). */
export function expandTemplate(template: string, labels: Readonly<Record<string, string>>): string {
  return template.replace(LABEL_TEMPLATE, (_m, name: string) => labels[name] ?? '');
}

/** The runbook page of an alert, relative to the runbook base (docs/operations/alerts/). */
export function runbookFile(alert: string): string {
  return `${alert}.md`;
}
