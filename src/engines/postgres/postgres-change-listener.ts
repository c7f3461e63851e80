/**
 * The LISTEN side of cross-process cache coherence on PostgreSQL: one dedicated connection (not
 * pooled: a pooled connection would be handed to queries) that LISTENs on CHANGE_CHANNEL and
 * turns each notification into a `changed` event of the StorageChangeFeed port
 * (src/storage/storage-change-feed.ts).
 *
 * States: `listening` → (connection error or end, or a failed liveness probe) `reconnecting` →
 * (LISTEN again) `listening` … → `closed`. Notifications sent while the connection is down are
 * lost for good (PostgreSQL queues them per listening session only), so the feed emits `resync`
 * when it loses the connection and again once it listens anew: subscribers drop whatever they
 * cached. Reconnects back off (100 ms doubling to 5 s, equal jitter) and never give up until
 * `close()`. A probe (`SELECT 1`) every PROBE_INTERVAL_MS finds a connection that died silently
 * (no FIN, say a partition) which TCP keepalive alone would find only after minutes.
 *
 * A payload this version cannot read (a newer Seamless on the same database) is a `resync` too:
 * dropping everything is always safe.
 */
import pg from 'pg';
import { backoffDelay } from '../../core/index.js';
import type { Backoff } from '../../core/index.js';
import type { StorageChangeEvent, StorageChangeFeed, StorageChangeFeedHealth } from '../../storage/index.js';
import { CHANGE_CHANNEL, decodeChange } from './postgres-change-notify.js';
import { openError, redactUrl } from './postgres-errors.js';

export const LISTENER_BACKOFF: Backoff = Object.freeze({ baseDelayMs: 100, maxDelayMs: 5_000, jitter: 'equal' });
export const PROBE_INTERVAL_MS = 10_000;

export interface ChangeListenerOptions {
  readonly url: string;
  readonly connectTimeoutMs: number;
  /** This process's origin id (its ChangeNotifier's). */
  readonly origin: string;
  readonly backoff?: Backoff;
  readonly probeIntervalMs?: number;
}

type ListenerState = 'listening' | 'reconnecting' | 'closed';

/** Connects and LISTENs once (failing like the storage's open when it cannot), then keeps listening until closed. */
export async function openPgChangeListener(options: ChangeListenerOptions): Promise<StorageChangeFeed> {
  const listener = new PgChangeListener(options);
  try {
    await listener.connect();
  } catch (err) {
    await listener.close();
    throw openError(err, options.url);
  }
  return listener;
}

class PgChangeListener implements StorageChangeFeed {
  readonly origin: string;
  readonly #options: ChangeListenerOptions;
  readonly #where: string;
  readonly #listeners = new Set<(event: StorageChangeEvent) => void>();
  #state: ListenerState = 'reconnecting';
  #client: pg.Client | undefined;
  #attempt = 0;
  #reconnects = 0;
  #lastError = '';
  #retryTimer: NodeJS.Timeout | undefined;
  #probeTimer: NodeJS.Timeout | undefined;

  constructor(options: ChangeListenerOptions) {
    this.origin = options.origin;
    this.#options = options;
    this.#where = redactUrl(options.url);
  }

  subscribe(listener: (event: StorageChangeEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => { this.#listeners.delete(listener); };
  }

  health(): StorageChangeFeedHealth {
    switch (this.#state) {
      case 'listening': return { ok: true, detail: `listening on ${CHANGE_CHANNEL} (${this.#reconnects} reconnects)` };
      case 'reconnecting': return { ok: false, detail: `reconnecting to ${this.#where} (attempt ${this.#attempt}): ${this.#lastError}` };
      case 'closed': return { ok: false, detail: 'closed' };
    }
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#retryTimer);
    clearInterval(this.#probeTimer);
    const client = this.#client;
    this.#client = undefined;
    // Ending a client whose connection already failed rejects: it is closed either way.
    if (client !== undefined) await client.end().catch(() => undefined);
  }

  /** One connection attempt: connect, subscribe to notifications, LISTEN. Throws what failed. */
  async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.#options.url,
      connectionTimeoutMillis: this.#options.connectTimeoutMs,
      keepAlive: true,
      application_name: 'seamless-listener',
    });
    // Registered before connect: an error event without a listener would crash the process.
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client, new Error('connection ended')));
    client.on('notification', (msg) => {
      if (msg.channel === CHANGE_CHANNEL) this.#deliver(msg.payload ?? '');
    });
    this.#client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (err) {
      this.#client = undefined;
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.#state === 'closed') {
      await client.end().catch(() => undefined);
      return;
    }
    this.#state = 'listening';
    this.#attempt = 0;
    this.#probeTimer = setInterval(() => this.#probe(client), this.#options.probeIntervalMs ?? PROBE_INTERVAL_MS);
    this.#probeTimer.unref();
  }

  #deliver(payload: string): void {
    const change = decodeChange(payload);
    this.#emit(change === undefined ? { type: 'resync', reason: 'a change notification this version cannot read' } : { type: 'changed', change });
  }

  #emit(event: StorageChangeEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  #probe(client: pg.Client): void {
    client.query('SELECT 1').catch((err: unknown) => this.#lost(client, err));
  }

  /**
   * The listening connection `client` failed: once per connection, resync and reconnect with
   * backoff. (A failure while connecting rejects `connect()`, which schedules the next attempt.)
   */
  #lost(client: pg.Client, err: unknown): void {
    if (this.#client !== client || this.#state !== 'listening') return;
    this.#client = undefined;
    clearInterval(this.#probeTimer);
    // The connection is dead already; end() only releases the socket, and its failure says nothing new.
    client.end().catch(() => undefined);
    this.#lastError = err instanceof Error ? err.message : String(err);
    this.#state = 'reconnecting';
    this.#emit({ type: 'resync', reason: `change listener lost its connection: ${this.#lastError}` });
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    this.#attempt += 1;
    const pause = backoffDelay(this.#options.backoff ?? LISTENER_BACKOFF, this.#attempt);
    this.#retryTimer = setTimeout(() => {
      this.connect().then(() => {
        if (this.#state !== 'listening') return;
        this.#reconnects += 1;
        // What was sent while we were away is lost: everything cached meanwhile is suspect.
        this.#emit({ type: 'resync', reason: `change listener reconnected (reconnect ${this.#reconnects})` });
      }, (err: unknown) => {
        if (this.#state === 'closed') return;
        this.#lastError = err instanceof Error ? err.message : String(err);
        this.#scheduleReconnect();
      });
    }, pause);
    this.#retryTimer.unref();
  }
}
