import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { DEFAULT_PORT, ENV_KEYS } from '../../../src/config/internal.js';
import { tempDir } from '../../helpers/temp-dir.js';

describe('configuration loading', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => { dir = await tempDir(); });
  afterEach(async () => { await dir.remove(); });

  const file = (text: string): string => {
    const p = join(dir.path, 'seamless.yml');
    writeFileSync(p, text);
    return p;
  };

  it('needs no file: embedded defaults with the demo datasets', () => {
    const { config, file: f } = loadConfig({ env: {} });
    expect(f).toBeUndefined();
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: DEFAULT_PORT });
    expect(config.datasets.map((d) => d.nodeId)).toContain('ohlcv:demo:BTC-USD');
    expect(config.seamless.backfill.endpoint).toBe('embedded');
  });

  it('reads a YAML file and fills defaults for what it leaves out', () => {
    const { config } = loadConfig({ file: file('server:\n  port: 9999\nsources:\n  s: { kind: synthetic }\ndatasets:\n  - { nodeId: "ohlcv:x:Y/Z", intervals: [1m], source: s }\n'), env: {} });
    expect(config.server.port).toBe(9999);
    expect(config.datasets[0]).toMatchObject({ nodeId: 'ohlcv:x:Y/Z', schema: 'ohlcv' });
    expect(config.cache.enabled).toBe(true);
  });

  it('names the key and the line of a wrong value', () => {
    const f = file('server:\n  host: 127.0.0.1\n  port: "eighty"\n');
    expect(() => loadConfig({ file: f, env: {} })).toThrow(expect.objectContaining({ field: 'server.port', message: expect.stringContaining(':3') }));
  });

  it('lists every problem of a file, each with its key and line, not only the first', () => {
    const f = file('server:\n  port: "abc"\n  host: 5\ndataDir: 7\n');
    let caught: unknown;
    try { loadConfig({ file: f, env: {} }); } catch (err) { caught = err; }
    const message = (caught as Error).message;
    expect(message).not.toMatch(/and \d+ more/);
    expect(message).toContain('server.port');
    expect(message).toContain('server.host');
    expect(message).toContain('dataDir');
    expect(message).toMatch(/:2: /);
    expect(message).toMatch(/:3: /);
    expect(message).toMatch(/:4: /);
  });

  it('rejects an unknown key (a typo) naming it', () => {
    expect(() => loadConfig({ file: file('server:\n  prot: 1\n'), env: {} })).toThrow(expect.objectContaining({ code: 'invalid_request', message: expect.stringContaining('prot') }));
  });

  it('rejects a dataset pointing at an undefined source', () => {
    expect(() => loadConfig({ input: { datasets: [{ nodeId: 'a', intervals: ['1m'], source: 'nope' }] }, env: {} }))
      .toThrow(expect.objectContaining({ field: 'datasets.0.source' }));
  });

  it('rejects a bad interval and a dataset declared twice, naming the entry', () => {
    const sources = { s: { kind: 'synthetic' as const } };
    expect(() => loadConfig({ input: { sources, datasets: [{ nodeId: 'a', intervals: ['7q'], source: 's' }] }, env: {} }))
      .toThrow(expect.objectContaining({ field: 'datasets.0.intervals.0' }));
    expect(() => loadConfig({ input: { sources, datasets: [{ nodeId: 'a', intervals: ['1m', 60000], source: 's' }] }, env: {} }))
      .toThrow(expect.objectContaining({ field: 'datasets.0.intervals.1' }));
  });

  it('reports unparsable YAML with the file', () => {
    expect(() => loadConfig({ file: file('server: [\n'), env: {} })).toThrow(expect.objectContaining({ field: 'config' }));
  });

  it('reports a missing file', () => {
    expect(() => loadConfig({ file: join(dir.path, 'absent.yml'), env: {} })).toThrow(expect.objectContaining({ field: 'config', message: expect.stringContaining('not found') }));
  });

  it('applies SEAMLESS_* overrides over the file, typed as YAML scalars', () => {
    const { config, dataDir } = loadConfig({
      file: file('server:\n  port: 1\n'),
      env: { SEAMLESS_PORT: '7070', SEAMLESS_DATA_DIR: dir.path, SEAMLESS_CACHE_ENABLED: 'false', SEAMLESS_BACKFILL_ENDPOINT: 'embedded' },
    });
    expect(config.server.port).toBe(7070);
    expect(config.cache.enabled).toBe(false);
    expect(dataDir).toBe(dir.path);
  });

  it('reads the file named by SEAMLESS_CONFIG', () => {
    const f = file('server:\n  port: 4242\n');
    expect(loadConfig({ env: { SEAMLESS_CONFIG: f } }).config.server.port).toBe(4242);
  });

  it('rejects an unknown SEAMLESS_ variable naming it', () => {
    expect(() => loadConfig({ env: { SEAMLESS_PROT: '1' } })).toThrow(expect.objectContaining({ field: 'SEAMLESS_PROT' }));
  });

  it('validates an environment override like the file', () => {
    expect(() => loadConfig({ env: { SEAMLESS_PORT: '70000' } })).toThrow(expect.objectContaining({ field: 'server.port' }));
  });

  it('applies explicit overrides (CLI flags) last', () => {
    const { config } = loadConfig({ env: { SEAMLESS_PORT: '7070' }, overrides: { server: { port: 6060 } } });
    expect(config.server.port).toBe(6060);
  });

  it('freezes the result', () => {
    const { config } = loadConfig({ env: {} });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.server)).toBe(true);
  });

  it('maps every documented environment variable to a config key', () => {
    const doc = loadConfig({ env: {} }).config as unknown as Record<string, unknown>;
    for (const path of Object.values(ENV_KEYS)) {
      const parts = path.split('.');
      let node: unknown = doc;
      for (const part of parts.slice(0, -1)) node = (node as Record<string, unknown>)[part];
      expect(node, path).toBeTypeOf('object');
    }
    // Optional keys (no default) are accepted from the environment too.
    expect(loadConfig({ env: { SEAMLESS_BACKFILL_LOCAL_WORKERS: '0' } }).config.seamless.backfill.localWorkers).toBe(0);
  });
});

describe('configuration file discovery', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let cwd: string;
  beforeEach(async () => {
    dir = await tempDir();
    cwd = process.cwd();
    process.chdir(dir.path);
  });
  afterEach(async () => {
    process.chdir(cwd);
    await dir.remove();
  });

  it('reads ./seamless.yml when no file is named', () => {
    writeFileSync(join(dir.path, 'seamless.yml'), 'server:\n  port: 5151\n');
    const loaded = loadConfig({ env: {} });
    expect(loaded.file).toBe('seamless.yml');
    expect(loaded.config.server.port).toBe(5151);
  });

  it('keeps the demo datasets for a file that declares no datasets and no sources', () => {
    writeFileSync(join(dir.path, 'seamless.yml'), 'auth:\n  keys: []\n');
    expect(loadConfig({ env: {} }).config.datasets.length).toBeGreaterThan(0);
  });

  it('uses only the datasets of a file that declares some', () => {
    writeFileSync(join(dir.path, 'seamless.yml'), 'sources: {}\ndatasets: []\n');
    expect(loadConfig({ env: {} }).config.datasets).toEqual([]);
  });
});
