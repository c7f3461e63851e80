import { describe, expect, it } from 'vitest';
import { createKeyVerifier, generateApiKey, hashSecret } from '../../../src/gateway/index.js';

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
});
