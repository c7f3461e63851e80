/**
 * GET /healthz (storage, coordinator… answer), GET /readyz (started and migrated), GET /metrics.
 * All three are open (no key), as probes and Prometheus scrapers expect.
 */
import type { FastifyInstance } from 'fastify';
import type { Seamless } from '../../provider/index.js';

export function healthRoutes(app: FastifyInstance, seamless: Seamless, isReady: () => boolean): void {
  app.get('/healthz', async (_request, reply) => {
    const checks = await seamless.health();
    const failing = Object.entries(checks).filter(([, c]) => !c.ok).map(([name]) => name);
    return reply.code(failing.length === 0 ? 200 : 503).send({ status: failing.length === 0 ? 'ok' : 'failing', checks, ...(failing.length ? { failing } : {}) });
  });

  app.get('/readyz', async (_request, reply) => {
    const ready = isReady();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'starting' });
  });

  app.get('/metrics', async (_request, reply) => {
    const registry = seamless.metrics.registry;
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
