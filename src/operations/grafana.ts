/**
 * A small typed builder of Grafana dashboard JSON (schema version 39, Grafana 10/11): rows of
 * panels laid out left to right on the 24-column grid, Prometheus or Loki targets through
 * datasource variables (so one file imports into any Grafana), and templating variables. The
 * dashboards of operations/dashboards/ are built with it; nothing here knows a metric.
 */
import { InternalError } from '../core/index.js';

export const GRAFANA_SCHEMA_VERSION = 39;
const GRID_WIDTH = 24;
const DEFAULT_WIDTH = 12;
const DEFAULT_HEIGHT = 8;

export type DatasourceKind = 'prometheus' | 'loki';
export type PanelKind = 'timeseries' | 'stat' | 'table' | 'bargauge' | 'text';

/** The datasource variable of each kind: every target names its datasource through it. */
export const DATASOURCE_VARIABLE: Readonly<Record<DatasourceKind, string>> = { prometheus: 'datasource', loki: 'loki' };

export interface QuerySpec {
  /** PromQL, or LogQL on a Loki panel. */
  readonly expr: string;
  readonly legend?: string;
  /** One evaluation at the end of the range (tables, stats of a whole range). */
  readonly instant?: boolean;
}

export interface Threshold {
  readonly color: string;
  /** Lower bound; the first step has none. */
  readonly value: number | null;
}

/** A link on the values of one field (table column), e.g. a trace id to the trace backend. */
export interface FieldLink {
  readonly field: string;
  readonly title: string;
  /** Grafana interpolates `${__value.raw}`, `${__data.fields.x}` and dashboard variables. */
  readonly url: string;
}

export interface PanelSpec {
  readonly kind: PanelKind;
  readonly title: string;
  readonly description: string;
  readonly queries?: readonly QuerySpec[];
  readonly datasource?: DatasourceKind;
  readonly unit?: string;
  readonly min?: number;
  readonly max?: number;
  readonly decimals?: number;
  readonly thresholds?: readonly Threshold[];
  /** Value → text (e.g. 1 → "up"). */
  readonly valueText?: Readonly<Record<string, string>>;
  readonly stack?: boolean;
  readonly width?: number;
  readonly height?: number;
  readonly fieldLinks?: readonly FieldLink[];
  /** Grafana transformations, as Grafana stores them. */
  readonly transformations?: readonly Readonly<Record<string, unknown>>[];
  /** Markdown of a text panel. */
  readonly content?: string;
}

export interface RowSpec {
  readonly title: string;
  readonly panels: readonly PanelSpec[];
}

export type VariableSpec =
  | { readonly kind: 'datasource'; readonly source: DatasourceKind; readonly label: string }
  /** `label_values(metric, label)`: multi-select with All (`.*`). */
  | { readonly kind: 'label_values'; readonly name: string; readonly label: string; readonly metric: string; readonly labelName: string }
  | { readonly kind: 'textbox'; readonly name: string; readonly label: string; readonly value: string; readonly description: string }
  | { readonly kind: 'custom'; readonly name: string; readonly label: string; readonly values: readonly string[]; readonly value: string; readonly description: string };

export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly variables: readonly VariableSpec[];
  readonly rows: readonly RowSpec[];
  /** Links to the other dashboards (by tag) are added for every dashboard. */
  readonly time?: string;
}

/** The JSON model Grafana imports; kept loose (Grafana's own model is larger). */
export type GrafanaJson = { readonly [key: string]: unknown };

export interface GrafanaDashboard extends GrafanaJson {
  readonly uid: string;
  readonly title: string;
  readonly panels: readonly GrafanaJson[];
  readonly templating: { readonly list: readonly GrafanaJson[] };
}

function datasourceRef(kind: DatasourceKind): GrafanaJson {
  return { type: kind, uid: `\${${DATASOURCE_VARIABLE[kind]}}` };
}

function variableJson(v: VariableSpec): GrafanaJson {
  switch (v.kind) {
    case 'datasource':
      return { type: 'datasource', name: DATASOURCE_VARIABLE[v.source], label: v.label, query: v.source, current: {}, hide: 0, refresh: 1, regex: '', options: [] };
    case 'label_values': {
      const query = `label_values(${v.metric}, ${v.labelName})`;
      return {
        type: 'query', name: v.name, label: v.label, datasource: datasourceRef('prometheus'),
        definition: query, query: { query, refId: `${v.name}-values` },
        multi: true, includeAll: true, allValue: '.*', current: { text: 'All', value: '$__all' },
        refresh: 2, regex: '', sort: 1, hide: 0, options: [],
      };
    }
    case 'textbox':
      return { type: 'textbox', name: v.name, label: v.label, description: v.description, query: v.value, current: { text: v.value, value: v.value }, hide: 0, options: [] };
    case 'custom':
      return {
        type: 'custom', name: v.name, label: v.label, description: v.description, query: v.values.join(','),
        current: { text: v.value, value: v.value }, multi: false, includeAll: false, hide: 0,
        options: v.values.map((x) => ({ text: x, value: x, selected: x === v.value })),
      };
    default:
      return unreachable(v);
  }
}

function targetsJson(p: PanelSpec): GrafanaJson[] {
  const ds = p.datasource ?? 'prometheus';
  return (p.queries ?? []).map((q, i) => {
    const refId = String.fromCharCode(65 + i);
    if (ds === 'loki') return { refId, datasource: datasourceRef(ds), expr: q.expr, queryType: 'range', maxLines: 100 };
    return {
      refId, datasource: datasourceRef(ds), expr: q.expr, legendFormat: q.legend ?? '__auto', range: !q.instant, instant: q.instant === true,
      ...(p.kind === 'table' ? { format: 'table' } : {}),
    };
  });
}

function fieldConfig(p: PanelSpec): GrafanaJson {
  const thresholds = p.thresholds ?? [{ color: 'green', value: null }];
  const defaults: Record<string, unknown> = {
    unit: p.unit ?? 'short',
    thresholds: { mode: 'absolute', steps: thresholds.map((t) => ({ color: t.color, value: t.value })) },
    color: { mode: p.kind === 'timeseries' ? 'palette-classic' : 'thresholds' },
    mappings: p.valueText
      ? [{ type: 'value', options: Object.fromEntries(Object.entries(p.valueText).map(([k, text], i) => [k, { text, index: i }])) }]
      : [],
  };
  if (p.min !== undefined) defaults.min = p.min;
  if (p.max !== undefined) defaults.max = p.max;
  if (p.decimals !== undefined) defaults.decimals = p.decimals;
  if (p.kind === 'timeseries') {
    defaults.custom = {
      drawStyle: 'line', lineWidth: 1, fillOpacity: p.stack ? 30 : 10, showPoints: 'never', spanNulls: false,
      stacking: { mode: p.stack ? 'normal' : 'none', group: 'A' },
    };
  }
  const overrides = (p.fieldLinks ?? []).map((l) => ({
    matcher: { id: 'byName', options: l.field },
    properties: [{ id: 'links', value: [{ title: l.title, url: l.url, targetBlank: true }] }],
  }));
  return { defaults, overrides };
}

function optionsJson(p: PanelSpec): GrafanaJson {
  switch (p.kind) {
    case 'timeseries':
      return { legend: { displayMode: 'table', placement: 'bottom', showLegend: true, calcs: ['lastNotNull', 'max'] }, tooltip: { mode: 'multi', sort: 'desc' } };
    case 'stat':
      return { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'background', graphMode: 'none', textMode: 'auto', orientation: 'auto', justifyMode: 'auto' };
    case 'bargauge':
      return { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, displayMode: 'gradient', orientation: 'horizontal', showUnfilled: true };
    case 'table':
      return { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } };
    case 'text':
      return { mode: 'markdown', content: p.content ?? '' };
    default:
      return unreachable(p.kind);
  }
}

export function buildDashboard(spec: DashboardSpec): GrafanaDashboard {
  const panels: GrafanaJson[] = [];
  let id = 1;
  let y = 0;
  for (const row of spec.rows) {
    panels.push({ id: id++, type: 'row', title: row.title, collapsed: false, gridPos: { h: 1, w: GRID_WIDTH, x: 0, y }, panels: [] });
    y += 1;
    let x = 0;
    let rowHeight = 0;
    for (const p of row.panels) {
      const w = Math.min(GRID_WIDTH, p.width ?? DEFAULT_WIDTH);
      const h = p.height ?? DEFAULT_HEIGHT;
      if (x + w > GRID_WIDTH) {
        y += rowHeight;
        x = 0;
        rowHeight = 0;
      }
      panels.push({
        id: id++, type: p.kind, title: p.title, description: p.description, gridPos: { h, w, x, y },
        ...(p.kind === 'text' ? {} : { datasource: datasourceRef(p.datasource ?? 'prometheus'), targets: targetsJson(p), fieldConfig: fieldConfig(p) }),
        options: optionsJson(p),
        ...(p.transformations ? { transformations: p.transformations } : {}),
      });
      x += w;
      rowHeight = Math.max(rowHeight, h);
    }
    y += rowHeight;
  }
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: [...spec.tags],
    timezone: 'utc',
    editable: true,
    graphTooltip: 1,
    schemaVersion: GRAFANA_SCHEMA_VERSION,
    version: 1,
    refresh: '1m',
    time: { from: spec.time ?? 'now-6h', to: 'now' },
    links: [{ type: 'dashboards', title: 'Seamless', tags: ['seamless'], asDropdown: true, includeVars: true, keepTime: true }],
    annotations: { list: [] },
    templating: { list: spec.variables.map(variableJson) },
    panels,
  };
}

/** Every query of a dashboard with its datasource kind (panels, then `label_values` variables). */
export function dashboardQueries(d: GrafanaDashboard): { readonly datasource: DatasourceKind; readonly expr: string; readonly where: string }[] {
  const out: { datasource: DatasourceKind; expr: string; where: string }[] = [];
  for (const p of d.panels) {
    const targets = (p.targets ?? []) as readonly { expr: string; datasource: { type: DatasourceKind } }[];
    for (const t of targets) out.push({ datasource: t.datasource.type, expr: t.expr, where: `${d.title} / ${String(p.title)}` });
  }
  for (const v of d.templating.list) {
    if (v.type === 'query') out.push({ datasource: 'prometheus', expr: String(v.definition), where: `${d.title} / $${String(v.name)}` });
  }
  return out;
}

function unreachable(x: never): never {
  throw new InternalError(`unhandled dashboard element ${JSON.stringify(x)}`);
}
