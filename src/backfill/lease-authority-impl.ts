/**
 * The lease authority over a LeaseStore, for remote workers and the HTTP lease API (the
 * original design's claim / heartbeat / complete / fail by key). Granting a lease also advances
 * storage's fence for the key, so the writes of the previous holder are refused from then on.
 * Workers are not trusted with more than their shard: uploads are checked against it
 * (upload-checks.ts) and a known-empty completion needs the upstream's evidence.
 */
import { InvalidRequestError, backoffDelay } from '../core/index.js';
import type { Clock, RetryPolicy } from '../core/index.js';
import type { BarStore } from '../storage/index.js';
import type { BackfillEvent, BackfillTarget } from './coordinator.js';
import type { ClaimOutcome, LeaseAuthority, LeaseGrant, ShardUpload } from './lease-authority.js';
import type { JobTracker } from './job-tracker.js';
import type { LeaseStore, OpaqueLeasePolicy, ShardRecord } from './lease-store.js';
import { StaleLeaseError } from './errors.js';
import { parseLeaseToken } from './lease-token.js';
import { assertCurrentLease, isOpaqueShard } from './shard-transitions.js';
import { checkKnownEmptyCompletion, checkShardUpload } from './upload-checks.js';
import type { LeaseTokenInput } from './lease-token.js';
import { shardTrace } from './shard-span.js';

export interface LeaseAuthorityDeps {
  readonly leases: LeaseStore;
  readonly store: BarStore;
  readonly tracker: JobTracker;
  readonly resolveTarget: (nodeId: string, intervalMs: number) => BackfillTarget | undefined;
  readonly maxAttempts: number;
  readonly retry: RetryPolicy;
  readonly clock: Clock;
  readonly emit: (event: BackfillEvent) => void;
  readonly record: (shard: ShardRecord) => void;
  readonly waitForChange: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** A grant that took over an expired lease (a stale claim). */
  readonly onStale: (shard: ShardRecord) => void;
  /** Ingest findings a remote worker's upload committed (for the read path's findings index). */
  readonly onFindings?: (findings: ShardUpload['findings']) => void;
  /** Bound and expiry of lease keys the coordinator did not create (the wire protocol's keys are opaque). */
  readonly opaqueLeases: OpaqueLeasePolicy;
}

export function createLeaseAuthority(d: LeaseAuthorityDeps): LeaseAuthority {
  const { leases, clock } = d;

  function ratioFor(shard: ShardRecord | undefined, key: string): number {
    const jobs = d.tracker.containing(key);
    if (jobs.length > 0) return jobs[jobs.length - 1].status().completionRatio;
    return shard && (shard.state === 'completed' || shard.state === 'known_empty') ? 1 : 0;
  }

  async function granted(shard: ShardRecord, token: number, leaseUntil: number, stale: boolean, staleHolder: string | null, worker: string): Promise<LeaseGrant> {
    // An opaque key fences no write (writeShard refuses it), so storage keeps no fence row for it.
    if (!isOpaqueShard(shard)) await d.store.advanceFence({ key: shard.key, token });
    d.record(shard);
    const now = clock.now();
    if (stale) d.onStale(shard);
    if (stale) d.emit({ type: 'expired', shard: shard.key, nodeId: shard.nodeId, intervalMs: shard.intervalMs, holder: staleHolder, token: token - 1, at: now });
    d.emit({ type: 'claimed', shard: shard.key, nodeId: shard.nodeId, intervalMs: shard.intervalMs, start: shard.start, end: shard.end, token, worker, at: now });
    const trace = shardTrace(d.tracker, shard.key);
    return { key: shard.key, token, leaseUntil, shard, ...(trace ? { trace } : {}) };
  }

  /** The grant `token` denotes; StaleLeaseError naming the holder when it can denote none. */
  async function grantToken(key: string, token: LeaseTokenInput): Promise<number> {
    const n = parseLeaseToken(token);
    if (n !== undefined) return n;
    const shard = await leases.shard(key);
    throw new StaleLeaseError(key, token, shard?.token ?? 0, shard?.state ?? 'unknown', shard?.holder ?? null, shard?.leaseUntil ?? null);
  }

  function checkLeaseMs(leaseMs: number): void {
    if (!Number.isInteger(leaseMs) || leaseMs < 1000 || leaseMs > 3_600_000) throw new InvalidRequestError('lease_ms', 'must be an integer from 1000 to 3600000 (milliseconds)');
  }

  return {
    async claim(key, worker, leaseMs): Promise<ClaimOutcome> {
      checkLeaseMs(leaseMs);
      let r = await leases.claim(key, worker, leaseMs, clock.now());
      if (!r.granted && r.reason === 'unknown') {
        await leases.ensureOpaque(key, clock.now(), d.opaqueLeases);
        r = await leases.claim(key, worker, leaseMs, clock.now());
      }
      if (r.granted) {
        const lease = await granted(r.shard, r.token, r.leaseUntil, r.stale, r.staleHolder, worker);
        return { granted: true, lease, completionRatio: ratioFor(r.shard, key) };
      }
      return { granted: false, holder: r.shard?.holder ?? null, leaseUntil: r.shard?.leaseUntil ?? null, state: r.shard?.state ?? 'unknown' };
    },

    async heartbeat(key, sent, leaseMs) {
      checkLeaseMs(leaseMs);
      const token = await grantToken(key, sent);
      const shard = await leases.heartbeat(key, token, leaseMs, clock.now());
      d.record(shard);
      d.emit({ type: 'heartbeat', shard: key, token, leaseUntil: shard.leaseUntil ?? 0, at: clock.now() });
      return { leaseUntil: shard.leaseUntil ?? 0 };
    },

    async complete(key, sent, result = { rowsWritten: 0, state: 'completed' }) {
      const token = await grantToken(key, sent);
      let evidence: ({ readonly worker: string | null } & NonNullable<typeof result.evidence>) | undefined;
      if (result.state === 'known_empty') {
        // A stale caller hears 409 (not a 400 about evidence it could never have had accepted).
        const current = assertCurrentLease(key, await leases.shard(key), token);
        evidence = { ...(await checkKnownEmptyCompletion(current, result, d.store)), worker: current.holder };
      }
      // The evidence is stored with the shard (its `knownEmpty`, with the holder as worker), so the decision stays traceable.
      const shard = await leases.complete(key, token, { rowsWritten: result.rowsWritten, state: result.state, ...(evidence ? { evidence } : {}) }, clock.now());
      d.emit({
        type: 'completed', shard: key, nodeId: shard.nodeId, intervalMs: shard.intervalMs, start: shard.start, end: shard.end,
        rowsWritten: result.rowsWritten, state: result.state, ...(evidence ? { evidence } : {}), at: clock.now(),
      });
      d.record(shard);
      return { completionRatio: ratioFor(shard, key) };
    },

    async fail(key, sent, reason, retryable) {
      const token = await grantToken(key, sent);
      const current = await leases.shard(key);
      const attempts = (current?.attempts ?? 0) + 1;
      const final = !retryable || attempts >= d.maxAttempts;
      const now = clock.now();
      const shard = await leases.fail(key, token, { reason, final, notBefore: now + backoffDelay(d.retry, attempts) }, now);
      d.emit({ type: 'failed', shard: key, nodeId: shard.nodeId, intervalMs: shard.intervalMs, attempts, reason, final, at: now });
      if (!final) d.emit({ type: 'requeued', shard: key, reason: 'retry', at: now });
      d.record(shard);
      return { completionRatio: ratioFor(shard, key) };
    },

    inspect: (key) => leases.shard(key),

    async nextShard(worker, leaseMs, waitMs, signal) {
      checkLeaseMs(leaseMs);
      const deadline = clock.now() + Math.max(0, waitMs);
      for (;;) {
        for (const candidate of await leases.claimable(clock.now(), 8)) {
          if (candidate.nodeId === '') continue; // opaque wire-protocol keys carry no work
          const r = await leases.claim(candidate.key, worker, leaseMs, clock.now());
          if (r.granted) return granted(r.shard, r.token, r.leaseUntil, r.stale, r.staleHolder, worker);
        }
        const left = deadline - clock.now();
        if (left <= 0 || signal?.aborted) return undefined;
        await d.waitForChange(Math.min(left, 1000), signal);
      }
    },

    async writeShard(key, sent, upload) {
      const token = await grantToken(key, sent);
      const shard = d.tracker.shard(key) ?? (await leases.shard(key));
      if (!shard || shard.nodeId === '') throw new InvalidRequestError('key', `no shard ${key} to write rows for`);
      const dataset = { nodeId: shard.nodeId, intervalMs: shard.intervalMs };
      const target = d.resolveTarget(shard.nodeId, shard.intervalMs);
      if (target === undefined) {
        throw new InvalidRequestError('key', `the coordinator has no source configured for ${shard.nodeId} at ${shard.intervalMs} ms, so it cannot check an upload for shard ${key} against the dataset's schema`);
      }
      checkShardUpload(shard, upload, target.schema);
      const report = await d.store.write({
        dataset, frame: upload.frame, coverage: upload.coverage, fence: { key, token }, source: 'backfill',
        ...(upload.findings.length > 0 ? { findings: upload.findings } : {}),
      }, target.schema);
      if (upload.findings.length > 0) d.onFindings?.(upload.findings);
      d.emit({ type: 'rows_written', shard: key, nodeId: shard.nodeId, intervalMs: shard.intervalMs, rows: report.rowsWritten, token, at: clock.now() });
      return report;
    },

    async health() {
      // A replicated store (etcd) also reports its quorum: members answering / all, and the leader.
      const [failure, quorum] = await Promise.all([
        leases.ping().then(() => undefined, (error: unknown) => (error instanceof Error ? error.message : String(error))),
        leases.quorum?.(),
      ]);
      const answers = failure === undefined ? `${leases.kind} lease store answers` : failure;
      return {
        ok: failure === undefined && (quorum?.ok ?? true), store: leases.kind,
        detail: quorum === undefined ? answers : `${answers}; ${quorum.detail}`,
      };
    },
  };
}

