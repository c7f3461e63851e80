/**
 * The shard state machine of lease-store.ts as pure functions over ShardRecord. Every LeaseStore
 * (memory, DuckDB, etcd) reads the record inside its one atomic step, applies one of these and
 * writes the result back, so no two stores can disagree on a transition, a token or an order.
 *
 * Decisions every store shares:
 * - A lease is expired when `leaseUntil <= now`.
 * - Tokens grow by one per grant of a shard (`token + 1`), so they are strictly increasing per
 *   shard and survive every transition (requeue and re-ensure keep the last token).
 * - Claiming a `failed` shard answers `done` (nothing to do until a job re-ensures it); a
 *   `known_empty` one too, until a job re-ensures it KNOWN_EMPTY_RECHECK_MS after it was decided.
 * - heartbeat / complete / fail need `state === 'leased'` and `token` equal to the current grant;
 *   an unknown key is stale too (current token 0, state `unknown`).
 * - Claim order (`compareClaimOrder`): `read` priority before `background`, then `rank`
 *   ascending (the k-th shard of every job before any job's (k+1)-th, so jobs progress in step
 *   and a new job never waits behind an old one), then `updatedAt` ascending (the shard that
 *   waited longest since its last change first), then `start` ascending, then `key` (code-unit order).
 * - Job order (`jobs()`): `createdAt` descending, then creation order descending.
 */
import { InternalError, isCalendarSource } from '../core/index.js';
import { StaleLeaseError } from './errors.js';
import type { ClaimResult, KnownEmptyProvenance, ShardRecord, ShardResult, ShardSpec } from './lease-store.js';

/** A new `pending` shard with no grant yet (token 0, claimable at once). */
export function newShardRecord(spec: ShardSpec, now: number): ShardRecord {
  return Object.freeze({
    key: spec.key, nodeId: spec.nodeId, intervalMs: spec.intervalMs, start: spec.start, end: spec.end,
    priority: spec.priority ?? 'background', rank: spec.rank ?? 0, state: 'pending', holder: null, token: 0, leaseUntil: null, attempts: 0, notBefore: 0, lastError: null,
    rowsWritten: 0, updatedAt: now, knownEmpty: null,
  });
}

/**
 * How long a `known_empty` shard is taken as settled: a job that wants it after that re-checks it
 * with the upstream (a worker's known-empty word is re-checkable, never final).
 */
export const KNOWN_EMPTY_RECHECK_MS = 3_600_000;

/**
 * Opaque lease records: keys of the wire protocol (POST /v1/leases/claim) that no job created, so
 * they name no dataset (`nodeId` ''). Any worker-scoped client can create one, so they do not live
 * for ever: a record expires `graceMs` after its lease ended (`leaseUntil` while leased) or, once
 * released (completed, failed, pending again), `graceMs` after that change; expired records are
 * deleted (pruneOpaque, and by etcd itself through an etcd lease).
 */
/** Default grace of opaque records (`seamless.backfill.opaqueLeases.graceMs`). */
export const DEFAULT_OPAQUE_LEASE_GRACE_MS = 60_000;
/** Default bound of live opaque records (`seamless.backfill.opaqueLeases.maxKeys`). */
export const DEFAULT_OPAQUE_LEASE_MAX_KEYS = 10_000;

export function isOpaqueShard(shard: ShardRecord): boolean {
  return shard.nodeId === '';
}

/** When an opaque record expires (see isOpaqueShard). */
export function opaqueExpiresAt(shard: ShardRecord, graceMs: number): number {
  const from = shard.state === 'leased' && shard.leaseUntil !== null ? shard.leaseUntil : shard.updatedAt;
  return from + graceMs;
}

/** An opaque record past its expiry at `now`; false for every shard a job created. */
export function isOpaqueExpired(shard: ShardRecord, now: number, graceMs: number): boolean {
  return isOpaqueShard(shard) && opaqueExpiresAt(shard, graceMs) <= now;
}

/**
 * A new opaque record, pending, token 0 like every new record (the wire protocol's first grant is
 * 1). A key deleted after expiry and created again restarts its tokens: only a holder whose lease
 * ended more than the grace period ago can still carry an old one, and opaque keys fence no writes.
 */
export function newOpaqueRecord(key: string, now: number): ShardRecord {
  return newShardRecord({ key, nodeId: '', intervalMs: 0, start: 0, end: 0 }, now);
}

/**
 * `failed` → `pending` with attempts reset (a new job wants it), and an upstream's known-empty
 * word → `pending` when it was decided `recheckMs` or longer ago (asked again, the upstream is
 * queried again; the old decision's provenance is cleared, the next completion records its own):
 * a `known_empty` shard, or a `completed` one whose provenance says the upstream answered part of
 * it empty. A calendar's word (provenance `calendar:<name>`: the market was closed) is never
 * re-checked. Undefined when nothing changes.
 */
export function reopenShard(shard: ShardRecord, now: number, recheckMs = KNOWN_EMPTY_RECHECK_MS): ShardRecord | undefined {
  const upstreamWord = shard.state === 'known_empty'
    ? shard.knownEmpty === null || !isCalendarSource(shard.knownEmpty.source)
    : shard.state === 'completed' && shard.knownEmpty !== null && !isCalendarSource(shard.knownEmpty.source);
  const recheck = upstreamWord && now - shard.updatedAt >= recheckMs;
  if (shard.state !== 'failed' && !recheck) return undefined;
  return Object.freeze({ ...shard, state: 'pending', leaseUntil: null, attempts: 0, notBefore: 0, updatedAt: now, knownEmpty: null });
}

/**
 * An existing shard ensured again by `spec`: `failed` goes back to `pending` (reopenShard) and
 * takes the spec's priority and rank; an unfinished `background` shard wanted by a read becomes
 * `read` (keeping the smaller rank). Undefined when nothing changes.
 */
export function reensureShard(shard: ShardRecord, spec: ShardSpec, now: number, recheckMs = KNOWN_EMPTY_RECHECK_MS): ShardRecord | undefined {
  const reopened = reopenShard(shard, now, recheckMs);
  if (reopened !== undefined) return Object.freeze({ ...reopened, priority: spec.priority ?? 'background', rank: spec.rank ?? 0 });
  if (spec.priority !== 'read' || shard.priority === 'read') return undefined;
  if (shard.state !== 'pending' && shard.state !== 'leased') return undefined;
  return Object.freeze({ ...shard, priority: 'read', rank: Math.min(shard.rank, spec.rank ?? 0) });
}

/**
 * A shard whose range was purged (repair): `failed` with `reason`, not claimable, so no worker
 * re-fetches it on its own, and reopened (reopenShard) by the next job that wants it; its token
 * is raised by one, so a worker still holding the old grant is fenced off by the purge (which
 * writes this token to storage's fence), and the next grant is newer still. An unknown shard
 * is created so (token 1): a grant taken before the purge commits is then refused by the
 * purge's own fence check, never the reverse.
 */
export function purgedShard(shard: ShardRecord | undefined, spec: ShardSpec, reason: string, now: number): ShardRecord {
  const base = shard ?? newShardRecord(spec, now);
  return Object.freeze({
    ...base, state: 'failed', token: base.token + 1, leaseUntil: null, attempts: 0, notBefore: 0,
    lastError: reason, rowsWritten: 0, updatedAt: now, knownEmpty: null,
  });
}

export function isLeaseExpired(shard: ShardRecord, now: number): boolean {
  return shard.state === 'leased' && shard.leaseUntil !== null && shard.leaseUntil <= now;
}

/** Pending past its backoff, or leased with an expired lease. */
export function isClaimable(shard: ShardRecord, now: number): boolean {
  return (shard.state === 'pending' && shard.notBefore <= now) || isLeaseExpired(shard, now);
}

/** The claim decision; when granted, `result.shard` is the record to write. */
export function claimShard(shard: ShardRecord | undefined, holder: string, leaseMs: number, now: number): ClaimResult {
  if (shard === undefined) return { granted: false, shard: undefined, reason: 'unknown' };
  switch (shard.state) {
    case 'completed':
    case 'known_empty':
    case 'failed':
      return { granted: false, shard, reason: 'done' };
    case 'pending':
      if (shard.notBefore > now) return { granted: false, shard, reason: 'backoff' };
      return grant(shard, holder, leaseMs, now, false);
    case 'leased':
      if (!isLeaseExpired(shard, now)) return { granted: false, shard, reason: 'held' };
      return grant(shard, holder, leaseMs, now, true);
    default:
      return unreachable(shard.state);
  }
}

function grant(shard: ShardRecord, holder: string, leaseMs: number, now: number, stale: boolean): ClaimResult {
  const token = shard.token + 1;
  const leaseUntil = now + leaseMs;
  const next: ShardRecord = Object.freeze({ ...shard, state: 'leased', holder, token, leaseUntil, updatedAt: now });
  return { granted: true, shard: next, token, leaseUntil, stale, staleHolder: stale ? shard.holder : null };
}

/** Throws StaleLeaseError unless `token` is the current grant of a leased shard. */
export function assertCurrentLease(key: string, shard: ShardRecord | undefined, token: number): ShardRecord {
  if (shard === undefined) throw new StaleLeaseError(key, token, 0, 'unknown');
  if (shard.state !== 'leased' || shard.token !== token) throw new StaleLeaseError(key, token, shard.token, shard.state, shard.holder, shard.leaseUntil);
  return shard;
}

export function heartbeatShard(key: string, shard: ShardRecord | undefined, token: number, leaseMs: number, now: number): ShardRecord {
  const current = assertCurrentLease(key, shard, token);
  return Object.freeze({ ...current, leaseUntil: now + leaseMs, updatedAt: now });
}

export function completeShard(
  key: string,
  shard: ShardRecord | undefined,
  token: number,
  result: ShardResult,
  now: number,
): ShardRecord {
  const current = assertCurrentLease(key, shard, token);
  // The holder and the time come from the record and the store, not from the caller.
  // A completed shard keeps the evidence of what its upstream answered empty, so it is re-checked too.
  const e = result.evidence;
  const knownEmpty: KnownEmptyProvenance | null = e === undefined
    ? null
    : Object.freeze({ source: e.source, worker: current.holder, start: e.start, end: e.end, checkedAt: e.checkedAt, decidedAt: now });
  return Object.freeze({ ...current, state: result.state, leaseUntil: null, rowsWritten: result.rowsWritten, updatedAt: now, knownEmpty });
}

export function failShard(
  key: string,
  shard: ShardRecord | undefined,
  token: number,
  failure: { readonly reason: string; readonly final: boolean; readonly notBefore: number },
  now: number,
): ShardRecord {
  const current = assertCurrentLease(key, shard, token);
  return Object.freeze({
    ...current,
    state: failure.final ? 'failed' : 'pending',
    leaseUntil: null,
    attempts: current.attempts + 1,
    notBefore: failure.final ? current.notBefore : failure.notBefore,
    lastError: failure.reason,
    updatedAt: now,
  });
}

/** An expired lease back to `pending` (a stale claim); undefined unless leased and expired. */
export function requeueExpiredShard(shard: ShardRecord | undefined, now: number): ShardRecord | undefined {
  if (shard === undefined || !isLeaseExpired(shard, now)) return undefined;
  return Object.freeze({ ...shard, state: 'pending', leaseUntil: null, updatedAt: now });
}

/**
 * Which free slot takes which candidate (candidates in claim order): a `read` shard goes to a
 * reads-only slot first (keeping the others for background work), else to any slot; a
 * `background` shard only to a slot that is not reads-only. Each slot and shard at most once.
 */
export function assignClaims<S extends { readonly holder: string; readonly readsOnly: boolean }>(
  candidates: readonly ShardRecord[], slots: readonly S[],
): { readonly shard: ShardRecord; readonly slot: S }[] {
  const readSlots = slots.filter((s) => s.readsOnly);
  const anySlots = slots.filter((s) => !s.readsOnly);
  const out: { shard: ShardRecord; slot: S }[] = [];
  for (const shard of candidates) {
    const slot = shard.priority === 'read' ? (readSlots.shift() ?? anySlots.shift()) : anySlots.shift();
    if (slot !== undefined) out.push({ shard, slot });
    if (readSlots.length === 0 && anySlots.length === 0) break;
  }
  return out;
}

/** The claimable order: `updatedAt`, then `start`, then `key`. */
export function compareClaimOrder(a: ShardRecord, b: ShardRecord): number {
  if (a.priority !== b.priority) return a.priority === 'read' ? -1 : 1;
  if (a.rank !== b.rank) return a.rank - b.rank;
  if (a.updatedAt !== b.updatedAt) return a.updatedAt - b.updatedAt;
  if (a.start !== b.start) return a.start - b.start;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function unreachable(state: never): never {
  throw new InternalError(`unknown shard state ${String(state)}`);
}
