/**
 * GET /v1/reports/{ref} answers for every form of a report reference the API hands out: the bare
 * id, the full `qmtl://…` URI URL-encoded as one path segment, and the URI pasted as is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoConfig } from '../../src/config/internal.js';
import { serveGateway } from '../../src/gateway/index.js';
import type { RunningGateway } from '../../src/gateway/index.js';
import { silentLogger } from '../../src/observability/index.js';
import { createSeamless } from '../../src/app/index.js';
import type { Seamless } from '../../src/app/index.js';
import { tempDir } from '../helpers/temp-dir.js';

const DEFECTS_4H = '/v1/bars?node=ohlcv:demo:DEFECTS&interval=1m&start=2024-03-01T00:00:00Z&end=2024-03-01T04:00:00Z&partial_ok=true';

interface ReportBody {
  report?: { id: string; uri: string; nodeId: string };
  error?: { code: string; message: string; details: Record<string, unknown> };
}

describe('GET /v1/reports/{ref}', () => {
  let seamless: Seamless;
  let gateway: RunningGateway;
  let remove: () => Promise<void>;
  let uri = '';
  let id = '';

  beforeAll(async () => {
    const dir = await tempDir();
    seamless = await createSeamless({ config: { ...demoConfig(), dataDir: dir.path }, env: {}, logger: silentLogger() });
    gateway = await serveGateway({ seamless, host: '127.0.0.1', port: 0 });
    remove = async () => { await gateway.close(); await seamless.close(); await dir.remove(); };
    const read = await (await fetch(`${gateway.url}${DEFECTS_4H}`)).json() as { metadata: { conformance: { reportUri: string } } };
    uri = read.metadata.conformance.reportUri;
    id = uri.slice(uri.lastIndexOf('/') + 1);
  });
  afterAll(async () => { await remove?.(); });

  const get = async (path: string): Promise<{ status: number; body: ReportBody }> => {
    const res = await fetch(`${gateway.url}${path}`);
    return { status: res.status, body: await res.json() as ReportBody };
  };

  it('answers the bare id', async () => {
    const { status, body } = await get(`/v1/reports/${id}`);
    expect(status).toBe(200);
    expect(body.report).toMatchObject({ id, uri, nodeId: 'ohlcv:demo:DEFECTS' });
  });

  it('answers the qmtl:// URI the read handed out, URL-encoded as one segment', async () => {
    const { status, body } = await get(`/v1/reports/${encodeURIComponent(uri)}`);
    expect(status).toBe(200);
    expect(body.report).toMatchObject({ id, uri });
  });

  it('answers the qmtl:// URI pasted unencoded into the path', async () => {
    const { status, body } = await get(`/v1/reports/${uri}`);
    expect(status).toBe(200);
    expect(body.report).toMatchObject({ id, uri });
  });

  it('refuses a URI whose dataset is not the report\'s, naming the field', async () => {
    const wrong = uri.replace(encodeURIComponent('ohlcv:demo:DEFECTS'), encodeURIComponent('ohlcv:demo:BTC-USD'));
    const { status, body } = await get(`/v1/reports/${encodeURIComponent(wrong)}`);
    expect(status).toBe(404);
    expect(body.error).toMatchObject({ code: 'not_found', details: { field: 'id' } });
  });

  it('refuses a qmtl:// URI that is not a report URI, naming the field', async () => {
    const { status, body } = await get(`/v1/reports/${encodeURIComponent('qmtl://elsewhere/x')}`);
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: 'invalid_request', details: { field: 'id' } });
  });
});
