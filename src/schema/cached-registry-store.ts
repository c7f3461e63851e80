/**
 * A read-through cache over a RegistryStore for what every read of the data path asks —
 * subjects, versions, validation modes, compatibility — so checking a read against its
 * subject costs no query (measured: ~3 ms of DuckDB round trips per read without it). The
 * registry is its store's only writer in a process, so every change made here drops the
 * entries it affects.
 *
 * A store other processes write too (PostgreSQL, shared by many gateways) has `changeCount`:
 * a cached read first checks the counter when `refreshMs` or more passed since the last check
 * (one cheap query, shared by the reads that arrive meanwhile) and drops every entry when it
 * moved. So no answer is served from the cache more than `refreshMs` after a change committed
 * elsewhere — the bound docs/schema-registry.md states — and no timer is needed.
 */
import { systemClock } from '../core/index.js';
import type { Clock } from '../core/index.js';
import type { RegistryStore } from './registry-store.js';
import type { CompatibilityMode, SchemaVersion, ValidationMode } from './schema-types.js';

const GLOBAL = Symbol('global');

/** How long a cached answer may outlive a change made by another process (schema_registry.refresh_ms). */
export const DEFAULT_REGISTRY_REFRESH_MS = 1_000;

export interface CachedRegistryOptions {
  /** Check the store's change counter when this long passed since the last check (default 1,000 ms). */
  readonly refreshMs?: number;
  readonly clock?: Clock;
}

export function createCachedRegistryStore(inner: RegistryStore, options: CachedRegistryOptions = {}): RegistryStore {
  let subjects: Promise<string[]> | undefined;
  const versions = new Map<string, Promise<SchemaVersion[]>>();
  const modes = new Map<string, Promise<ValidationMode | undefined>>();
  const compat = new Map<string | typeof GLOBAL, Promise<CompatibilityMode | undefined>>();
  const refreshMs = options.refreshMs ?? DEFAULT_REGISTRY_REFRESH_MS;
  const clock = options.clock ?? systemClock;
  let checkedAt = Number.NEGATIVE_INFINITY;
  let lastCount: number | undefined;
  let checking: Promise<void> | undefined;

  function dropAll(): void {
    subjects = undefined;
    versions.clear();
    modes.clear();
    compat.clear();
  }

  /** Reads the counter; the check counts from before the query, so the bound holds whatever its latency. */
  async function check(startedAt: number, changeCount: () => Promise<number>): Promise<void> {
    const count = await changeCount();
    if (count !== lastCount) dropAll();
    lastCount = count;
    checkedAt = startedAt;
  }

  /** Resolves once the cache is known fresh to within refreshMs; undefined when it already is. */
  function fresh(): Promise<void> | undefined {
    if (inner.changeCount === undefined) return undefined;
    const now = clock.now();
    if (now - checkedAt < refreshMs) return undefined;
    if (checking === undefined) {
      const running = check(now, () => inner.changeCount?.() ?? Promise.resolve(0));
      checking = running;
      // The callers awaiting `running` see its failure; this only frees the slot.
      const clear = (): void => { if (checking === running) checking = undefined; };
      running.then(clear, clear);
    }
    return checking;
  }

  /** `read` after the freshness check (no extra await when none is due: the hot path stays one promise). */
  function checked<T>(read: () => Promise<T>): Promise<T> {
    const due = fresh();
    return due === undefined ? read() : due.then(read);
  }

  /** Caches a lookup; a failed lookup is not cached, so the next call asks again. */
  function remember<K, V>(map: Map<K, Promise<V>>, key: K, load: () => Promise<V>): Promise<V> {
    let hit = map.get(key);
    if (hit === undefined) {
      hit = load();
      map.set(key, hit);
      const loading = hit;
      loading.catch(() => { if (map.get(key) === loading) map.delete(key); });
    }
    return hit;
  }

  return {
    subjects(includeDeleted = false) {
      // Soft-deleted subjects are listed only on request (Confluent's `?deleted=true`): not cached.
      if (includeDeleted) return inner.subjects(true);
      return checked(() => {
        if (subjects === undefined) {
          const loading = inner.subjects();
          subjects = loading;
          loading.catch(() => { if (subjects === loading) subjects = undefined; });
        }
        return subjects.then((list) => list.slice());
      });
    },
    versions: (subject) => checked(() => remember(versions, subject, () => inner.versions(subject))).then((list) => list.slice()),
    findByFingerprint: (subject, fingerprint) => inner.findByFingerprint(subject, fingerprint),
    schemaById: (id) => inner.schemaById(id),
    async appendVersion(subject, schema, fingerprint, at) {
      try {
        return await inner.appendVersion(subject, schema, fingerprint, at);
      } finally {
        versions.delete(subject);
        subjects = undefined;
      }
    },
    async deleteVersions(subject, numbers, permanent, at) {
      try {
        await inner.deleteVersions(subject, numbers, permanent, at);
      } finally {
        versions.delete(subject);
        subjects = undefined;
      }
    },
    compatibility: (subject) => checked(() => remember(compat, subject ?? GLOBAL, () => inner.compatibility(subject))),
    async setCompatibility(subject, mode) {
      try {
        await inner.setCompatibility(subject, mode);
      } finally {
        compat.delete(subject ?? GLOBAL);
      }
    },
    validationMode: (subject) => checked(() => remember(modes, subject, () => inner.validationMode(subject))),
    async setValidationMode(subject, mode) {
      try {
        await inner.setValidationMode(subject, mode);
      } finally {
        modes.delete(subject);
      }
    },
    // Under the shared lock the cache is checked first, whatever refreshMs says: a sequence that
    // reads then writes decides on what every other process committed before it.
    ...(inner.exclusive === undefined ? {} : {
      exclusive: <T>(task: () => Promise<T>): Promise<T> => {
        const locked = inner.exclusive?.bind(inner);
        if (locked === undefined) return task();
        return locked(async () => {
          if (inner.changeCount !== undefined) await check(clock.now(), () => inner.changeCount?.() ?? Promise.resolve(0));
          return await task();
        });
      },
    }),
    savePromotion: (promotion) => inner.savePromotion(promotion),
    promotion: (id) => inner.promotion(id),
    promotions: (subject) => inner.promotions(subject),
    appendAudit: (entry) => inner.appendAudit(entry),
    audit: (subject) => inner.audit(subject),
    recordValidationFailure: (failure) => inner.recordValidationFailure(failure),
    validationFailures: (subject, since) => inner.validationFailures(subject, since),
  };
}
