import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ERROR_STATUS, InvalidRequestError, UpstreamUnavailableError, toSeamlessError } from '../../../src/core/index.js';
import { ERROR_REASONS, ERROR_REASON_CODES } from '../../../src/core/internal.js';

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

  it.each(ERROR_REASON_CODES)('documents details.reason $reason beside its code $code in docs/errors.md', ({ reason, code }) => {
    const row = doc.split('\n').find((l) => l.includes(`id="reason-${reason}"`));
    expect(row, `docs/errors.md has no row for details.reason ${reason}`).toBeDefined();
    expect(row?.split('|')[1]?.trim(), `the row of ${reason} names its code first`).toBe(`\`${code}\``);
  });

  it('documents no details.reason the code does not have', () => {
    const documented = [...doc.matchAll(/id="reason-([a-z_]+)"/g)].map((m) => m[1]);
    expect(documented.sort()).toEqual(ERROR_REASON_CODES.map((r) => r.reason).sort());
  });

  it('gives each details.reason exactly one code', () => {
    const reasons = Object.values(ERROR_REASONS).flat();
    expect(new Set(reasons).size).toBe(reasons.length);
    for (const code of Object.keys(ERROR_REASONS)) expect(ERROR_CODES).toContain(code);
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
