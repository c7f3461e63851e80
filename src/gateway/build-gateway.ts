/**
 * Builds the HTTP gateway (not listening yet; tests drive it with `inject()`). Each feature is
 * a plugin-like function receiving only the parts of the `Seamless` façade it uses (picked here)
 * and declaring its inputs as zod schemas (route-schemas.ts).
 */
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { NotFoundError } from '../core/index.js';
import { LOGGER_NAMES } from '../observability/index.js';
import type { SeamlessApi as Seamless } from './seamless-api.js';
import { createKeyVerifier } from './api-keys.js';
import { registerAuth, callerName } from './auth.js';
import { sendError } from './error-reply.js';
import { clientErrorHandler, connectionOptions, frameworkErrorHandler, limitConnections } from './connection-limits.js';
import { registerJsonBody } from './json-body.js';
import { backfillRoutes, jobRoutes } from './routes/backfill-routes.js';
import { barsRoutes } from './routes/bars-route.js';
import { estimateRoute } from './routes/estimate-route.js';
import { universeRoutes } from './routes/universe-route.js';
import { datasetRoutes } from './routes/dataset-routes.js';
import { eventsRoute } from './routes/events-route.js';
import { healthRoutes } from './routes/health-routes.js';
import { leaseRoutes } from './routes/lease-routes.js';
import { upstreamRoutes } from './routes/upstream-routes.js';
import { reportRoutes } from './routes/report-routes.js';
import { registryRoutes } from './routes/registry/index.js';
import { repairRoutes } from './routes/repair-routes.js';
import { snapshotRoutes } from './routes/snapshot-routes.js';
import { dashboardRoutes } from './routes/dashboard-routes.js';
import { slaRoute } from './routes/sla-route.js';
import { createDashboardFiles } from './dashboard-files.js';
import { streamRoutes } from './routes/stream-routes.js';
import { registerWebSockets } from './websockets.js';

export interface GatewayDeps {
  readonly seamless: Seamless;
  /** The built dashboard page served at `/` (default: the package's web/dist). */
  readonly dashboardDir?: string;
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
    // Timeouts, keep-alive and the connection limit of `server.*` (see connection-limits.ts).
    ...connectionOptions(seamless.config.server),
    clientErrorHandler: clientErrorHandler(seamless.config.server, log as FastifyBaseLogger),
    frameworkErrors: frameworkErrorHandler(seamless.config.server),
  });
  limitConnections(app.server, seamless.config.server, log as FastifyBaseLogger);
  registerJsonBody(app);
  let ready = false;
  // Closing: answers still in flight end their connection, so a close never waits out a keep-alive.
  let closing = false;
  app.addHook('preClose', (done) => { closing = true; done(); });
  app.addHook('onSend', async (_request, reply, payload) => {
    // A caller without a valid key loses its connection with the answer: a slow body is not read on.
    if (closing || reply.statusCode === 401) reply.header('connection', 'close');
    return payload;
  });
  const requests = seamless.metrics.requestsTotal;
  const durations = seamless.metrics.requestDuration;

  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) => sendError(new NotFoundError('route', `${request.method} ${capped(request.url.split('?')[0] ?? '')}`), request, reply));
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ route, status: String(reply.statusCode) });
    durations.observe({ route }, reply.elapsedTime / 1000);
    if (route !== '/metrics' && route !== '/healthz' && route !== '/readyz') {
      request.log.info({ caller: callerName(request), method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
    }
  });
  await registerWebSockets(app);
  registerAuth(app, createKeyVerifier(seamless.config.auth.keys));
  healthRoutes(app, seamless, () => ready);
  datasetRoutes(app, seamless);
  barsRoutes(app, seamless);
  estimateRoute(app, seamless);
  universeRoutes(app, seamless);
  backfillRoutes(app, seamless);
  if (seamless.leaseAuthority) {
    leaseRoutes(app, seamless.leaseAuthority);
    jobRoutes(app, seamless);
    upstreamRoutes(app, seamless.upstreams);
  }
  eventsRoute(app, seamless.events);
  reportRoutes(app, seamless);
  registryRoutes(app, seamless);
  repairRoutes(app, seamless);
  snapshotRoutes(app, seamless);
  slaRoute(app, seamless);
  dashboardRoutes(app, createDashboardFiles(deps.dashboardDir));
  if (seamless.stream) streamRoutes(app, { config: seamless.config, stream: seamless.stream });
  await app.ready();
  return { app, markReady: () => { ready = true; } };
}

/** An echoed path, cut to 200 characters: error messages never echo unbounded input. */
function capped(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
