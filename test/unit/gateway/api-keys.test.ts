import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { bearerSecret } from '../../../src/gateway/internal.js';
import { SCOPES, generateApiKey } from '../../../src/gateway/index.js';
import { createKeyVerifier, effectiveScopes, hashSecret } from '../../../src/gateway/internal.js';

describe('API keys', () => {
  it('stores only the hash of a new key and shows the secret once', () => {
    const { entry, secret } = generateApiKey('strategy-a', ['read', 'read', 'backfill']);
    expect(entry.secretHash).toBe(hashSecret(secret));
    expect(JSON.stringify(entry)).not.toContain(secret);
    expect(entry.scopes).toEqual(['read', 'backfill']);
    expect(secret.length).toBeGreaterThan(40);
  });

  it('identifies the caller of a valid secret with its scopes', () => {
    const a = generateApiKey('a', ['read']);
    const b = generateApiKey('b', ['admin']);
    const verifier = createKeyVerifier([a.entry, b.entry]);
    expect(verifier.enabled).toBe(true);
    expect(verifier.verify(b.secret)?.name).toBe('b');
    expect(verifier.verify(b.secret)?.scopes.has('admin')).toBe(true);
    expect(verifier.verify(a.secret)?.scopes.has('admin')).toBe(false);
  });

  it('knows no caller for a wrong or empty secret', () => {
    const a = generateApiKey('a', ['read']);
    const verifier = createKeyVerifier([a.entry]);
    expect(verifier.verify(`${a.secret}x`)).toBeUndefined();
    expect(verifier.verify('')).toBeUndefined();
  });

  it('is disabled with no keys configured', () => {
    expect(createKeyVerifier([]).enabled).toBe(false);
  });

  it('gives an admin key every scope, and a backfill or worker key only its own', () => {
    expect([...effectiveScopes(['admin'])].sort()).toEqual([...SCOPES].sort());
    expect([...effectiveScopes(['backfill'])]).toEqual(['backfill']);
    expect([...effectiveScopes(['worker'])]).toEqual(['worker']);
    const w = generateApiKey('w', ['worker']);
    expect(createKeyVerifier([w.entry]).verify(w.secret)?.scopes.has('read')).toBe(false);
  });

  it('takes a worker-scoped key in the configuration', () => {
    const w = generateApiKey('w', ['worker']);
    expect(loadConfig({ input: { auth: { keys: [w.entry] } }, env: {} }).config.auth.keys[0].scopes).toEqual(['worker']);
  });

  it('reads the bearer scheme in any case and nothing else', () => {
    expect(bearerSecret('bearer abc')).toBe('abc');
    expect(bearerSecret('BEARER  abc ')).toBe('abc');
    expect(bearerSecret('Basic abc')).toBeUndefined();
    expect(bearerSecret('Bearer')).toBeUndefined();
    expect(bearerSecret(undefined)).toBeUndefined();
  });
});
