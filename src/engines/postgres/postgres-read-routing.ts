/**
 * Read routing between the PostgreSQL primary (`storage.url`) and a hot standby
 * (`storage.readUrl`): which server answers a read of bars, coverage or the catalog.
 *
 * Rules, in order (docs/operations/deployment.md#read-replicas):
 * 1. The standby is down (its last probe or read failed): the primary, until `retryMs` have
 *    passed; then the next read probes it again (reason `down`).
 * 2. The standby lags more than `maxLagMs` behind the primary: the primary (reason `lag`).
 * 3. Read-your-writes: this process wrote the dataset (or, for catalog reads, anything) at a WAL
 *    position the standby has not replayed yet: the primary (reason `read_your_writes`).
 * 4. Otherwise the standby (reason `current`).
 *
 * Positions without a query per read: the standby's position (its replay LSN and its lag) is
 * probed at most once per POSITION_TTL_MS, one probe in flight at a time, and reads in that
 * window use the cached one. A write does not query its LSN either: it marks its dataset
 * `pending` under a sequence number; the next probe that STARTED after the write (so the primary's
 * pg_current_wal_insert_lsn() it reads is at or past the write's commit record) turns pending marks into that
 * LSN. Until then the dataset reads from the primary. Marks the standby has replayed are dropped.
 *
 * The lag (probe, postgres-replica-probe.ts): 0 when the standby has replayed all the WAL the
 * primary has flushed, else the standby's now() − pg_last_xact_replay_timestamp(): an upper bound (the
 * first transaction it lacks committed after the last one it replayed), so the rule errs toward
 * the primary.
 */
import type { Clock } from '../../core/index.js';
import type { ReadRoutingObserver } from '../../storage/index.js';

/** How long a probed standby position is used before the next read probes again. */
export const POSITION_TTL_MS = 50;

export type ReadTarget = 'standby' | 'primary';
/** Why a read went where it went: the `reason` label of seamless_storage_replica_reads_total. */
export type RouteReason = 'current' | 'read_your_writes' | 'lag' | 'down' | 'error';

export interface Route {
  readonly target: ReadTarget;
  readonly reason: RouteReason;
}

/** One probe of both servers. */
export interface ReplicaPosition {
  /** The primary's pg_current_wal_insert_lsn(), in bytes. */
  readonly primaryLsn: bigint;
  /** The standby's pg_last_wal_replay_lsn(), in bytes. */
  readonly replayLsn: bigint;
  /** How far the standby's data is behind the primary's, in ms (0 when it replayed everything). */
  readonly lagMs: number;
}

export interface ReplicaProbe {
  /** Queries the primary first, then the standby. Throws (StorageEngineError) when either fails or the standby is not in recovery. */
  position(): Promise<ReplicaPosition>;
}

/** Where routing decisions and lag measures go (the app turns them into metrics; the port's ReadRoutingObserver). */
export type ReplicaObserver = ReadRoutingObserver;

export interface ReplicaHealth {
  /** Always true: a standby that is down or lagging moves reads to the primary, it does not fail the gateway. */
  readonly ok: true;
  readonly state: 'up' | 'lagging' | 'down';
  readonly detail: string;
  readonly lagSeconds?: number;
  /** ISO time the standby went down. */
  readonly since?: string;
}

export interface ReadRouter {
  /** Where a read of the datasets `keys` goes; `undefined` keys: a catalog read (every write of this process counts). */
  route(keys: readonly string[] | undefined): Promise<Route>;
  /** A write of `keys` was committed (or may have been): their reads go to the primary until the standby replays it. */
  wrote(keys: readonly string[]): void;
  /**
   * A standby read failed with `cause`: the standby is down until `retryMs` pass, and the caller
   * reads again from the primary (counted as a primary read, reason `error`).
   */
  failed(cause: unknown): void;
  /** Probes now and says how the standby is. */
  health(): Promise<ReplicaHealth>;
}

export interface ReadRouterOptions {
  readonly probe: ReplicaProbe;
  readonly observer: ReplicaObserver;
  readonly clock: Clock;
  readonly maxLagMs: number;
  readonly retryMs: number;
  /** A probe slower than this counts as a failure (the standby hangs): the read goes to the primary. */
  readonly probeTimeoutMs: number;
}

export function createReadRouter(options: ReadRouterOptions): ReadRouter {
  return new ReadRouterImpl(options);
}

/** A write mark not yet given an LSN: the sequence number of the write. */
interface Pending {
  readonly seq: number;
}

interface Down {
  readonly since: number;
  readonly retryAt: number;
  readonly detail: string;
}

class ReadRouterImpl implements ReadRouter {
  readonly #o: ReadRouterOptions;
  /** Per dataset key: the WAL position its last write reached, or a pending mark. */
  readonly #marks = new Map<string, bigint | Pending>();
  /** The newest mark of any dataset (catalog reads). */
  #global: bigint | Pending | undefined;
  #seq = 0;
  #position: ReplicaPosition | undefined;
  #probedAt = Number.NEGATIVE_INFINITY;
  #probing: Promise<ReplicaPosition | undefined> | undefined;
  #down: Down | undefined;

  constructor(options: ReadRouterOptions) {
    this.#o = options;
  }

  async route(keys: readonly string[] | undefined): Promise<Route> {
    const route = await this.#decide(keys);
    this.#o.observer.read(route.target, route.reason);
    return route;
  }

  wrote(keys: readonly string[]): void {
    this.#seq += 1;
    const mark: Pending = { seq: this.#seq };
    for (const key of keys) this.#marks.set(key, mark);
    this.#global = mark;
  }

  failed(cause: unknown): void {
    this.#markDown(cause);
    this.#o.observer.read('primary', 'error');
  }

  async health(): Promise<ReplicaHealth> {
    const position = await this.#probe();
    const down = this.#down;
    if (position === undefined || down !== undefined) {
      const since = down?.since ?? this.#o.clock.now();
      return { ok: true, state: 'down', since: new Date(since).toISOString(), detail: `standby down (${down?.detail ?? 'no answer'}): reads go to the primary` };
    }
    const lagSeconds = position.lagMs / 1000;
    if (position.lagMs > this.#o.maxLagMs) {
      return { ok: true, state: 'lagging', lagSeconds, detail: `standby ${lagSeconds.toFixed(3)} s behind (bound ${this.#o.maxLagMs} ms): reads go to the primary` };
    }
    return { ok: true, state: 'up', lagSeconds, detail: `standby ${lagSeconds.toFixed(3)} s behind: reads go to the standby` };
  }

  async #decide(keys: readonly string[] | undefined): Promise<Route> {
    const now = this.#o.clock.now();
    if (this.#down !== undefined && now < this.#down.retryAt) return { target: 'primary', reason: 'down' };
    const position = now - this.#probedAt < POSITION_TTL_MS && this.#down === undefined ? this.#position : await this.#probe();
    if (position === undefined) return { target: 'primary', reason: 'down' };
    if (position.lagMs > this.#o.maxLagMs) return { target: 'primary', reason: 'lag' };
    if (keys === undefined) {
      if (!replayed(this.#global, position.replayLsn)) return { target: 'primary', reason: 'read_your_writes' };
    } else {
      for (let i = 0; i < keys.length; i++) {
        if (!replayed(this.#marks.get(keys[i]), position.replayLsn)) return { target: 'primary', reason: 'read_your_writes' };
      }
    }
    return { target: 'standby', reason: 'current' };
  }

  /** One probe at a time; undefined when it failed or timed out (the standby is then down). */
  #probe(): Promise<ReplicaPosition | undefined> {
    if (this.#probing === undefined) {
      const started = this.#seq;
      this.#probing = this.#probeOnce(started).finally(() => { this.#probing = undefined; });
    }
    return this.#probing;
  }

  async #probeOnce(startedAfterSeq: number): Promise<ReplicaPosition | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), this.#o.probeTimeoutMs); });
    const probing = this.#o.probe.position();
    try {
      const result = await Promise.race([probing, timeout]);
      if (result === 'timeout') {
        // The probe goes on in the background: its outcome no longer matters, but it must not be an unhandled rejection.
        probing.catch(() => undefined);
        this.#markDown(`no answer within ${this.#o.probeTimeoutMs} ms`);
        return undefined;
      }
      this.#settle(result, startedAfterSeq);
      return result;
    } catch (err) {
      this.#markDown(err);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A fresh position: the standby is up; pending marks written before the probe started get the primary's LSN; replayed marks go. */
  #settle(position: ReplicaPosition, startedAfterSeq: number): void {
    this.#position = position;
    this.#probedAt = this.#o.clock.now();
    this.#down = undefined;
    this.#o.observer.lag(position.lagMs / 1000);
    for (const [key, mark] of this.#marks) {
      const lsn = typeof mark === 'bigint' ? mark : mark.seq <= startedAfterSeq ? position.primaryLsn : undefined;
      if (lsn === undefined) continue;
      if (lsn <= position.replayLsn) this.#marks.delete(key);
      else if (lsn !== mark) this.#marks.set(key, lsn);
    }
    const g = this.#global;
    if (g !== undefined && typeof g !== 'bigint' && g.seq <= startedAfterSeq) this.#global = position.primaryLsn;
    if (typeof this.#global === 'bigint' && this.#global <= position.replayLsn) this.#global = undefined;
  }

  #markDown(cause: unknown): void {
    const now = this.#o.clock.now();
    const detail = typeof cause === 'string' ? cause : cause instanceof Error ? cause.message : String(cause);
    this.#down = { since: this.#down?.since ?? now, retryAt: now + this.#o.retryMs, detail };
    this.#position = undefined;
    this.#o.observer.lag(Number.NaN);
  }
}

/** True when the standby at `replayLsn` has what `mark` needs (no mark: nothing written here). */
function replayed(mark: bigint | Pending | undefined, replayLsn: bigint): boolean {
  if (mark === undefined) return true;
  if (typeof mark !== 'bigint') return false;
  return mark <= replayLsn;
}
