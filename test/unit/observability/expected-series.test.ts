import { describe, expect, it } from 'vitest';
import { EXPECTED_SERIES, createMetrics } from '../../../src/observability/index.js';

/** Series name → the metric it belongs to (histograms export `_count`, `_sum` and `_bucket`). */
function metricOf(series: string): string {
  return series.replace(/_(count|sum|bucket)$/, '');
}

describe('expected series', () => {
  it('names only series of metrics a Seamless instance registers, each once', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const registered = new Map((await metrics.registry.getMetricsAsJSON()).map((m) => [m.name, String(m.type)]));
    for (const series of EXPECTED_SERIES) {
      const metric = registered.has(series) ? series : metricOf(series);
      expect(registered.has(metric), `${series} is not a series of a metric in metrics.ts`).toBe(true);
      if (metric !== series) expect(registered.get(metric), `${series}: only histograms have _count/_sum/_bucket`).toBe('histogram');
    }
    expect(new Set(EXPECTED_SERIES).size).toBe(EXPECTED_SERIES.length);
  });

  it('covers the read path, HTTP and backfill', () => {
    expect(EXPECTED_SERIES).toEqual(expect.arrayContaining([
      'seamless_requests_total', 'seamless_fetch_duration_seconds_count', 'seamless_backfill_shards_total',
    ]));
  });
});
