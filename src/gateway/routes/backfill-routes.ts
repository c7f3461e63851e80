/**
 * POST /v1/backfills (scope `backfill`) starts a job; GET /v1/backfills[/:id] shows progress.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidRequestError, NotFoundError } from '../../core/index.js';
import type { JobStatus, ShardPriority } from '../../backfill/index.js';
import type { SeamlessApi as Seamless } from '../seamless-api.js';
import { validateNodeId } from '../../provider/index.js';
import { callerName } from '../auth.js';

const BODY_FIELDS = ['node', 'interval', 'start', 'end'] as const;
/** Optional: `priority` (`read` | `background`, default `background`), set by a gateway whose read waits on the job. */
const OPTIONAL_FIELDS = ['priority'] as const;
const PRIORITIES: readonly ShardPriority[] = ['read', 'background'];
const ALL_FIELDS: readonly string[] = [...BODY_FIELDS, ...OPTIONAL_FIELDS];

export function backfillRoutes(app: FastifyInstance, seamless: Seamless): void {
  app.post('/v1/backfills', { config: { scope: 'backfill' } }, (request, reply) => startJob(seamless, request, reply));

  app.get('/v1/backfills', { config: { scope: 'read' } }, async () => ({ jobs: seamless.backfillJobs().map(jobBody) }));

  app.get('/v1/backfills/:id', { config: { scope: 'read' } }, async (request) => {
    const { id } = request.params as { id: string };
    const job = seamless.backfillJob(id);
    if (!job) throw new NotFoundError('backfill job', id, { field: 'id' });
    return { job: { ...jobBody(job), shardList: job.shardList } };
  });
}

/** The JSON of a job's progress (also answered by /v1/jobs). */
export function jobBody(s: JobStatus): Record<string, unknown> {
  return {
    id: s.id,
    node: s.nodeId,
    intervalMs: s.intervalMs,
    state: s.state,
    shards: s.shards,
    totalShards: s.totalShards,
    completionRatio: s.completionRatio,
    rowsWritten: s.rowsWritten,
    errors: s.errors,
    createdAt: s.createdAt,
    finishedAt: s.finishedAt ?? null,
  };
}

/**
 * `{node, interval, start, end, priority?}` → 202 `{job}`: the body checked field by field (unknown or
 * missing fields named), then the job started. POST /v1/backfills and the coordinator's
 * POST /v1/jobs both answer with it.
 */
export async function startJob(seamless: Seamless, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const body = request.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body) || body instanceof Uint8Array) {
    throw new InvalidRequestError('body', `must be a JSON object {${BODY_FIELDS.join(', ')}}`);
  }
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) {
    if (!ALL_FIELDS.includes(key)) throw new InvalidRequestError(key, `unknown field; expected ${ALL_FIELDS.join(', ')}`);
  }
  for (const f of BODY_FIELDS) {
    const v = b[f];
    if (v === undefined || v === null || v === '') throw new InvalidRequestError(f, 'is required');
    if (typeof v !== 'string' && typeof v !== 'number') throw new InvalidRequestError(f, 'must be a string or a number');
  }
  const priority = PRIORITIES.find((p) => p === b.priority);
  if (b.priority !== undefined && priority === undefined) throw new InvalidRequestError('priority', `must be one of ${PRIORITIES.join(', ')}`);
  const status = await seamless.backfill({
    nodeId: validateNodeId(b.node, 'node'), interval: b.interval as string | number, start: b.start as string | number, end: b.end as string | number,
    requestedBy: callerName(request), priority,
  });
  return reply.code(202).send({ job: jobBody(status) });
}
