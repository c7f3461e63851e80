/**
 * POST /v1/backfills (scope `backfill`) starts a job; GET /v1/backfills[/:id] shows progress.
 * `jobRoutes` answers the same under `/v1/jobs` (scope `backfill`), registered with the
 * coordinator's lease API for `seamless worker`s and remote coordinators.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { NotFoundError } from '../../core/index.js';
import type { JobStatus, ShardPriority } from '../../backfill/index.js';
import type { SeamlessApi as Seamless } from '../seamless-api.js';
import { validateNodeId } from '../../provider/index.js';
import { callerName } from '../auth.js';
import { bodyObject, typedRoutes } from '../route-schemas.js';
import type { TypedApp } from '../route-schemas.js';

/** What the job routes use of the façade. */
export type JobDeps = Pick<Seamless, 'backfill' | 'backfillJob' | 'backfillJobs'>;

const PRIORITIES = ['read', 'background'] as const satisfies readonly ShardPriority[];

/** A required field given as a string or a number (a time, an interval: parsed by the job). */
const stringOrNumber = z.custom<string | number>((v) => (typeof v === 'string' && v !== '') || typeof v === 'number', {
  error: (issue) => (issue.input === undefined || issue.input === null || issue.input === '' ? 'is required' : 'must be a string or a number'),
});

/**
 * `{node, interval, start, end, priority?}`. `priority` (`read` | `background`, default
 * `background`) is set by a gateway whose read waits on the job. POST /v1/backfills/force takes
 * the same body (repair-routes.ts).
 */
export const JobRequest = bodyObject({
  node: stringOrNumber,
  interval: stringOrNumber,
  start: stringOrNumber,
  end: stringOrNumber,
  priority: z.enum(PRIORITIES, { error: `must be one of ${PRIORITIES.join(', ')}` }).optional(),
});
const JobParams = z.object({ id: z.string() });

export function backfillRoutes(app: FastifyInstance, seamless: JobDeps): void {
  typedRoutes(app, (scope) => {
    registerJobRoutes(scope, '/v1/backfills', seamless);
    scope.get('/v1/backfills', { config: { scope: 'read' } }, async () => ({ jobs: seamless.backfillJobs().map(jobBody) }));
  });
}

/** POST /v1/jobs and GET /v1/jobs/:id: the coordinator's job API, scope `backfill` (asking for work is not doing it). */
export function jobRoutes(app: FastifyInstance, seamless: Omit<JobDeps, 'backfillJobs'>): void {
  typedRoutes(app, (scope) => registerJobRoutes(scope, '/v1/jobs', seamless, 'backfill'));
}

/** POST `base` starts a job (scope `backfill`); GET `base`/:id shows it (scope `read`, or `readScope`). */
function registerJobRoutes(scope: TypedApp, base: string, seamless: Omit<JobDeps, 'backfillJobs'>, readScope: 'read' | 'backfill' = 'read'): void {
  scope.post(base, { config: { scope: 'backfill' }, schema: { body: JobRequest } }, (request, reply) => startJob(seamless, request, reply));

  scope.get(`${base}/:id`, { config: { scope: readScope }, schema: { params: JobParams } }, async (request) => {
    const { id } = request.params;
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

/** The checked `{node, interval, start, end, priority?}` → 202 `{job}`: the job started. */
async function startJob(seamless: Pick<Seamless, 'backfill'>, request: FastifyRequest<{ Body: z.output<typeof JobRequest> }>, reply: FastifyReply): Promise<FastifyReply> {
  const { node, interval, start, end, priority } = request.body;
  const status = await seamless.backfill({
    nodeId: validateNodeId(node, 'node'), interval, start, end, requestedBy: callerName(request), priority,
  });
  // A derived interval backfills its base bars: the job says so (src/provider/derived-interval.ts).
  return reply.code(202).send({ job: status.derivedFrom === undefined ? jobBody(status) : { ...jobBody(status), derivedFrom: status.derivedFrom } });
}
