/**
 * PromQL fragments the dashboards share, so every panel spells a rate, a per-minute count or a
 * quantile the same way. `matchers` is the inside of a selector's braces (may be empty).
 */
import type { QuerySpec } from './grafana.js';

/** Dataset filter of the `node_id` dashboard variable. */
export const NODE = 'node_id=~"$node_id"';
export const RATE_WINDOW = '$__rate_interval';

function selector(metric: string, matchers: string): string {
  return matchers === '' ? metric : `${metric}{${matchers}}`;
}

/** `sum by (…) (rate(metric{…}[window]))`. */
export function rateBy(metric: string, by: readonly string[], matchers = '', window = RATE_WINDOW): string {
  const grouping = by.length > 0 ? ` by (${by.join(', ')})` : '';
  return `sum${grouping} (rate(${selector(metric, matchers)}[${window}]))`;
}

/** A counter's events per minute, summed by labels. */
export function perMinuteBy(metric: string, by: readonly string[], matchers = ''): string {
  return `60 * ${rateBy(metric, by, matchers)}`;
}

/** `sum by (…) (increase(metric{…}[window]))`. */
export function increaseBy(metric: string, by: readonly string[], matchers: string, window: string): string {
  return `sum by (${by.join(', ')}) (increase(${selector(metric, matchers)}[${window}]))`;
}

/** p50, p95 and p99 of a classic histogram (`<histogram>_bucket`), by labels. */
export function quantileQueries(histogram: string, by: readonly string[], matchers = '', legendPrefix = ''): QuerySpec[] {
  const legend = by.map((l) => `{{${l}}}`).join(' ');
  return [0.5, 0.95, 0.99].map((q) => ({
    expr: `histogram_quantile(${q}, ${rateBy(`${histogram}_bucket`, [...by, 'le'], matchers)})`,
    legend: `${legendPrefix}p${Math.round(q * 100)}${legend ? ` ${legend}` : ''}`,
  }));
}
