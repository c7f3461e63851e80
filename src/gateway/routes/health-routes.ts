/**
 * GET /healthz (storage, coordinator… answer), GET /readyz (started and migrated, and storage in
 * service: a storage failure answers 503 naming `storage`, its reason and since when, without
 * I/O), GET /metrics. All three are open (no key), as probes and Prometheus scrapers expect.
 */
import type { FastifyInstance } from 'fastify';
import type { SeamlessApi as Seamless } from '../seamless-api.js';

export function healthRoutes(app: FastifyInstance, seamless: Pick<Seamless, 'health' | 'storageFailure' | 'metrics'>, isReady: () => boolean): void {
  app.get('/healthz', async (_request, reply) => {
    const checks = await seamless.health();
    const failing = Object.entries(checks).filter(([, c]) => !c.ok).map(([name]) => name);
    return reply.code(failing.length === 0 ? 200 : 503).send({ status: failing.length === 0 ? 'ok' : 'failing', checks, ...(failing.length ? { failing } : {}) });
  });

  app.get('/readyz', async (_request, reply) => {
    if (!isReady()) return reply.code(503).send({ status: 'starting' });
    const failure = seamless.storageFailure();
    if (failure === undefined) return reply.code(200).send({ status: 'ready' });
    return reply.code(503).send({
      status: 'failing', failing: ['storage'],
      checks: { storage: { ok: false, reason: failure.reason, since: new Date(failure.since).toISOString(), detail: `${failure.reason}: ${failure.message}`, affected: failure.affected } },
    });
  });

  app.get('/metrics', async (_request, reply) => {
    const registry = seamless.metrics.registry;
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
