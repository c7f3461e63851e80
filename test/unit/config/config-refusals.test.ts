/**
 * Configurations that used to pass validation (or fail as `internal` errors) and must be refused
 * at load time with an invalid_request error naming the key: a YAML alias bomb, a dataDir that is
 * a file, a tracing endpoint that is not http(s), a zero cache size.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { createTracing } from '../../../src/observability/index.js';
import { tempDir } from '../../helpers/temp-dir.js';

describe('configuration refusals', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => { dir = await tempDir(); });
  afterEach(async () => { await dir.remove(); });

  const file = (text: string): string => {
    const p = join(dir.path, 'seamless.yml');
    writeFileSync(p, text);
    return p;
  };

  it('refuses a YAML alias bomb naming the file and the problem, without expanding it', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array.from({ length: 10 }, () => `*${prev}`).join(',')}]`);
    }
    const f = file(`${levels.join('\n')}\n`);
    expect(() => loadConfig({ file: f, env: {} })).toThrow(expect.objectContaining({
      code: 'invalid_request',
      field: 'config',
      message: expect.stringMatching(new RegExp(`${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .*alias`)),
    }));
  });

  it('still reads a file that uses a few aliases', () => {
    const f = file('sources:\n  s: &src { kind: synthetic }\n  t: *src\ndatasets: []\n');
    expect(loadConfig({ file: f, env: {} }).config.sources.t).toMatchObject({ kind: 'synthetic' });
  });

  it('refuses a dataDir that is a file, naming dataDir', () => {
    const path = join(dir.path, 'not-a-dir');
    writeFileSync(path, 'x');
    expect(() => loadConfig({ input: { dataDir: path }, env: {} }))
      .toThrow(expect.objectContaining({ code: 'invalid_request', field: 'dataDir', message: expect.stringContaining('not a directory') }));
  });

  it('refuses a dataDir below a file, naming dataDir', () => {
    const path = join(dir.path, 'not-a-dir');
    writeFileSync(path, 'x');
    expect(() => loadConfig({ input: { dataDir: join(path, 'data') }, env: {} }))
      .toThrow(expect.objectContaining({ code: 'invalid_request', field: 'dataDir' }));
  });

  it('accepts a dataDir that does not exist yet or is a directory', () => {
    const existing = join(dir.path, 'existing');
    mkdirSync(existing);
    expect(loadConfig({ input: { dataDir: existing }, env: {} }).dataDir).toBe(existing);
    expect(loadConfig({ input: { dataDir: join(dir.path, 'new', 'data') }, env: {} }).dataDir).toBe(join(dir.path, 'new', 'data'));
  });

  it('refuses a tracing endpoint that is not http(s), naming tracing.endpoint', () => {
    const f = file('tracing:\n  endpoint: file:///tmp/spans\n');
    expect(() => loadConfig({ file: f, env: {} }))
      .toThrow(expect.objectContaining({ code: 'invalid_request', field: 'tracing.endpoint', message: expect.stringContaining('http') }));
    expect(() => loadConfig({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://collector:4318' } }))
      .toThrow(expect.objectContaining({ field: 'tracing.endpoint' }));
    expect(loadConfig({ input: { tracing: { endpoint: 'https://collector.internal:4318' } }, env: {} }).config.tracing.endpoint)
      .toBe('https://collector.internal:4318');
  });

  it('does not build a tracer for an endpoint that is not http(s)', async () => {
    await expect(createTracing({ endpoint: 'file:///tmp/spans' }))
      .rejects.toThrow(expect.objectContaining({ code: 'invalid_request', field: 'tracing.endpoint' }));
    await expect(createTracing({ endpoint: 'file:///tmp/spans', endpointField: '--otlp-endpoint' }))
      .rejects.toThrow(expect.objectContaining({ field: '--otlp-endpoint' }));
  });

  it('refuses a zero cache.maxBytes or cache.maxEntries, pointing at cache.enabled', () => {
    expect(() => loadConfig({ file: file('cache:\n  maxBytes: 0\n'), env: {} }))
      .toThrow(expect.objectContaining({ code: 'invalid_request', field: 'cache.maxBytes', message: expect.stringContaining('cache.enabled') }));
    expect(() => loadConfig({ env: { SEAMLESS_CACHE_MAX_ENTRIES: '0' } }))
      .toThrow(expect.objectContaining({ field: 'cache.maxEntries' }));
  });
});
