/**
 * `seamless health --prometheus` when the URL does not lead to a usable Prometheus. The answers of
 * a real Prometheus (series found, series missing) are tested in
 * test/integration/prometheus-scrape.test.ts.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusChecks } from '../../../src/cli/prometheus-checks.js';
import { freePort } from '../../harness/leftovers.js';

describe('prometheus checks', () => {
  let server: Server;
  let url = '';
  const paths: string[] = [];

  beforeAll(async () => {
    // Not a Prometheus: an HTML 404 for everything, and a Prometheus-shaped error for queries.
    server = createServer((req, res) => {
      paths.push(req.url ?? '');
      if (req.url?.startsWith('/prom/api/v1/status/buildinfo')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { version: '9.9.9' } }));
      } else if (req.url?.startsWith('/prom/api/v1/query')) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error' }));
      } else {
        res.writeHead(404, { 'content-type': 'text/html' }).end('<html>not here</html>');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('fails one prometheus check for something that is not an http URL', async () => {
    expect(await prometheusChecks('localhost:9090')).toEqual({ prometheus: { ok: false, detail: expect.stringContaining('is not an http(s) URL') as string } });
  });

  it('fails one prometheus check, naming the error, when nothing listens', async () => {
    const port = await freePort();
    const checks = await prometheusChecks(`http://127.0.0.1:${port}`);
    expect(Object.keys(checks)).toEqual(['prometheus']);
    expect(checks.prometheus).toEqual({ ok: false, detail: `cannot reach http://127.0.0.1:${port}: ECONNREFUSED` });
  });

  it('fails one prometheus check for a server that is not a Prometheus API', async () => {
    const checks = await prometheusChecks(url);
    expect(Object.keys(checks)).toEqual(['prometheus']);
    expect(checks.prometheus.ok).toBe(false);
    expect(checks.prometheus.detail).toMatch(/is not a Prometheus API: answered 404 without JSON/);
  });

  it('asks under a path prefix and fails each series whose query fails', async () => {
    const checks = await prometheusChecks(`${url}/prom`, ['seamless_requests_total']);
    expect(checks.prometheus).toEqual({ ok: true, detail: `${url} answers (Prometheus 9.9.9)` });
    expect(checks['prometheus:seamless_requests_total']).toEqual({ ok: false, detail: 'query for seamless_requests_total failed: parse error' });
    expect(paths).toContain(`/prom/api/v1/query?query=${encodeURIComponent('count by (job) (seamless_requests_total)')}`);
  });
});
