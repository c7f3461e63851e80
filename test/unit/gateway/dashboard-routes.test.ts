/**
 * The dashboard page's routes over a directory laid out as web/dist: the page at `/` without a
 * key even when keys exist, assets with their content type and a year's cache, the page
 * revalidated, a 404 for anything else, and no request reaching a file outside assets/ whatever
 * its spelling (encoded separators, dot segments, dot-files).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ASSET_CACHE_CONTROL, PAGE_CACHE_CONTROL, createDashboardFiles, createKeyVerifier, dashboardRoutes, isSafeAssetName, registerAuth, sendError,
} from '../../../src/gateway/internal.js';
import { generateApiKey } from '../../../src/gateway/index.js';
import { tempDir } from '../../helpers/temp-dir.js';

const PAGE = '<!doctype html><title>Seamless</title>';
const SCRIPT = 'console.log("dashboard")';

let dir: Awaited<ReturnType<typeof tempDir>>;
let app: FastifyInstance;

async function appOver(dist: string, withKeys: boolean): Promise<FastifyInstance> {
  const a = Fastify();
  a.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  registerAuth(a, createKeyVerifier(withKeys ? [generateApiKey('reader', ['read']).entry] : []));
  dashboardRoutes(a, createDashboardFiles(dist));
  await a.ready();
  return a;
}

beforeAll(async () => {
  dir = await tempDir('seamless-dashboard-routes-');
  const dist = join(dir.path, 'dist');
  await mkdir(join(dist, 'assets', 'nested'), { recursive: true });
  await writeFile(join(dist, 'index.html'), PAGE);
  await writeFile(join(dist, 'assets', 'index-abc123.js'), SCRIPT);
  await writeFile(join(dist, 'assets', 'index-abc123.css'), 'body{}');
  await writeFile(join(dist, 'assets', 'data.bin'), 'xx');
  await writeFile(join(dist, 'assets', '.hidden'), 'DOT-FILE CONTENT');
  await writeFile(join(dist, 'assets', 'nested', 'deep.js'), 'DEEP CONTENT');
  await writeFile(join(dist, 'secret.txt'), 'OUTSIDE CONTENT: assets');
  await writeFile(join(dir.path, 'secret.txt'), 'OUTSIDE CONTENT: dist');
  app = await appOver(dist, true);
});

afterAll(async () => {
  await app?.close();
  await dir?.remove();
});

describe('the dashboard page routes', () => {
  it('serves the page at / and /ui/ without a key even when the gateway has keys, revalidated at every load', async () => {
    for (const url of ['/', '/ui', '/ui/']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toBe(PAGE);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe(PAGE_CACHE_CONTROL);
      expect(String(res.headers['content-security-policy'])).toContain("connect-src 'self'");
    }
  });

  it('serves assets with their content type and a year of immutable cache', async () => {
    const js = await app.inject({ url: '/ui/assets/index-abc123.js' });
    expect(js.statusCode).toBe(200);
    expect(js.body).toBe(SCRIPT);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe(ASSET_CACHE_CONTROL);
    expect((await app.inject({ url: '/ui/assets/index-abc123.css' })).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await app.inject({ url: '/ui/assets/data.bin' })).headers['content-type']).toBe('application/octet-stream');
  });

  it('answers 404 not_found naming the asset when it does not exist', async () => {
    const res = await app.inject({ url: '/ui/assets/missing-000.js' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'not_found', message: 'dashboard asset not found: missing-000.js' } });
  });

  it.each([
    '/ui/assets/../secret.txt',
    '/ui/assets/..%2fsecret.txt',
    '/ui/assets/..%2F..%2Fsecret.txt',
    '/ui/assets/%2e%2e/secret.txt',
    '/ui/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/ui/assets/..%5csecret.txt',
    '/ui/assets/nested/deep.js',
    '/ui/assets/nested%2fdeep.js',
    '/ui/assets/.hidden',
    '/ui/assets/%2ehidden',
    '/ui/assets/',
    '/ui/assets/%00index-abc123.js',
  ])('never answers a file outside assets/ (or a dot-file, or a subfolder): %s', async (url) => {
    const res = await app.inject({ url });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('outside');
    expect(res.body).not.toContain('DEEP CONTENT');
    expect(res.body).not.toContain('DOT-FILE CONTENT');
  });

  it('accepts only one plain file name as an asset name', () => {
    expect(isSafeAssetName('index-abc123.js')).toBe(true);
    for (const name of ['..', '../x', 'a/b', 'a\\b', '.hidden', '', 'a..b', 'x\0y', '%2e%2e']) expect(isSafeAssetName(name), name).toBe(false);
  });

  it('answers 404 saying how to build the page when web/dist is missing', async () => {
    const bare = await appOver(join(dir.path, 'not-built'), false);
    try {
      const res = await bare.inject({ url: '/' });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.message).toContain('npm run build:web');
    } finally {
      await bare.close();
    }
  });
});
