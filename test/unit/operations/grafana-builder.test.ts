import { describe, expect, it } from 'vitest';
import { DASHBOARDS, buildDashboard, dashboardQueries } from '../../../src/operations/internal.js';
import type { GrafanaJson } from '../../../src/operations/internal.js';

const spec = {
  uid: 'test-board',
  title: 'Test board',
  description: 'for the builder',
  tags: ['seamless'],
  variables: [
    { kind: 'datasource', source: 'prometheus', label: 'Prometheus' },
    { kind: 'label_values', name: 'node_id', label: 'Dataset', metric: 'seamless_read_coverage_ratio', labelName: 'node_id' },
    { kind: 'textbox', name: 'trace_url', label: 'Trace URL', value: 'http://jaeger/trace/', description: 'prefix' },
    { kind: 'custom', name: 'slow_le', label: 'Slow', values: ['1', '2.5'], value: '2.5', description: 'bucket' },
  ],
  rows: [
    {
      title: 'First row',
      panels: [
        { kind: 'timeseries', title: 'a', description: 'a', queries: [{ expr: 'up', legend: '{{instance}}' }], width: 16 },
        { kind: 'stat', title: 'b', description: 'b', queries: [{ expr: 'sum(up)' }], width: 16, valueText: { 0: 'down', 1: 'up' } },
        { kind: 'table', title: 'c', description: 'c', queries: [{ expr: 'sum by (job) (up)', instant: true }], width: 8, height: 4 },
      ],
    },
    {
      title: 'Logs',
      panels: [{
        kind: 'table', title: 'd', description: 'd', datasource: 'loki', queries: [{ expr: '{job="x"} | json' }],
        fieldLinks: [{ field: 'traceId', title: 'trace', url: '${trace_url}${__value.raw}' }],
      }],
    },
  ],
} as const;

function panel(d: { panels: readonly GrafanaJson[] }, title: string): GrafanaJson & { gridPos: { x: number; y: number; w: number; h: number } } {
  const p = d.panels.find((x) => x.title === title);
  if (!p) throw new TypeError(`no panel ${title}`);
  return p as GrafanaJson & { gridPos: { x: number; y: number; w: number; h: number } };
}

describe('grafana dashboard builder', () => {
  const d = buildDashboard(spec);

  it('lays panels out left to right under their row, wrapping at 24 columns', () => {
    expect(d.panels.map((p) => p.type)).toEqual(['row', 'timeseries', 'stat', 'table', 'row', 'table']);
    expect(panel(d, 'First row').gridPos).toEqual({ h: 1, w: 24, x: 0, y: 0 });
    expect(panel(d, 'a').gridPos).toEqual({ h: 8, w: 16, x: 0, y: 1 });
    expect(panel(d, 'b').gridPos).toEqual({ h: 8, w: 16, x: 0, y: 9 }); // 16 + 16 > 24: next line
    expect(panel(d, 'c').gridPos).toEqual({ h: 4, w: 8, x: 16, y: 9 });
    expect(panel(d, 'Logs').gridPos.y).toBe(17);
    expect(new Set(d.panels.map((p) => p.id)).size).toBe(d.panels.length);
  });

  it('points every target at its datasource variable', () => {
    const a = panel(d, 'a') as unknown as { datasource: unknown; targets: { datasource: unknown; expr: string; legendFormat: string; range: boolean }[] };
    expect(a.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    expect(a.targets[0]).toMatchObject({ refId: 'A', expr: 'up', legendFormat: '{{instance}}', range: true, datasource: { uid: '${datasource}' } });
    const c = panel(d, 'c') as unknown as { targets: { instant: boolean; format: string }[] };
    expect(c.targets[0]).toMatchObject({ instant: true, format: 'table' });
    const logs = panel(d, 'd') as unknown as { targets: { datasource: unknown }[]; fieldConfig: { overrides: unknown[] } };
    expect(logs.targets[0].datasource).toEqual({ type: 'loki', uid: '${loki}' });
    expect(logs.fieldConfig.overrides).toEqual([{
      matcher: { id: 'byName', options: 'traceId' },
      properties: [{ id: 'links', value: [{ title: 'trace', url: '${trace_url}${__value.raw}', targetBlank: true }] }],
    }]);
  });

  it('renders the templating variables Grafana expects', () => {
    const [ds, node, text, custom] = d.templating.list;
    expect(ds).toMatchObject({ type: 'datasource', name: 'datasource', query: 'prometheus' });
    expect(node).toMatchObject({
      type: 'query', name: 'node_id', definition: 'label_values(seamless_read_coverage_ratio, node_id)', includeAll: true, multi: true, allValue: '.*',
      datasource: { type: 'prometheus', uid: '${datasource}' },
    });
    expect(text).toMatchObject({ type: 'textbox', name: 'trace_url', query: 'http://jaeger/trace/' });
    expect(custom).toMatchObject({ type: 'custom', name: 'slow_le', query: '1,2.5', current: { value: '2.5' } });
  });

  it('maps stat values to text', () => {
    const b = panel(d, 'b') as unknown as { fieldConfig: { defaults: { mappings: unknown[] } } };
    expect(b.fieldConfig.defaults.mappings).toEqual([{ type: 'value', options: { 0: { text: 'down', index: 0 }, 1: { text: 'up', index: 1 } } }]);
  });

  it('lists every query of a dashboard with its datasource, variables included', () => {
    expect(dashboardQueries(d).map((q) => [q.datasource, q.expr])).toEqual([
      ['prometheus', 'up'], ['prometheus', 'sum(up)'], ['prometheus', 'sum by (job) (up)'], ['loki', '{job="x"} | json'],
      ['prometheus', 'label_values(seamless_read_coverage_ratio, node_id)'],
    ]);
  });

  it('builds the shipped dashboards with unique uids and the datasource variable first', () => {
    const built = DASHBOARDS.map((x) => x.build());
    expect(built.map((b) => b.uid)).toEqual(['seamless-sla', 'seamless-backfill', 'seamless-conformance', 'seamless-traces']);
    for (const b of built) {
      expect(b.templating.list[0]).toMatchObject({ type: 'datasource', name: 'datasource' });
      expect(b.panels.length).toBeGreaterThan(4);
    }
    const traces = built[3];
    expect(traces.templating.list.map((v) => v.name)).toEqual(expect.arrayContaining(['loki', 'node_id', 'trace_url', 'log_stream']));
  });
});
