/**
 * Listens: builds the gateway and binds it. Without API keys the gateway refuses any address
 * but loopback, so an unauthenticated data plane is never exposed by accident. A coordinator
 * warns at start-up about keys that look like workers' from before the `worker` scope.
 */
import { isIP } from 'node:net';
import { InvalidRequestError } from '../core/index.js';
import type { SeamlessApi as Seamless } from './seamless-api.js';
import { legacyWorkerKeyWarnings } from './api-keys.js';
import { trackSilentSockets } from './graceful-close.js';
import type { Gateway } from './build-gateway.js';

export interface ServeOptions {
  readonly seamless: Seamless;
  readonly host?: string;
  readonly port?: number;
}

export interface RunningGateway extends Gateway {
  /** e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1' || host === '[::1]') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

export async function serveGateway(options: ServeOptions): Promise<RunningGateway> {
  const { seamless } = options;
  const host = options.host ?? seamless.config.server.host;
  const port = options.port ?? seamless.config.server.port;
  if (seamless.config.auth.keys.length === 0 && !isLoopbackHost(host)) {
    throw new InvalidRequestError('server.host', `refusing to listen on ${host} without API keys; create one with "seamless keys create NAME --scope read" or bind 127.0.0.1`);
  }
  if (seamless.leaseAuthority) {
    for (const warning of legacyWorkerKeyWarnings(seamless.config.auth.keys)) seamless.logger.warn({ field: 'auth.keys' }, warning);
  }
  // fastify and the routes load here, when a gateway starts: a process that only imports this
  // folder (the CLI's `keys`, `stream`) does not pay for them (about 0.2 s of CPU).
  const { buildGateway } = await import('./build-gateway.js');
  const gateway = await buildGateway({ seamless });
  const shutdown = trackSilentSockets(gateway.app.server, seamless.config.server.shutdownGraceMs);
  await gateway.app.listen({ host, port });
  const address = gateway.app.server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  gateway.markReady();
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    ...gateway,
    url: `http://${shownHost}:${boundPort}`,
    port: boundPort,
    close: () => shutdown.close(() => gateway.app.close()),
  };
}
