/**
 * Bearer API keys. A key is declared in the config by name, scopes and the SHA-256 of its
 * secret; the secret is shown once when created and never stored. Secrets carry 256 bits of
 * randomness, so a fast hash is safe (no password stretching needed) and keeps each request's
 * check to one SHA-256 and constant-time compares.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyConfig } from '../config/index.js';

/**
 * `read`: bars, datasets, coverage, backfill status, reports, events. `backfill`: ask for backfills
 * (`POST /v1/backfills`, the coordinator's `/v1/jobs`).
 * `worker`: what a `seamless worker` (or a gateway pointed at a coordinator) does at the
 * coordinator: leases, shard uploads, upstream permits. `admin`: everything, plus changing an
 * upstream budget's rate and pausing it for longer than a worker may.
 */
export const SCOPES = ['read', 'backfill', 'worker', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * The scopes a granted scope implies, itself included. Explicit and closed: `admin` implies every
 * scope; `backfill` and `worker` do not imply `read` (a scheduler asking for backfills or a
 * worker fetching shards does not read bars; grant `read` too when it should).
 */
export const SCOPE_IMPLIES: Readonly<Record<Scope, readonly Scope[]>> = Object.freeze({
  read: ['read'],
  backfill: ['backfill'],
  worker: ['worker'],
  admin: SCOPES,
});

/** Every scope `granted` amounts to (SCOPE_IMPLIES applied). */
export function effectiveScopes(granted: Iterable<Scope>): ReadonlySet<Scope> {
  const out = new Set<Scope>();
  for (const s of granted) for (const implied of SCOPE_IMPLIES[s]) out.add(implied);
  return out;
}

export interface Identity {
  readonly name: string;
  /** The effective scopes (implications applied: an admin key holds every scope). */
  readonly scopes: ReadonlySet<Scope>;
  /** The scopes as configured, for messages. */
  readonly granted: readonly Scope[];
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
    identity: { name: k.name, scopes: effectiveScopes(k.scopes), granted: [...k.scopes] } as Identity,
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

/**
 * Keys that look like a worker's from before the `worker` scope existed (`backfill` without
 * `worker` or `admin`): worker endpoints refuse them now. One line each for the start-up warning.
 */
export function legacyWorkerKeyWarnings(keys: readonly ApiKeyConfig[]): string[] {
  const out: string[] = [];
  keys.forEach((k, i) => {
    if (!k.scopes.includes('backfill') || k.scopes.includes('worker') || k.scopes.includes('admin')) return;
    out.push(`API key "${k.name}" (auth.keys[${i}]) has scope backfill but not worker: lease, shard and upstream-permit endpoints need scope worker. ` +
      `If "${k.name}" is a seamless worker's key, add worker to auth.keys[${i}].scopes (or create one with "seamless keys create NAME --scope worker").`);
  });
  return out;
}
