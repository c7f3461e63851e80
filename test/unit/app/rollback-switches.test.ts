/** The rollback switches on a whole instance: `seamless.backfill.suspended`, `seamless.sla.forceDryRun`. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/temp-dir.js';
import { createSeamless } from '../../../src/app/index.js';
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

describe('seamless.sla.forceDryRun', () => {
  async function withPolicy(forceDryRun: boolean, fn: (seamless: Awaited<ReturnType<typeof createSeamless>>) => Promise<void>): Promise<void> {
    const dir = await tempDir('seamless-rollback-sla-');
    // An enforced policy that fails any read whose backfill takes over 20 ms; the upstream takes 300.
    writeFileSync(join(dir.path, 'tight.yml'), `name: tight\nmatch:\n  node: "${NODE}"\nmode: enforced\nbudgets:\n  backfill: 20\nonViolation: fail\nowner: t\nrunbook: r.md\nescalation: e\n`);
    const seamless = await createSeamless({
      config: {
        storage: { path: ':memory:' }, seamless: { sla: { dir: dir.path, forceDryRun } },
        sources: { s: { kind: 'synthetic', latencyMs: 300 } }, datasets: [{ nodeId: NODE, intervals: ['1m'], source: 's' }],
      },
      env: {}, logger: silentLogger(),
    });
    try {
      await fn(seamless);
    } finally {
      await seamless.close();
      await dir.remove();
    }
  }
  const read = { nodeId: NODE, interval: '1m', start: '2024-01-01T00:00:00Z', end: '2024-01-01T01:00:00Z', strategy: 'auto_backfill' as const };

  it('without the switch, the enforced policy fails the read', async () => {
    await withPolicy(false, async (seamless) => {
      await expect(seamless.fetch(read)).rejects.toMatchObject({ code: 'sla_exceeded', phase: 'backfill' });
    });
  });

  it('with the switch, the same read is served and the violation reported as dry-run', async () => {
    await withPolicy(true, async (seamless) => {
      const { metadata } = await seamless.fetch(read);
      expect(metadata.rows).toBe(60);
      expect(metadata.slaViolation).toMatchObject({ policy: 'tight', mode: 'dry-run', dryRun: true, decision: 'serve' });
    });
  });
});
