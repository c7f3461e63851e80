/**
 * Builds the HTTP gateway (not listening yet; tests drive it with `inject()`). Each feature is
 * a plugin-like function receiving its dependencies explicitly.
 */
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { NotFoundError } from '../core/index.js';
import { LOGGER_NAMES } from '../observability/index.js';
import type { Seamless } from '../provider/index.js';
import { createKeyVerifier } from './api-keys.js';
import { registerAuth, callerName } from './auth.js';
import { sendError } from './error-reply.js';
import { registerJsonBodyParser } from './json-body.js';
import { backfillRoutes } from './routes/backfill-routes.js';
import { barsRoutes } from './routes/bars-route.js';
import { datasetRoutes } from './routes/dataset-routes.js';
import { eventsRoute } from './routes/events-route.js';
import { healthRoutes } from './routes/health-routes.js';
import { leaseRoutes } from './routes/lease-routes.js';
import { upstreamRoutes } from './routes/upstream-routes.js';
import { reportRoutes } from './routes/report-routes.js';
import { registryRoutes } from './routes/registry/index.js';

export interface GatewayDeps {
  readonly seamless: Seamless;
}

export interface Gateway {
  readonly app: FastifyInstance;
  /** Marks the gateway ready (/readyz answers 200). */
  markReady(): void;
}

export async function buildGateway(deps: GatewayDeps): Promise<Gateway> {
  const { seamless } = deps;
  const log = seamless.logger.child({ name: LOGGER_NAMES.gateway });
  const app: FastifyInstance = Fastify({ loggerInstance: log as FastifyBaseLogger,
    // One access line per request comes from the onResponse hook below (with the caller's identity).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    // On close, drop idle keep-alive connections at once, and let kept-alive sockets lapse after
    // 5 s (Node's default) instead of fastify's 72 s: a socket whose client went away mid-poll
    // otherwise holds a graceful close for over a minute.
    forceCloseConnections: 'idle',
    keepAliveTimeout: 5_000,
  });
  registerJsonBodyParser(app);
  let ready = false;
  const requests = seamless.metrics.requestsTotal;
  const durations = seamless.metrics.requestDuration;

  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) => sendError(new NotFoundError('route', `${request.method} ${request.url.split('?')[0]}`), request, reply));
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ route, status: String(reply.statusCode) });
    durations.observe({ route }, reply.elapsedTime / 1000);
    if (route !== '/metrics' && route !== '/healthz' && route !== '/readyz') {
      request.log.info({ caller: callerName(request), method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
    }
  });
  registerAuth(app, createKeyVerifier(seamless.config.auth.keys));
  healthRoutes(app, seamless, () => ready);
  datasetRoutes(app, seamless);
  barsRoutes(app, seamless);
  backfillRoutes(app, seamless);
  if (seamless.coordinatorService) leaseRoutes(app, seamless, seamless.coordinatorService);
  if (seamless.coordinatorService) upstreamRoutes(app, seamless.upstreams);
  eventsRoute(app, seamless.events);
  reportRoutes(app, seamless);
  registryRoutes(app, seamless);
  await app.ready();
  return { app, markReady: () => { ready = true; } };
}
