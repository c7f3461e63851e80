import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../../src/core/index.js';
import { checkTemplate, compileMessageMapping, renderTemplate, templateVars } from '../../../../src/sources/internal.js';
import type { MessageMapping, TsUnit } from '../../../../src/sources/internal.js';

const OHLCV = ['open', 'high', 'low', 'close', 'volume'];
const MIN = 60_000;

/** Binance's kline stream, as docs/live-feeds.md configures it. */
const BINANCE: MessageMapping = {
  match: { e: 'kline', 's': '{symbol_upper}', 'k.i': '{interval}' },
  bar: 'k',
  fields: { ts: 't', open: 'o', high: 'h', low: 'l', close: 'c', volume: 'v' },
  closed: 'x',
  tsUnit: 'ms',
};

describe('message mapping of the WebSocket feed', () => {
  it('maps a Binance kline event (decimal strings, closed flag) to one bar', () => {
    const m = compileMessageMapping(BINANCE, { symbol: 'btcusdt', intervalMs: MIN, columns: OHLCV });
    const msg = { e: 'kline', E: 1, s: 'BTCUSDT', k: { t: 1_717_243_200_000, i: '1m', o: '67000.1', h: '67010', l: '66990.5', c: '67005.25', v: '12.5', x: true } };
    expect(m.matches(msg)).toBe(true);
    expect(m.extract(msg)).toEqual({ ok: true, bars: [{ ts: 1_717_243_200_000, values: Float64Array.of(67000.1, 67010, 66990.5, 67005.25, 12.5), closed: true }] });
    expect(m.matches({ ...msg, s: 'ETHUSDT' })).toBe(false);
    expect(m.matches({ ...msg, k: { ...msg.k, i: '5m' } })).toBe(false);
    expect(m.matches({ result: null, id: 1 })).toBe(false);
  });

  it('maps array bars by index, and leaves closedness to inference without a closed path', () => {
    const m = compileMessageMapping({ bar: 'data', batch: true, fields: { ts: 0, open: 1, high: 2, low: 3, close: 4, volume: 5 }, tsUnit: 's' }, { symbol: 'X', intervalMs: MIN, columns: OHLCV });
    expect(m.hasClosedFlag).toBe(false);
    const result = m.extract({ data: [[1_717_243_200, 1, 2, 0.5, 1.5, 7], [1_717_243_260, 1.5, 2, 1, 1.8, 3]] });
    expect(result.ok && result.bars.map((b) => [b.ts, b.values[3], b.closed])).toEqual([[1_717_243_200_000, 1.5, undefined], [1_717_243_260_000, 1.8, undefined]]);
  });

  it('says why a matching message is malformed: missing field, not a number, off the grid, bad flag, no bar', () => {
    const m = compileMessageMapping(BINANCE, { symbol: 'BTCUSDT', intervalMs: MIN, columns: OHLCV });
    const base = { e: 'kline', s: 'BTCUSDT', k: { t: 1_717_243_200_000, i: '1m', o: '1', h: '2', l: '0.5', c: '1.5', v: '3', x: false } };
    const reason = (k: Record<string, unknown>): string => {
      const r = m.extract({ ...base, k: { ...base.k, ...k } });
      return r.ok ? 'ok' : r.reason;
    };
    expect(reason({ c: undefined })).toMatch(/field "close": missing/);
    expect(reason({ o: 'abc' })).toMatch(/field "open": "abc" is not a finite number/);
    expect(reason({ v: '' })).toMatch(/field "volume"/);
    expect(reason({ t: 1_717_243_200_001 })).toMatch(/not on the 1m grid/);
    expect(reason({ t: 'yesterday' })).toMatch(/field "ts"/);
    expect(reason({ x: 'maybe' })).toMatch(/closed flag/);
    const noBar = m.extract({ e: 'kline', s: 'BTCUSDT' });
    expect(noBar.ok).toBe(false);
  });

  it('refuses, naming the key, a mapping that lacks a column the dataset needs or a template placeholder that does not exist', () => {
    expect(() => compileMessageMapping({ fields: { ts: 't', open: 'o' } }, { symbol: 'X', intervalMs: MIN, columns: OHLCV })).toThrow(/mapping\.fields\.high/);
    expect(() => compileMessageMapping({ fields: { open: 'o' } }, { symbol: 'X', intervalMs: MIN, columns: ['open'] })).toThrow(/mapping\.fields\.ts/);
    expect(() => checkTemplate('{"params":["{sym}@kline"]}', 'subscribe')).toThrow(InvalidRequestError);
    expect(() => checkTemplate('{"params":["{sym}@kline"]}', 'subscribe')).toThrow(/subscribe: unknown placeholder \{sym\}/);
  });

  it('renders subscribe templates with every placeholder, keeping JSON valid', () => {
    const vars = { ...templateVars({ symbol: 'BTCUSDT', intervalMs: 5 * MIN, columns: OHLCV }), id: '7' };
    const text = renderTemplate('{"method":"SUBSCRIBE","params":["{symbol_lower}@kline_{interval}"],"id":{id},"ms":{interval_ms},"s":"{symbol}"}', vars);
    expect(JSON.parse(text)).toEqual({ method: 'SUBSCRIBE', params: ['btcusdt@kline_5m'], id: 7, ms: 300_000, s: 'BTCUSDT' });
    expect(JSON.parse(renderTemplate('{"s":"{symbol}"}', { symbol: 'a"b\\c' }))).toEqual({ s: 'a"b\\c' });
  });

  it('round-trips any bar through any mapping: encoding a bar as the mapping describes, then mapping it back, gives the bar', () => {
    const units: readonly TsUnit[] = ['s', 'ms', 'us', 'ns'];
    const scale: Record<TsUnit, (ts: number) => number | string> = {
      s: (ts) => ts / 1000, ms: (ts) => ts, us: (ts) => ts * 1000, ns: (ts) => `${ts}000000`,
    };
    const value = fc.double({ min: -1e12, max: 1e12, noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x));
    const bar = fc.record({
      k: fc.integer({ min: 0, max: 66_000_000 }), // ts up to ~2095 on the 1m grid
      values: fc.array(value, { minLength: 5, maxLength: 5 }),
      asString: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
      closed: fc.boolean(),
    });
    const shape = fc.record({
      form: fc.constantFrom('object' as const, 'array' as const),
      order: fc.shuffledSubarray([0, 1, 2, 3, 4, 5, 6], { minLength: 7, maxLength: 7 }),
      groups: fc.array(fc.constantFrom('', 'P.', 'Q.R.'), { minLength: 7, maxLength: 7 }),
      barPath: fc.constantFrom('', 'data', 'payload.bar', 'data.0'),
      batch: fc.boolean(),
      withClosed: fc.boolean(),
      flagForm: fc.constantFrom('bool' as const, 'string' as const, 'number' as const),
      unit: fc.constantFrom(...units),
      symbol: fc.stringMatching(/^[A-Z]{2,6}$/),
    });
    fc.assert(fc.property(shape, fc.array(bar, { minLength: 1, maxLength: 3 }), (s, bars) => {
      const names = ['ts', ...OHLCV, 'closed'];
      // Where each of ts, the five values and the closed flag sits inside a bar.
      const paths: (string | number)[] = names.map((n, i) => (s.form === 'array' ? s.order[i] : `${s.groups[i]}f${s.order[i]}`));
      const fields: Record<string, string | number> = {};
      for (let i = 0; i < 6; i++) fields[names[i]] = paths[i];
      const batch = s.batch && s.barPath !== '' && s.barPath !== 'data.0';
      const mapping: MessageMapping = {
        match: { 'meta.stream': '{symbol_lower}@{interval}' },
        bar: s.barPath, batch, fields, tsUnit: s.unit,
        ...(s.withClosed ? { closed: paths[6] } : {}),
      };
      const encodeBar = (b: typeof bars[number]): unknown => {
        const ts = b.k * MIN;
        const cells: unknown[] = [scale[s.unit](ts), ...b.values.map((v, c) => (b.asString[c] ? String(v) : v))];
        const flag = s.flagForm === 'bool' ? b.closed : s.flagForm === 'string' ? String(b.closed) : Number(b.closed);
        if (s.withClosed) cells.push(flag);
        const out: unknown = s.form === 'array' ? [] : {};
        cells.forEach((cell, i) => setPath(out, split(paths[i]), cell));
        return out;
      };
      const sent = batch ? bars : bars.slice(0, 1);
      const body = batch ? sent.map(encodeBar) : encodeBar(sent[0]);
      const message: Record<string, unknown> = s.barPath === '' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
      if (s.barPath !== '') setPath(message, split(s.barPath), body);
      if (s.form === 'array' && s.barPath === '') return; // a bare array message has no place for the match key
      setPath(message, ['meta', 'stream'], `${s.symbol.toLowerCase()}@1m`);

      const compiled = compileMessageMapping(mapping, { symbol: s.symbol, intervalMs: MIN, columns: OHLCV });
      const wire: unknown = JSON.parse(JSON.stringify(message));
      expect(compiled.matches(wire)).toBe(true);
      const result = compiled.extract(wire);
      expect(result).toEqual({
        ok: true,
        bars: sent.map((b) => ({ ts: b.k * MIN, values: Float64Array.from(b.values), closed: s.withClosed ? b.closed : undefined })),
      });
    }), { numRuns: 300 });
  });
});

function split(path: string | number): (string | number)[] {
  if (typeof path === 'number') return [path];
  return path.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/** Sets `value` at `path`, creating objects (or arrays before a numeric segment) on the way. */
function setPath(root: unknown, path: readonly (string | number)[], value: unknown): void {
  let node = root as Record<string | number, unknown>;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i];
    if (node[seg] === undefined) node[seg] = typeof path[i + 1] === 'number' ? [] : {};
    node = node[seg] as Record<string | number, unknown>;
  }
  node[path[path.length - 1]] = value;
}
