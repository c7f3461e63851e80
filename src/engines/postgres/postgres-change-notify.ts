/**
 * The NOTIFY side of cross-process cache coherence on PostgreSQL (docs/operations/cache-coherence.md):
 * every bar write and purge sends one `pg_notify` on CHANGE_CHANNEL as the last statement of its
 * own transaction. PostgreSQL delivers a notification only when (and after) its transaction
 * commits, so no committed write goes un-notified and a rolled-back one is never announced.
 *
 * Payload: a JSON array `[1, kind, nodeId, intervalMs, start, end, origin, seq, committedAt]`
 * (`start`/`end` null: the whole dataset). A write of many claimed ranges announces their span
 * (one range, a little wider at most). PostgreSQL refuses payloads of 8,000 bytes or more: a
 * payload over PAYLOAD_LIMIT_BYTES drops its range and its origin, announcing the whole dataset
 * from an unknown origin instead (with node ids of at most 256 characters and the default origin
 * this never happens in practice, but it stays correct).
 */
import type { PoolClient } from 'pg';
import { InternalError } from '../../core/index.js';
import type { Clock, TimeRange } from '../../core/index.js';
import type { DatasetKey, StorageChange, StorageChangeKind } from '../../storage/index.js';

/** The channel every Seamless process on one database notifies and listens on. */
export const CHANGE_CHANNEL = 'seamless_bar_changes';
/** PostgreSQL's payload limit is "shorter than 8000 bytes". */
export const PAYLOAD_LIMIT_BYTES = 7_999;
const FORMAT = 1;
const KIND_CODES: Readonly<Record<StorageChangeKind, string>> = { write: 'w', purge: 'p' };

/** Announces this process's changes: its origin id and its sequence. */
export interface ChangeNotifier {
  readonly origin: string;
  /** Sends the NOTIFY on `client`, inside the caller's transaction. */
  notify(client: PoolClient, kind: StorageChangeKind, dataset: DatasetKey, range: TimeRange | undefined): Promise<void>;
}

/** The notifier of a hot standby's bar store: it only reads (postgres-replica.ts), so it never announces. */
export const READ_ONLY_NOTIFIER: ChangeNotifier = Object.freeze({
  origin: 'standby',
  notify: () => Promise.reject(new InternalError('a bar store on a hot standby only reads; writes go to the primary')),
});

export function createChangeNotifier(origin: string, clock: Clock): ChangeNotifier {
  let seq = 0;
  return {
    origin,
    async notify(client, kind, dataset, range) {
      seq += 1;
      const payload = encodeChange({ kind, dataset, range, origin, seq, committedAt: clock.now() });
      await client.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, payload]);
    },
  };
}

export function encodeChange(change: StorageChange): string {
  const { dataset, range } = change;
  const encode = (r: TimeRange | undefined, origin: string): string => JSON.stringify([
    FORMAT, KIND_CODES[change.kind], dataset.nodeId, dataset.intervalMs, r?.start ?? null, r?.end ?? null, origin, change.seq, change.committedAt,
  ]);
  const payload = encode(range, change.origin);
  // Too long for NOTIFY: "drop all of the dataset", origin unknown (every process applies it, the
  // writer too: one invalidation more, never one missed). A node id is at most 256 characters.
  return Buffer.byteLength(payload, 'utf8') <= PAYLOAD_LIMIT_BYTES ? payload : encode(undefined, '');
}

/** The change a payload describes, or undefined when it is not one this version can read. */
export function decodeChange(payload: string): StorageChange | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    // Not JSON: not ours to read (the caller resyncs); the parse error itself says nothing more.
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 9 || parsed[0] !== FORMAT) return undefined;
  const [, code, nodeId, intervalMs, start, end, origin, seq, committedAt] = parsed as unknown[];
  const kind = code === 'w' ? 'write' : code === 'p' ? 'purge' : undefined;
  if (kind === undefined || typeof nodeId !== 'string' || !isFiniteNumber(intervalMs) || typeof origin !== 'string'
    || !isFiniteNumber(seq) || !isFiniteNumber(committedAt)) return undefined;
  let range: TimeRange | undefined;
  if (isFiniteNumber(start) && isFiniteNumber(end)) range = { start, end };
  else if (start !== null || end !== null) return undefined;
  return { kind, dataset: { nodeId, intervalMs }, range, origin, seq, committedAt };
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
