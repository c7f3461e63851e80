/**
 * The exposition of one instance's registry, default process metrics included, under the real
 * `promtool check metrics`: no complaint at all (e.g. no gauge named like a counter).
 */
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/observability/index.js';
import { promtoolCheckMetrics } from '../../harness/promtool.js';

describe('metrics registry', () => {
  it('exposes nothing promtool check metrics complains about, process metrics included', async () => {
    const metrics = createMetrics();
    metrics.requestsTotal.inc({ route: '/v1/bars', status: '200' });
    const text = await metrics.registry.metrics();
    expect(text).toContain('seamless_process_nodejs_active_handles{');
    const check = await promtoolCheckMetrics(text);
    expect(check.output).toBe('');
    expect(check.code).toBe(0);
  });

  it('keeps no gauge whose name ends in _total', async () => {
    const metrics = createMetrics();
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^# TYPE \S+ gauge$/m);
    expect([...text.matchAll(/^# TYPE (\S+_total) gauge$/gm)].map((m) => m[1])).toEqual([]);
  });
});
