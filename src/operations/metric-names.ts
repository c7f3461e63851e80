/**
 * The metric names a PromQL expression reads, for checking dashboards and rules against what the
 * code really exports. A lexical pass, not a parser: comments, strings, label matchers, range
 * and subquery brackets and grouping clauses are dropped, then every identifier that is not a
 * function, an aggregation, a keyword or part of a number or duration is a metric name. Grafana
 * variables (`$node_id`, `${x}`, `$__rate_interval`) are never names.
 */

const KEYWORDS: ReadonlySet<string> = new Set([
  'and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'atan2', 'inf', 'nan',
]);
const GROUPING = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g;
const STRINGS = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g;
// An identifier not glued to a digit, letter, `$`, `.` or another identifier character.
const IDENTIFIER = /(?<![\w:.$])[A-Za-z_:][\w:]*/g;

export function metricNamesOf(expr: string): string[] {
  const text = expr
    .replace(/#[^\n]*/g, ' ')
    .replace(STRINGS, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(GROUPING, ' ');
  const names = new Set<string>();
  for (const m of text.matchAll(IDENTIFIER)) {
    const name = m[0];
    if (KEYWORDS.has(name.toLowerCase())) continue;
    const after = text.slice((m.index ?? 0) + name.length);
    if (/^\s*\(/.test(after)) continue; // a function or an aggregation
    names.add(name);
  }
  return [...names].sort();
}

/** The metric of a Grafana `label_values(metric, label)` variable query (none for `label_values(label)`). */
export function metricNamesOfVariable(query: string): string[] {
  const m = /^\s*label_values\(\s*(.+?)\s*,\s*[A-Za-z_]\w*\s*\)\s*$/.exec(query);
  return m ? metricNamesOf(m[1]) : [];
}

/** The series names of a Prometheus text exposition that have at least one sample. */
export function sampledSeries(exposition: string): Set<string> {
  const out = new Set<string>();
  for (const line of exposition.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_:][\w:]*)/.exec(line);
    if (m) out.add(m[1]);
  }
  return out;
}

/**
 * Names read by the expressions that no sampled series answers. A histogram's `_bucket`,
 * `_sum` and `_count` are series of their own; a histogram's bare name has no series and is
 * reported (a query on it answers nothing).
 */
export function missingSeries(names: Iterable<string>, sampled: ReadonlySet<string>): string[] {
  const missing: string[] = [];
  for (const name of names) if (!sampled.has(name)) missing.push(name);
  return missing.sort();
}
