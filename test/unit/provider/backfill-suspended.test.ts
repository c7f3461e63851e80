/** The rollback switch `seamless.backfill.suspended` on a whole instance. */
import { describe, expect, it } from 'vitest';
import { createSeamless } from '../../../src/provider/index.js';
import { silentLogger } from '../../../src/observability/index.js';

const NODE = 'ohlcv:test:SUSPENDED';

describe('seamless.backfill.suspended', () => {
  it('refuses backfill commands with conflict naming the switch, and says so in health', async () => {
    const seamless = await createSeamless({
      config: {
        storage: { path: ':memory:' }, seamless: { backfill: { suspended: true } },
        sources: { s: { kind: 'synthetic' } }, datasets: [{ nodeId: NODE, intervals: ['1m'], source: 's' }],
      },
      env: {}, logger: silentLogger(),
    });
    try {
      const node = NODE;
      await expect(seamless.backfill({ nodeId: node, interval: '1m', start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' }))
        .rejects.toMatchObject({ code: 'conflict', details: { key: 'seamless.backfill.suspended' } });
      expect(seamless.backfillJobs()).toEqual([]);
      const health = await seamless.health();
      expect(health.backfill).toMatchObject({ ok: true });
      expect(health.backfill.detail).toMatch(/suspended/);
      const { metadata } = await seamless.fetch({ nodeId: node, interval: '1m', start: '2024-01-01T00:00:00Z', end: '2024-01-01T01:00:00Z' });
      expect(metadata).toMatchObject({ rows: 0, downgraded: true, downgradeReason: 'backfill_suspended', backfill: null });
    } finally {
      await seamless.close();
    }
  });

  it('can be switched on from the environment', async () => {
    const seamless = await createSeamless({ config: { storage: { path: ':memory:' } }, env: { SEAMLESS_BACKFILL_SUSPENDED: 'true' }, logger: silentLogger() });
    try {
      expect(seamless.config.seamless.backfill.suspended).toBe(true);
    } finally {
      await seamless.close();
    }
  });
});
