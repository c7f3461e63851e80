import { describe, expect, it } from 'vitest';
import { metricNamesOf, metricNamesOfVariable, missingSeries, sampledSeries } from '../../../src/operations/internal.js';

describe('metric names of PromQL expressions', () => {
  it('finds the metrics of a burn-rate expression and not its functions, labels or durations', () => {
    expect(metricNamesOf('sum(rate(seamless_sla_deadline_seconds_bucket{node_id=~"ohlcv:demo:.*",phase="total",le="2.5"}[5m])) / sum(rate(seamless_sla_deadline_seconds_count{phase="total"}[5m]))'))
      .toEqual(['seamless_sla_deadline_seconds_bucket', 'seamless_sla_deadline_seconds_count']);
  });

  it('skips grouping clauses, keywords, offsets and Grafana variables', () => {
    const expr = `max by (instance, job) (seamless_backfill_inflight) > 0
      unless on (instance, job) sum by (instance, job) (increase(seamless_backfill_shards_total[$__rate_interval] offset 10m)) > 0
      and bool vector(1) # a comment naming fake_metric`;
    expect(metricNamesOf(expr)).toEqual(['seamless_backfill_inflight', 'seamless_backfill_shards_total']);
    expect(metricNamesOf('(1 - seamless_sla:good_ratio:rate1h{policy=~"$policy"}) / on (policy) group_left () (1 - seamless_sla:objective)'))
      .toEqual(['seamless_sla:good_ratio:rate1h', 'seamless_sla:objective']);
    expect(metricNamesOf('histogram_quantile(0.99, sum by (le) (rate(x_bucket{le="$slow_le"}[1e3s])))')).toEqual(['x_bucket']);
    expect(metricNamesOf('60 * sum by (strategy) (rate(a_total[${__range}]))')).toEqual(['a_total']);
  });

  it('reads the metric of a label_values variable', () => {
    expect(metricNamesOfVariable('label_values(seamless_sla_deadline_seconds_count, node_id)')).toEqual(['seamless_sla_deadline_seconds_count']);
    expect(metricNamesOfVariable('label_values(node_id)')).toEqual([]);
  });

  it('lists sampled series of an exposition and the names it lacks', () => {
    const text = [
      '# HELP h a histogram', '# TYPE h histogram', 'h_bucket{le="1"} 1', 'h_sum 1', 'h_count 1',
      '# HELP c a counter', '# TYPE c counter', 'c_total{a="b"} 2', '# HELP e empty', '# TYPE e counter', '',
    ].join('\n');
    const sampled = sampledSeries(text);
    expect([...sampled].sort()).toEqual(['c_total', 'h_bucket', 'h_count', 'h_sum']);
    expect(missingSeries(['h_bucket', 'h', 'c_total', 'e_total'], sampled)).toEqual(['e_total', 'h']);
  });
});
