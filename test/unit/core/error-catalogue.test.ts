import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ERROR_STATUS, InvalidRequestError, UpstreamUnavailableError, toSeamlessError } from '../../../src/core/index.js';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

describe('error catalogue', () => {
  it.each(ERROR_CODES)('documents %s in docs/errors.md with its HTTP status', (code) => {
    const row = doc.split('\n').find((l) => l.includes(`id="${code}"`));
    expect(row, `docs/errors.md has no row for ${code}`).toBeDefined();
    expect(row).toContain(`| ${ERROR_STATUS[code]} |`);
  });

  it('documents no code the code does not have', () => {
    const documented = [...doc.matchAll(/id="([a-z_]+)"/g)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...ERROR_CODES].sort());
  });

  it('renders the error body with code, message and details naming the field', () => {
    const e = new InvalidRequestError('start', '"x" is not a valid time');
    expect(e.httpStatus).toBe(400);
    expect(e.toBody()).toEqual({ error: { code: 'invalid_request', message: 'start: "x" is not a valid time', details: { field: 'start' } } });
  });

  it('marks retryability on the error itself', () => {
    expect(new UpstreamUnavailableError('binance', 'timeout').retryable).toBe(true);
    expect(new UpstreamUnavailableError('binance', 'bad symbol', { retryable: false }).retryable).toBe(false);
    expect(new InvalidRequestError('x', 'y').retryable).toBe(false);
  });

  it('wraps foreign errors as internal, keeping the cause', () => {
    const cause = new TypeError('boom');
    const e = toSeamlessError(cause);
    expect(e.code).toBe('internal');
    expect(e.cause).toBe(cause);
  });
});
