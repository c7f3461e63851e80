import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { tempDir } from '../../helpers/temp-dir.js';

const sources = { s: { kind: 'synthetic' as const } };

describe('dataset calendar configuration', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => { dir = await tempDir(); });
  afterEach(async () => { await dir.remove(); });
  it('defaults a dataset to the 24/7 calendar', () => {
    const { config } = loadConfig({ input: { sources, datasets: [{ nodeId: 'a', intervals: ['1m'], source: 's' }] }, env: {} });
    expect(config.datasets[0].calendar).toBe('24/7');
  });

  it('takes an exchange calendar by name', () => {
    const { config } = loadConfig({ input: { sources, datasets: [{ nodeId: 'a', intervals: ['1h'], source: 's', calendar: 'XNYS' }] }, env: {} });
    expect(config.datasets[0].calendar).toBe('XNYS');
  });

  it('refuses an unknown calendar, naming the key and the calendars there are', () => {
    const file = join(dir.path, 'seamless.yml');
    writeFileSync(file, 'sources:\n  s: { kind: synthetic }\ndatasets:\n  - { nodeId: a, intervals: [1h], source: s, calendar: XLON }\n');
    expect(() => loadConfig({ file, env: {} }))
      .toThrow(expect.objectContaining({ field: 'datasets.0.calendar', message: expect.stringMatching(/24\/7.*XNYS/) }));
  });

  it('puts the demo equity ACME on the XNYS calendar and its source on the same sessions', () => {
    const { config } = loadConfig({ env: {} });
    const acme = config.datasets.find((d) => d.nodeId === 'ohlcv:demo:ACME');
    expect(acme?.calendar).toBe('XNYS');
    const source = acme?.source === undefined ? undefined : config.sources[acme.source];
    expect(source).toMatchObject({ kind: 'synthetic', calendar: 'XNYS' });
    expect(config.datasets.find((d) => d.nodeId === 'ohlcv:demo:BTC-USD')?.calendar).toBe('24/7');
  });
});
