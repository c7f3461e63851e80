/**
 * The PostgreSQL change feed (src/engines/postgres/postgres-change-notify.ts and
 * postgres-change-listener.ts) on a real server: a listener on one database hears every write and
 * purge another store commits there (dataset, span, origin, an increasing sequence), never a write
 * that rolled back, and after its connection is terminated it resyncs, reconnects and hears the
 * next change. Skipped when the PostgreSQL server binaries are not installed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, StaleFencingTokenError } from '../../src/core/index.js';
import { createPostgresStorage, openPgChangeListener } from '../../src/engines/postgres/internal.js';
import type { PostgresStorage } from '../../src/engines/postgres/internal.js';
import type { DatasetKey, StorageChangeEvent, StorageChangeFeed } from '../../src/storage/index.js';
import { ohlcvBars } from '../storage-suite/bar-store-suite.js';
import { postgresAvailable, startPostgresServer } from '../harness/postgres-server.js';
import type { PostgresServer } from '../harness/postgres-server.js';
import { until } from '../helpers/until.js';

const MIN = 60_000;
const DS: DatasetKey = { nodeId: 'ohlcv:binance:BTC/USDT', intervalMs: MIN };

describe.skipIf(!postgresAvailable())('PostgreSQL change feed', () => {
  let server: PostgresServer;
  const opened: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    server = await startPostgresServer();
  }, 60_000);

  afterEach(async () => {
    for (const o of opened.splice(0).reverse()) await o.close();
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function setup(): Promise<{ writer: PostgresStorage; feed: StorageChangeFeed; events: StorageChangeEvent[]; database: string }> {
    const url = await server.createDatabase('seamless_changes');
    const writer = await createPostgresStorage({ url, origin: 'writer-1' });
    opened.push(writer);
    const feed = await openPgChangeListener({ url, connectTimeoutMs: 5_000, origin: 'reader-1', backoff: { baseDelayMs: 20, maxDelayMs: 200, jitter: 'none' } });
    opened.push(feed);
    const events: StorageChangeEvent[] = [];
    feed.subscribe((e) => events.push(e));
    return { writer, feed, events, database: decodeURIComponent(new URL(url).pathname.slice(1)) };
  }

  it('hears a committed write and a purge of another store with dataset, span, origin and sequence', async () => {
    const { writer, events } = await setup();
    const before = Date.now();
    await writer.bars.write({ dataset: DS, frame: ohlcvBars(0, 5, 1), coverage: [{ start: 0, end: 5 * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
    await writer.bars.purge({ dataset: DS, range: { start: MIN, end: 3 * MIN }, fences: [], actor: 'test', action: 'purge' });
    await until(() => events.length >= 2, 'two change events');
    expect(events.map((e) => (e.type === 'changed' ? [e.change.kind, e.change.range, e.change.origin, e.change.seq] : e.type))).toEqual([
      ['write', { start: 0, end: 5 * MIN }, 'writer-1', 1],
      ['purge', { start: MIN, end: 3 * MIN }, 'writer-1', 2],
    ]);
    const first = events[0];
    expect(first.type === 'changed' && first.change.dataset).toEqual(DS);
    expect(first.type === 'changed' && first.change.committedAt).toBeGreaterThanOrEqual(before);
  });

  it('announces nothing for a write that rolled back', async () => {
    const { writer, events } = await setup();
    const fence = (token: number) => ({ key: JSON.stringify(['shard', DS.nodeId, 0]), token });
    await writer.bars.advanceFence(fence(5));
    await expect(writer.bars.write({ dataset: DS, frame: ohlcvBars(0, 5, 1), coverage: [{ start: 0, end: 5 * MIN, state: 'stored' }], fence: fence(4) }, OHLCV_SCHEMA))
      .rejects.toBeInstanceOf(StaleFencingTokenError);
    await writer.bars.write({ dataset: DS, frame: ohlcvBars(10 * MIN, 2, 1), coverage: [{ start: 10 * MIN, end: 12 * MIN, state: 'stored' }], fence: fence(5) }, OHLCV_SCHEMA);
    await until(() => events.length >= 1, 'the committed write\'s event');
    // Notifications arrive in commit order: had the refused write been announced, it would be first.
    expect(events).toHaveLength(1);
    expect(events[0].type === 'changed' && events[0].change.range).toEqual({ start: 10 * MIN, end: 12 * MIN });
  });

  it('resyncs when its connection is terminated, listens again, and hears the next change', async () => {
    const { writer, feed, events, database } = await setup();
    expect(feed.health().ok).toBe(true);
    const killed = await server.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'seamless-listener' AND datname = $1`, [database]);
    expect(killed).toHaveLength(1);
    await until(() => events.filter((e) => e.type === 'resync').length >= 2 && feed.health().ok, 'a resync on loss and one on reconnect, then listening');
    expect(feed.health().detail).toContain('1 reconnects');
    await writer.bars.write({ dataset: DS, frame: ohlcvBars(0, 1, 1), coverage: [{ start: 0, end: MIN, state: 'stored' }] }, OHLCV_SCHEMA);
    await until(() => events.some((e) => e.type === 'changed'), 'the change after the reconnect');
  });

  it('reports reconnecting in its health while the server is down, and closes cleanly', async () => {
    const { feed } = await setup();
    await server.halt();
    try {
      await until(() => !feed.health().ok, 'the feed to notice the server is gone');
      expect(feed.health().detail).toMatch(/^reconnecting to postgres:\/\//);
    } finally {
      await server.start();
    }
    await until(() => feed.health().ok, 'the feed to listen again once the server is back', 20_000);
    await feed.close();
    expect(feed.health()).toEqual({ ok: false, detail: 'closed' });
  });
});
