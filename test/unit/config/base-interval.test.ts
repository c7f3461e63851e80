import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';

const sources = { synthetic: { kind: 'synthetic' as const } };

describe('datasets[].baseInterval', () => {
  it('is accepted when every interval is the base or a whole multiple of it', () => {
    const { config } = loadConfig({ env: {}, input: { sources, datasets: [{ nodeId: 'a', intervals: ['5m', '1h', '1d'], baseInterval: '1m', source: 'synthetic' }] } });
    expect(config.datasets.map((d) => [d.nodeId, d.baseInterval])).toEqual([['a', '1m']]);
  });

  it('refuses an interval that is not a whole multiple of the base, naming it', () => {
    expect(() => loadConfig({ env: {}, input: { sources, datasets: [{ nodeId: 'a', intervals: ['1h', '90000'], baseInterval: '1h', source: 'synthetic' }] } }))
      .toThrow(/^datasets\.0\.intervals\.1: 90000 is not a whole multiple of baseInterval 1h/);
  });

  it('refuses a base interval on a dataset that is not OHLCV, naming it', () => {
    expect(() => loadConfig({ env: {}, input: { sources, datasets: [{ nodeId: 'a', intervals: ['1m'], baseInterval: '1m', schema: 'tick', source: 'synthetic' }] } }))
      .toThrow(/^datasets\.0\.baseInterval: resampling needs schema ohlcv, not tick/);
  });

  it('refuses a base interval that is not an interval, naming it', () => {
    expect(() => loadConfig({ env: {}, input: { sources, datasets: [{ nodeId: 'a', intervals: ['1m'], baseInterval: 'minutely', source: 'synthetic' }] } }))
      .toThrow(/^datasets\.0\.baseInterval: invalid interval "minutely"/);
  });
});
