/**
 * The lease authority's HTTP API, registered when the distributed coordinator runs: scope
 * `worker` for leases, shards and uploads, `backfill` for `/v1/jobs` (asking for work is not
 * doing it). The lease endpoints keep the original design's wire protocol, snake_case:
 *
 *   POST /v1/leases/claim      {key, lease_ms, worker?} → {lease: {key, token, lease_until_ms}, completion_ratio}
 *                              | 409 {holder, lease_until_ms, state} (held, done or backing off)
 *   POST /v1/leases/heartbeat  {key, token, lease_ms}   → {lease_until_ms} | 409 stale (+ `current`, `holder`)
 *   POST /v1/leases/complete   {key, token, rows_written?, state?, evidence?} → {completion_ratio} | 409 stale
 *                              (state known_empty needs evidence {source, start, end, checked_at_ms})
 *   POST /v1/leases/fail       {key, token, reason, retryable?} → {completion_ratio} | 409 stale
 *   GET  /v1/leases/inspect?key=  → the shard's lease record (with `known_empty`: the provenance of a known-empty shard) | 404
 *   POST /v1/jobs {node, interval, start, end} → 202 {job} · GET /v1/jobs/:id (as /v1/backfills/:id;
 *                              backfill-routes.ts `jobRoutes`, registered beside these)
 *   POST /v1/shards/next       {worker, lease_ms?, wait_ms?} → {shard, lease, trace?} | 204 (long-poll)
 *   POST /v1/shards/rows?key=&token=  Arrow IPC upload (shard-upload-codec.ts) → {rows_written}
 *                              (checked against the shard: range, grid, schema; backfill/upload-checks.ts)
 *
 * One encapsulated plugin: the Arrow body parser (with its large body limit) exists in this
 * scope only. Errors keep the gateway's shape; a stale lease or fencing token is a 409.
 * Tokens are answered as JSON numbers and taken back as numbers or as the strings a client kept
 * ("1"); a token that denotes no current grant ("abc", "1.5", an old grant) is stale, never a 400.
 * Bodies are zod schemas (route-schemas.ts); their fields are listed in the order a refusal
 * reports them, and every refusal names the field.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { InvalidRequestError, NotFoundError } from '../../core/index.js';
import type { ErrorReason } from '../../core/index.js';
import {
  DEFAULT_LEASE_MS, SHARD_UPLOAD_CONTENT_TYPE, StaleLeaseError, decodeShardUpload,
} from '../../backfill/index.js';
import type { LeaseAuthority, KnownEmptyEvidence, KnownEmptyProvenance, LeaseTokenInput, ShardRecord } from '../../backfill/index.js';
import { callerName } from '../auth.js';
import { bodyObject, integerField, requiredQuery, stringField, typedRoutes } from '../route-schemas.js';

/** Largest shard upload accepted (rows of one shard plus coverage). */
export const MAX_SHARD_UPLOAD_BYTES = 256 * 1024 * 1024;
export const DEFAULT_NEXT_SHARD_WAIT_MS = 20_000;
export const MAX_NEXT_SHARD_WAIT_MS = 60_000;
const MAX_KEY_LENGTH = 1024;
const MAX_REASON_LENGTH = 4096;
const SOURCE_REQUIRED = 'is required: the name of the source that answered (1-256 characters), e.g. binance';

const LeaseQuery = z.object({ key: requiredQuery('key', '["shard",…]') });
const UploadQuery = z.object({ key: requiredQuery('key', '["shard",…]'), token: requiredQuery('token', '1') });

/** A JSON body object of `shape`; an Arrow upload sent to a JSON route is refused as `body`, not read as an object. */
function jsonBody<S extends z.ZodRawShape>(shape: S): z.ZodPreprocess<z.ZodObject<S, z.core.$strict>> {
  return z.preprocess((value) => (value instanceof Uint8Array ? null : value), bodyObject(shape));
}

const key = stringField(MAX_KEY_LENGTH, 'is required');
/**
 * The token as the client sent it: the JSON number it was given, or the string it kept. Which
 * grant it denotes (if any) is the service's to decide: one that denotes none is a stale claim
 * (409 with the holder), not a bad request. Only a missing token or one of another JSON type is.
 */
const token = z.custom<LeaseTokenInput>((v) => typeof v === 'number' || typeof v === 'string', {
  error: (issue) => (issue.input === undefined || issue.input === null
    ? 'is required (the token of your lease, as the claim answered it)'
    : `must be the token of your lease as a number or a string, got ${Array.isArray(issue.input) ? 'an array' : typeof issue.input}`),
});
const COMPLETE_STATES = ['completed', 'known_empty'] as const;
const completeState = z.enum(COMPLETE_STATES, {
  error: (issue) => (typeof issue.input === 'string' && issue.input !== '' ? `must be completed or known_empty, got "${issue.input}"` : 'must be a non-empty string'),
});
const epochMs = z.int({ error: 'must be an integer epoch ms' });
/** The `evidence` of a known-empty completion, snake_case on the wire. */
const Evidence = bodyObject({
  source: z.string({ error: SOURCE_REQUIRED }).min(1, { error: SOURCE_REQUIRED }).max(256, { error: SOURCE_REQUIRED }),
  start: epochMs,
  end: epochMs,
  checked_at_ms: epochMs,
});

const ClaimBody = jsonBody({ key, worker: stringField(256), lease_ms: integerField() });
const HeartbeatBody = jsonBody({ key, token, lease_ms: integerField() });
const CompleteBody = jsonBody({
  state: completeState.optional(), rows_written: integerField(0).optional(), evidence: Evidence.optional(), key, token,
});
const FailBody = jsonBody({
  reason: stringField(MAX_REASON_LENGTH, 'is required (why the attempt failed)'),
  retryable: z.boolean({ error: 'must be true or false' }).optional(),
  key,
  token,
});
const NextShardBody = jsonBody({
  worker: stringField(256, 'is required (the worker\'s name, held in the lease)'),
  lease_ms: integerField().optional(),
  wait_ms: integerField(0, MAX_NEXT_SHARD_WAIT_MS).optional(),
});

export function leaseRoutes(app: FastifyInstance, service: LeaseAuthority): void {
  typedRoutes(app, (scope) => {
    scope.addContentTypeParser(SHARD_UPLOAD_CONTENT_TYPE, { parseAs: 'buffer', bodyLimit: MAX_SHARD_UPLOAD_BYTES }, (_request, body, done) => {
      done(null, body);
    });
    // Long-polls waiting for a shard: aborted when the gateway closes, or closing would wait them out.
    const polls = new Set<AbortController>();
    scope.addHook('preClose', async () => {
      for (const poll of polls) poll.abort();
    });
    const config = { config: { scope: 'worker' as const } };

    scope.post('/v1/leases/claim', { ...config, schema: { body: ClaimBody } }, async (request, reply) => {
      const { key, lease_ms: leaseMs } = request.body;
      const worker = request.body.worker ?? callerName(request);
      const outcome = await service.claim(key, worker, leaseMs);
      if (outcome.granted) {
        const { lease } = outcome;
        return { lease: { key: lease.key, token: lease.token, lease_until_ms: lease.leaseUntil }, completion_ratio: outcome.completionRatio };
      }
      const message = outcome.state === 'leased'
        ? `lease ${key} is held by ${outcome.holder ?? 'another worker'} until ${outcome.leaseUntil ?? 'unknown'}`
        : `lease ${key} cannot be claimed now (state ${outcome.state})`;
      return reply.code(409).send({
        error: { code: 'conflict', message, details: { key, holder: outcome.holder, lease_until_ms: outcome.leaseUntil, state: outcome.state, reason: 'lease_held' satisfies ErrorReason } },
        holder: outcome.holder, lease_until_ms: outcome.leaseUntil, state: outcome.state,
      });
    });

    scope.post('/v1/leases/heartbeat', { ...config, schema: { body: HeartbeatBody } }, async (request, reply) => {
      const b = request.body;
      return orStale(reply, async () => {
        const r = await service.heartbeat(b.key, b.token, b.lease_ms);
        return { lease_until_ms: r.leaseUntil };
      });
    });

    scope.post('/v1/leases/complete', { ...config, schema: { body: CompleteBody } }, async (request, reply) => {
      const b = request.body;
      const state = b.state ?? 'completed';
      const rowsWritten = b.rows_written ?? 0;
      const e = b.evidence;
      if (e !== undefined && state !== 'known_empty') throw new InvalidRequestError('evidence', 'is only for state known_empty');
      const evidence: KnownEmptyEvidence | undefined = e === undefined ? undefined : { source: e.source, start: e.start, end: e.end, checkedAt: e.checked_at_ms };
      return orStale(reply, async () => {
        const r = await service.complete(b.key, b.token, { rowsWritten, state, ...(evidence ? { evidence } : {}) });
        return { completion_ratio: r.completionRatio };
      });
    });

    scope.post('/v1/leases/fail', { ...config, schema: { body: FailBody } }, async (request, reply) => {
      const b = request.body;
      const retryable = b.retryable !== false;
      return orStale(reply, async () => {
        const r = await service.fail(b.key, b.token, b.reason, retryable);
        return { completion_ratio: r.completionRatio };
      });
    });

    scope.get('/v1/leases/inspect', { ...config, schema: { querystring: LeaseQuery } }, async (request) => {
      const { key } = request.query;
      const shard = await service.inspect(key);
      if (shard === undefined) throw new NotFoundError('lease', key, { field: 'key' });
      return inspectBody(shard);
    });

    scope.post('/v1/shards/next', { ...config, schema: { body: NextShardBody } }, async (request, reply) => {
      const { worker } = request.body;
      const leaseMs = request.body.lease_ms ?? DEFAULT_LEASE_MS;
      const waitMs = request.body.wait_ms ?? DEFAULT_NEXT_SHARD_WAIT_MS;
      const poll = new AbortController();
      polls.add(poll);
      // A worker that hangs up stops waiting; a shard granted after that expires and is re-queued.
      const onClose = (): void => { if (!reply.raw.writableFinished) poll.abort(); };
      reply.raw.on('close', onClose);
      try {
        const grant = await service.nextShard(worker, leaseMs, waitMs, poll.signal);
        if (grant === undefined) return reply.code(204).send();
        const { shard } = grant;
        return {
          shard: { key: shard.key, node: shard.nodeId, interval_ms: shard.intervalMs, start: shard.start, end: shard.end },
          lease: { key: grant.key, token: grant.token, lease_until_ms: grant.leaseUntil },
          ...(grant.trace ? { trace: { job: grant.trace.jobId, traceparent: grant.trace.traceparent } } : {}),
        };
      } finally {
        polls.delete(poll);
        reply.raw.off('close', onClose);
      }
    });

    scope.post('/v1/shards/rows', { ...config, schema: { querystring: UploadQuery } }, async (request) => {
      const { key, token: tokenText } = request.query;
      if (!(request.body instanceof Uint8Array)) {
        throw new InvalidRequestError('body', `must be an Arrow IPC stream sent as ${SHARD_UPLOAD_CONTENT_TYPE}`);
      }
      const upload = decodeShardUpload(request.body);
      const shard = await service.inspect(key);
      if (shard === undefined) throw new NotFoundError('lease', key, { field: 'key' });
      // The upload's range, grid, schema and findings are checked against the shard by the service.
      const report = await service.writeShard(key, tokenText, upload);
      return { rows_written: report.rowsWritten };
    });
  });
}

/** The answer of `fn`, or a 409 carrying the lease's current token when the caller's is stale. */
async function orStale(reply: FastifyReply, fn: () => Promise<Record<string, unknown>>): Promise<unknown> {
  try {
    return await fn();
  } catch (error) {
    if (!(error instanceof StaleLeaseError)) throw error;
    return reply.code(409).type('application/json').send({
      ...error.toBody(), current: error.current, state: error.state, holder: error.holder, lease_until_ms: error.leaseUntil,
    });
  }
}

function inspectBody(s: ShardRecord): Record<string, unknown> {
  return {
    key: s.key, state: s.state, holder: s.holder, token: s.token, lease_until_ms: s.leaseUntil, attempts: s.attempts,
    last_error: s.lastError, node: s.nodeId === '' ? null : s.nodeId, interval_ms: s.intervalMs === 0 ? null : s.intervalMs,
    start: s.nodeId === '' ? null : s.start, end: s.nodeId === '' ? null : s.end, rows_written: s.rowsWritten,
    known_empty: knownEmptyBody(s.knownEmpty),
  };
}

/** A known-empty decision's provenance, snake_case like the evidence it was given; null when the shard has none. */
function knownEmptyBody(p: KnownEmptyProvenance | null): Record<string, unknown> | null {
  if (p === null) return null;
  return { source: p.source, worker: p.worker, start: p.start, end: p.end, checked_at_ms: p.checkedAt, decided_at_ms: p.decidedAt };
}
