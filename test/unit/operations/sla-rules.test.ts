import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderRules, renderRunbook } from '../../../src/operations/index.js';
import { budgetBucketSeconds } from '../../../src/operations/internal.js';
import { createSlaPolicySet } from '../../../src/sla/index.js';
import { policy } from '../sla/fixtures.js';

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Rules { groups: { name: string; rules: Rule[] }[] }

const demo = policy({ name: 'demo-1m', node: 'ohlcv:demo:*', interval: '1m', budgets: { storage: 500, total: 2500 }, coverage: 0.99 });
const catchAll = policy({ name: 'default', node: '*', mode: 'dry-run', budgets: { total: 60_000 } });

describe('Prometheus rules of SLA policies', () => {
  it.each([[1, 0.001], [500, 0.5], [501, 1], [2000, 2.5], [2500, 2.5], [11_000, 30], [600_000, 600]])(
    'rounds a %d ms budget up to the %d s bucket', (ms, bucket) => {
      expect(budgetBucketSeconds(ms)).toBe(bucket);
    },
  );

  const rules = parse(renderRules([demo, catchAll])) as Rules;
  const group = (name: string): Rule[] => rules.groups.find((g) => g.name === `seamless-sla-${name}`)?.rules ?? [];

  it('renders one group per policy, most specific first', () => {
    expect(rules.groups.map((g) => g.name)).toEqual(['seamless-sla-demo-1m', 'seamless-sla-default']);
  });

  it('records the good ratio per budgeted phase and window from the deadline histogram', () => {
    const records = group('demo-1m').filter((r) => r.record);
    expect(records.map((r) => `${r.record} ${r.labels?.phase}`)).toEqual([
      'seamless_sla:good_ratio:rate5m storage', 'seamless_sla:good_ratio:rate30m storage', 'seamless_sla:good_ratio:rate1h storage', 'seamless_sla:good_ratio:rate6h storage',
      'seamless_sla:good_ratio:rate5m total', 'seamless_sla:good_ratio:rate30m total', 'seamless_sla:good_ratio:rate1h total', 'seamless_sla:good_ratio:rate6h total',
    ]);
    expect(records[4].expr).toBe(
      'sum(rate(seamless_sla_deadline_seconds_bucket{node_id=~"ohlcv:demo:.*",phase="total",le="2.5"}[5m])) / ' +
      'sum(rate(seamless_sla_deadline_seconds_count{node_id=~"ohlcv:demo:.*",phase="total"}[5m]))',
    );
    expect(records[0].expr).toContain('le="0.5"');
    expect(records[4].labels).toEqual({ policy: 'demo-1m', phase: 'total' });
  });

  it('matches integer buckets as Prometheus 2 and 3 expose them', () => {
    expect(group('default').find((r) => r.record)?.expr).toContain('le=~"60|60[.]0"');
  });

  it('alerts on fast and slow burn over two windows each, with owner, escalation and runbook', () => {
    const fast = group('demo-1m').find((r) => r.alert === 'SeamlessSLAFastBurn' && r.labels?.phase === 'total');
    expect(fast?.expr).toBe(
      '(1 - seamless_sla:good_ratio:rate1h{policy="demo-1m",phase="total"}) > 0.144\nand\n' +
      '(1 - seamless_sla:good_ratio:rate5m{policy="demo-1m",phase="total"}) > 0.144',
    );
    expect(fast?.labels).toEqual({ severity: 'page', policy: 'demo-1m', phase: 'total', mode: 'enforced', owner: 'team', escalation: '#oncall' });
    expect(fast?.annotations?.runbook_url).toBe('https://runbooks.example/sla');
    expect(fast?.annotations?.summary).toMatch(/demo-1m/);
    const slow = group('demo-1m').find((r) => r.alert === 'SeamlessSLASlowBurn' && r.labels?.phase === 'total');
    expect(slow?.expr).toContain('rate6h');
    expect(slow?.expr).toContain('rate30m');
    expect(slow?.expr).toContain('> 0.06');
    expect(slow?.labels?.severity).toBe('ticket');
  });

  it('alerts on read-check violations for the checks a policy declares', () => {
    const check = group('demo-1m').find((r) => r.alert === 'SeamlessSLACheckViolations');
    expect(check?.expr).toBe('sum by (policy, phase) (increase(seamless_sla_violations_total{policy="demo-1m",phase=~"coverage"}[15m])) > 0');
    expect(group('default').some((r) => r.alert === 'SeamlessSLACheckViolations')).toBe(false);
  });

  it('alerts on recovery violations when the policy bounds background recovery', () => {
    const recovering = policy({ name: 'recovering', node: 'ohlcv:x:*', budgets: { total: 1000 }, recoveryMs: 60_000 });
    const r = parse(renderRules([recovering])) as Rules;
    const check = r.groups[0].rules.find((x) => x.alert === 'SeamlessSLACheckViolations');
    expect(check?.expr).toContain('phase=~"recovery"');
  });

  it('never pages for a dry-run policy', () => {
    expect(group('default').filter((r) => r.alert).map((r) => r.labels?.severity)).toEqual(['info', 'info']);
  });

  it('leaves out nodes a more specific policy claims for every interval', () => {
    const btc = policy({ name: 'btc', node: 'ohlcv:demo:BTC.USD', budgets: { total: 1000 } });
    const text = renderRules(createSlaPolicySet([btc, demo, catchAll]));
    const byGroup = (parse(text) as Rules).groups;
    const expr = (name: string): string => byGroup.find((g) => g.name === `seamless-sla-${name}`)?.rules[0].expr ?? '';
    // btc (any interval) takes its node from both; demo-1m (1m only) cannot be told apart by the histogram.
    expect(expr('default')).toContain('node_id=~".*",node_id!~"ohlcv:demo:BTC\\\\.USD",phase="total"');
    expect(expr('demo-1m')).toContain('node_id=~"ohlcv:demo:.*",node_id!~"ohlcv:demo:BTC\\\\.USD"');
    expect(expr('btc')).not.toContain('!~');
  });

  it('escapes quotes and backslashes of node globs in PromQL strings', () => {
    const odd = policy({ name: 'odd', node: 'a"b\\c*', budgets: { total: 1000 } });
    expect((parse(renderRules([odd])) as Rules).groups[0].rules[0].expr).toContain('node_id=~"a\\"b\\\\\\\\c.*"');
  });
});

describe('runbook of an SLA policy', () => {
  it('says what the policy promises, who owns it and how to check the alert route', () => {
    const md = renderRunbook(demo);
    expect(md).toMatch(/^# SLA policy `demo-1m`/);
    expect(md).toContain('| Budget `total` | 2500 ms (alerts count reads above the 2.5 s bucket) |');
    expect(md).toContain('| Owner | team |');
    expect(md).toContain('| Escalation | #oncall |');
    expect(md).toContain("seamless sla inject-violation --node 'ohlcv:demo:X' --phase total --duration 10000 --policy demo-1m");
  });
});
