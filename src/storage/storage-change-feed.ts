/**
 * `StorageChangeFeed`: the port through which a process hears of bar writes that OTHER processes
 * committed to the storage it shares with them (docs/operations/cache-coherence.md). An engine
 * whose storage several processes share implements it (PostgreSQL: LISTEN/NOTIFY, the NOTIFY sent
 * inside the writing transaction); the embedded engine, one process only, has none.
 *
 * Events are a discriminated union on `type`:
 * - `changed`: one committed write or purge of `dataset` over `range` (no range: the whole dataset,
 *   when the change was too large to describe), by the process `origin`, the `seq`-th change that
 *   process sent, committed at about `committedAt` (epoch ms, the writer's clock);
 * - `resync`: changes may have been missed (the feed's connection was lost and is back): whatever
 *   a process cached from storage must be dropped whole.
 */
import type { TimeRange } from '../core/index.js';
import type { DatasetKey } from './bar-store.js';

export type StorageChangeKind = 'write' | 'purge';

export interface StorageChange {
  readonly kind: StorageChangeKind;
  readonly dataset: DatasetKey;
  /** The span the change touched; undefined: the whole dataset. */
  readonly range: TimeRange | undefined;
  /** The process that committed it (`StorageChangeFeed.origin` of that process). */
  readonly origin: string;
  /** Per origin, increasing (a rolled-back write uses a number too, so gaps are normal). */
  readonly seq: number;
  /** Epoch ms on the writer's clock just before its COMMIT. */
  readonly committedAt: number;
}

export type StorageChangeEvent =
  | { readonly type: 'changed'; readonly change: StorageChange }
  | { readonly type: 'resync'; readonly reason: string };

export interface StorageChangeFeedHealth {
  readonly ok: boolean;
  readonly detail: string;
}

export interface StorageChangeFeed {
  /** This process's own id as an origin: changes it committed itself carry it. */
  readonly origin: string;
  /** Listens to every event from now on; returns the unsubscribe. */
  subscribe(listener: (event: StorageChangeEvent) => void): () => void;
  /** Whether the feed is listening now (false while it reconnects). */
  health(): StorageChangeFeedHealth;
  /** Idempotent: stops listening and reconnecting. */
  close(): Promise<void>;
}
