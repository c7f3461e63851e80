/**
 * Bearer API keys. A key is declared in the config by name, scopes and the SHA-256 of its
 * secret; the secret is shown once when created and never stored. Secrets carry 256 bits of
 * randomness, so a fast hash is safe (no password stretching needed) and keeps each request's
 * check to one SHA-256 and constant-time compares.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyConfig } from '../config/index.js';

export const SCOPES = ['read', 'backfill', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface Identity {
  readonly name: string;
  readonly scopes: ReadonlySet<Scope>;
}

export interface NewApiKey {
  /** Goes into the config (`auth.keys`). */
  readonly entry: ApiKeyConfig;
  /** Shown once to the user. */
  readonly secret: string;
}

const SECRET_PREFIX = 'sk_seamless_';

export function hashSecret(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('hex')}`;
}

export function generateApiKey(name: string, scopes: readonly Scope[], now: Date = new Date()): NewApiKey {
  const secret = `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { secret, entry: { name, scopes: [...new Set(scopes)], secretHash: hashSecret(secret), createdAt: now.toISOString() } };
}

export interface KeyVerifier {
  /** True when keys are configured (auth enforced). */
  readonly enabled: boolean;
  /** The identity of a presented secret, or undefined. */
  verify(secret: string): Identity | undefined;
}

export function createKeyVerifier(keys: readonly ApiKeyConfig[]): KeyVerifier {
  const entries = keys.map((k) => ({
    identity: { name: k.name, scopes: new Set(k.scopes) } as Identity,
    digest: Buffer.from(k.secretHash.slice('sha256:'.length), 'hex'),
  }));
  return {
    enabled: entries.length > 0,
    verify(secret) {
      const digest = createHash('sha256').update(secret, 'utf8').digest();
      let found: Identity | undefined;
      // Compare against every key (constant time per key) so timing does not reveal which matched.
      for (const e of entries) if (timingSafeEqual(digest, e.digest) && found === undefined) found = e.identity;
      return found;
    },
  };
}
