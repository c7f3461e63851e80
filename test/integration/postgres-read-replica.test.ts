/**
 * Read replicas (docs/operations/deployment.md#read-replicas) against a real PostgreSQL primary
 * and a streaming hot standby (test/harness/postgres-standby.ts): a gateway with `storage.url`
 * (the primary) and `storage.readUrl` (the standby) reads bars and coverage from the standby —
 * proved by a change made on the primary while the standby's replay is paused, which the answer
 * does not contain —, reads its own writes at once (from the primary while the standby has not
 * replayed them), falls back to the primary when the standby lags past storage.maxReplicaLagMs,
 * and keeps answering when the standby stops (/healthz: standby down, status ok), returning to
 * it once it is back. Skipped when the PostgreSQL server binaries are not installed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Seamless } from '../../src/app/index.js';
import { postgresAvailable } from '../harness/postgres-server.js';
import { startPostgresPair } from '../harness/postgres-standby.js';
import type { PostgresPair } from '../harness/postgres-standby.js';
import { startInProcessGateway } from '../helpers/in-process-gateway.js';
import type { InProcessGateway } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/until.js';

const MIN = 60_000;
const NODE_A = 'ohlcv:replica:AAA/USD';
const NODE_B = 'ohlcv:replica:BBB/USD';
const DAY = Date.UTC(2024, 0, 2);
const RANGE = { interval: '1m', start: DAY, end: DAY + 1_440 * MIN };
/** Generous deadlines: they only guard against hangs on a loaded machine. */
const DEADLINE_MS = 30_000;

type Target = 'standby' | 'primary';

async function routed(seamless: Seamless, target: Target, reason: string): Promise<number> {
  const metric = await seamless.metrics.storageReplicaReads.get();
  return metric.values.find((v) => v.labels.target === target && v.labels.reason === reason)?.value ?? 0;
}

/** The sum of a read's volume column: a direct UPDATE on the primary changes it. */
async function volumeSum(seamless: Seamless, nodeId: string): Promise<number> {
  const { frame, metadata } = await seamless.fetch({ nodeId, ...RANGE, strategy: 'fail_fast' });
  expect(metadata.rows).toBe(1_440);
  const volume = frame.column('volume');
  let sum = 0;
  for (let i = 0; i < volume.length; i++) sum += volume[i];
  return sum;
}

describe.skipIf(!postgresAvailable())('PostgreSQL read replicas', () => {
  let pair: PostgresPair;
  let database: string;
  let primaryUrl: string;
  let gateway: InProcessGateway;

  const start = (maxReplicaLagMs: number): Promise<InProcessGateway> => startInProcessGateway((dir) => ({
    config: {
      dataDir: dir,
      // A generous connect timeout (also the probe's): on a loaded machine a slow probe must not pass for a standby down.
      storage: { engine: 'postgres', url: primaryUrl, readUrl: pair.standby.url(database), maxReplicaLagMs, replicaRetryMs: 300, connectTimeoutMs: 20_000 },
      // Without the response cache every read reaches storage.
      cache: { enabled: false },
      sources: { synthetic: { kind: 'synthetic', seed: 5 } },
      datasets: [{ nodeId: NODE_A, intervals: ['1m'], source: 'synthetic' }, { nodeId: NODE_B, intervals: ['1m'], source: 'synthetic' }],
      seamless: { backfill: { barsPerShard: 1_440 } },
    },
  }));

  /** Adds 1,000 to every volume of `nodeId` on the primary, behind Seamless's back (no read-your-writes mark). */
  const bumpVolumes = async (nodeId: string): Promise<void> => {
    await pair.primary.query('UPDATE bars_ohlcv SET volume = volume + 1000 WHERE dataset_id = (SELECT id FROM datasets WHERE node_id = $1)', [nodeId], database);
  };

  beforeAll(async () => {
    pair = await startPostgresPair();
    primaryUrl = await pair.primary.createDatabase('seamless_replica');
    database = decodeURIComponent(new URL(primaryUrl).pathname.slice(1));
    // Bound of a minute: this gateway's reads stay on the standby unless read-your-writes or a fault says otherwise.
    gateway = await start(60_000);
  }, 90_000);

  afterAll(async () => {
    await gateway?.close();
    await pair?.stop();
  });

  it('serves reads of bars and coverage from the standby: a change it has not replayed yet is not in the answer', async () => {
    const { seamless } = gateway;
    const first = await seamless.fetch({ nodeId: NODE_A, ...RANGE });
    expect(first.metadata.sources.backfill).toBe(1_440);
    await pair.standby.caughtUp();
    // Read-your-writes keeps NODE_A on the primary until a probe sees the standby past the write.
    await until(async () => {
      const standbyReads = await routed(seamless, 'standby', 'current');
      await volumeSum(seamless, NODE_A);
      return (await routed(seamless, 'standby', 'current')) > standbyReads;
    }, 'reads of NODE_A to go to the standby once it replayed the backfill', DEADLINE_MS);
    const before = await volumeSum(seamless, NODE_A);

    await pair.standby.pauseReplay();
    try {
      await bumpVolumes(NODE_A);
      const standbyReads = await routed(seamless, 'standby', 'current');
      // The standby has not replayed the UPDATE: its answer is the old one, whole (coverage and bars from it).
      expect(await volumeSum(seamless, NODE_A)).toBe(before);
      expect(await routed(seamless, 'standby', 'current')).toBeGreaterThanOrEqual(standbyReads + 2);
    } finally {
      await pair.standby.resumeReplay();
    }
    await pair.standby.caughtUp();
    await until(async () => (await volumeSum(seamless, NODE_A)) === before + 1_440 * 1_000, 'the standby to serve the replayed UPDATE', DEADLINE_MS);
  });

  it('reads back its own write at once, from the primary while the standby has not replayed it', async () => {
    const { seamless } = gateway;
    await pair.standby.pauseReplay();
    try {
      const ownReads = await routed(seamless, 'primary', 'read_your_writes');
      const written = await seamless.fetch({ nodeId: NODE_B, ...RANGE });
      expect(written.metadata.sources.backfill).toBe(1_440);
      // The paused standby has neither the bars nor the coverage: a read there would backfill again or fail fast.
      const again = await seamless.fetch({ nodeId: NODE_B, ...RANGE, strategy: 'fail_fast' });
      expect(again.metadata.sources).toMatchObject({ storage: 1_440, backfill: 0 });
      expect(again.metadata.fingerprint).toBe(written.metadata.fingerprint);
      expect(await routed(seamless, 'primary', 'read_your_writes')).toBeGreaterThan(ownReads);
      // A dataset this gateway did not just write still reads from the standby.
      const standbyReads = await routed(seamless, 'standby', 'current');
      await volumeSum(seamless, NODE_A);
      expect(await routed(seamless, 'standby', 'current')).toBeGreaterThan(standbyReads);
    } finally {
      await pair.standby.resumeReplay();
    }
    await pair.standby.caughtUp();
  });

  it('falls back to the primary once a paused standby lags past storage.maxReplicaLagMs, and says why in metrics and /healthz', async () => {
    const lagging = await start(1_000);
    try {
      const { seamless } = lagging;
      const before = await volumeSum(seamless, NODE_A);
      await pair.standby.pauseReplay();
      try {
        await bumpVolumes(NODE_A);
        await until(async () => (await volumeSum(seamless, NODE_A)) === before + 1_440 * 1_000, 'reads to reach the primary past the lag bound', DEADLINE_MS);
        expect(await routed(seamless, 'primary', 'lag')).toBeGreaterThan(0);
        expect((await seamless.metrics.storageReplicaLag.get()).values[0].value).toBeGreaterThan(1);
        const res = await fetch(`${lagging.url}/healthz`);
        const body = await res.json() as { status: string; checks: Record<string, { ok: boolean; state?: string }> };
        expect(res.status).toBe(200);
        expect(body.status).toBe('ok');
        expect(body.checks['storage:standby']).toMatchObject({ ok: true, state: 'lagging' });
      } finally {
        await pair.standby.resumeReplay();
      }
    } finally {
      await lagging.close();
    }
    await pair.standby.caughtUp();
  });

  it('keeps answering from the primary when the standby stops, shows it down in /healthz with status ok, and reads from it again once it is back', async () => {
    const { seamless, url } = gateway;
    await pair.standby.halt();
    try {
      const res = await fetch(`${url}/v1/bars?node=${encodeURIComponent(NODE_A)}&interval=1m&start=${RANGE.start}&end=${RANGE.end}&strategy=fail_fast`);
      expect(res.status).toBe(200);
      expect(await routed(seamless, 'primary', 'down') + await routed(seamless, 'primary', 'error')).toBeGreaterThan(0);
      const health = await fetch(`${url}/healthz`);
      const body = await health.json() as { status: string; checks: Record<string, { ok: boolean; state?: string; detail?: string }> };
      expect(health.status).toBe(200);
      expect(body.status).toBe('ok');
      expect(body.checks['storage:standby']).toMatchObject({ ok: true, state: 'down' });
      expect(body.checks.storage).toMatchObject({ ok: true });
    } finally {
      await pair.standby.start();
    }
    await until(async () => {
      const standbyReads = await routed(seamless, 'standby', 'current');
      await volumeSum(seamless, NODE_A);
      return (await routed(seamless, 'standby', 'current')) > standbyReads;
    }, 'reads to return to the restarted standby', DEADLINE_MS);
  });
});
