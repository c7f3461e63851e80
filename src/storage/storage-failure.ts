/**
 * The health of an embedded database: the failure that put it out of service (with its reason
 * and time), and what the start found in the write-ahead log. Engines record a failure at their
 * one error-translation place; health, readiness and backfill read it from here.
 */
import type { ErrorReason } from '../core/index.js';

/**
 * - `storage_invalidated`: DuckDB hit a fatal error (typically a checkpoint on a full disk) and
 *   refuses every further statement until the process restarts.
 * - `storage_corrupt`: a block of the file fails its checksum; reads of it fail until restored.
 * - `storage_disk_full`, `storage_read_only`: writes fail on the file system; cleared by the
 *   next write that commits (space freed, file system writable again).
 */
export type StorageFailureReason = Extract<ErrorReason<'internal'>, 'storage_invalidated' | 'storage_corrupt' | 'storage_disk_full' | 'storage_read_only'>;

export interface StorageFailure {
  readonly reason: StorageFailureReason;
  /** What failed, in the engine's words, with the operation (and dataset/range for reads). */
  readonly message: string;
  /** Epoch ms of the first failure of this kind. */
  readonly since: number;
  /** Only a restart (after repair) clears it; otherwise the next committed write does. */
  readonly sticky: boolean;
  /** The operations (with the dataset and range for reads) that failed this way, first 10. */
  readonly affected: readonly string[];
}

/** What the start found in the write-ahead log left by an unclean stop (undefined: none). */
export interface WalFinding {
  readonly bytes: number;
  readonly entries: number;
  /** Byte offset where the log stops being whole, when it is torn (committed writes after it are lost). */
  readonly tornAt: number | undefined;
  /** One line for the log and for health. */
  readonly message: string;
}
