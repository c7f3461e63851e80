/**
 * The dashboard page (docs/dashboard.md): `GET /` (and `/ui`, `/ui/`) answers web/dist/index.html,
 * `GET /ui/assets/<file>` its scripts and styles. Both are open (no key), like /healthz: the page
 * holds no data; every call it makes for data goes to the /v1 API with the key the user gives it.
 * Assets are cached for a year (their names carry their content hash), the page is revalidated
 * at every load. A page not built yet answers 404 saying how to build it.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { NotFoundError } from '../../core/index.js';
import { ASSET_CACHE_CONTROL, PAGE_CACHE_CONTROL } from '../dashboard-files.js';
import type { DashboardFiles } from '../dashboard-files.js';
import { typedRoutes } from '../route-schemas.js';

/**
 * What the page may load: its own scripts, styles and images, and calls to this gateway only
 * (no CDN, no external font). Inline style attributes are allowed: the chart library sets them.
 */
export const DASHBOARD_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

const AssetParams = z.object({ '*': z.string() });

export function dashboardRoutes(app: FastifyInstance, files: DashboardFiles): void {
  const page = async (_request: unknown, reply: FastifyReply): Promise<FastifyReply> => {
    const file = await files.page();
    if (file === undefined) {
      throw new NotFoundError('dashboard page', `${files.dir}index.html is not built: run \`npm run build:web\` (bin/seamless.js builds it when it starts a gateway)`);
    }
    return reply
      .header('content-type', file.contentType)
      .header('cache-control', PAGE_CACHE_CONTROL)
      .header('content-security-policy', DASHBOARD_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(file.body);
  };
  app.get('/', page);
  app.get('/ui', page);
  app.get('/ui/', page);
  typedRoutes(app, (scope) => {
    scope.get('/ui/assets/*', { schema: { params: AssetParams } }, async (request, reply) => {
      const name = request.params['*'];
      const file = await files.asset(name);
      if (file === undefined) throw new NotFoundError('dashboard asset', name.length > 200 ? `${name.slice(0, 200)}…` : name);
      return reply
        .header('content-type', file.contentType)
        .header('cache-control', ASSET_CACHE_CONTROL)
        .header('x-content-type-options', 'nosniff')
        .send(file.body);
    });
  });
}
