import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../src/core/internal.js';
import { createCachedRegistryStore, createMemoryRegistryStore } from '../../../src/schema/internal.js';
import type { RegistryStore } from '../../../src/schema/index.js';


/** Counts the calls that reach the wrapped store. */
function counting(inner: RegistryStore): { store: RegistryStore; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const store = new Proxy(inner, {
    get(target, name: string) {
      const value = Reflect.get(target, name) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls[name] = (calls[name] ?? 0) + 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, calls };
}

describe('cached registry store', () => {
  it('answers repeated reads of versions, modes and compatibility without asking the store again', async () => {
    const { store, calls } = counting(createMemoryRegistryStore());
    const cached = createCachedRegistryStore(store);
    await cached.appendVersion('s', '{}', 'sha256:a', 1);
    for (let i = 0; i < 5; i++) {
      await cached.versions('s');
      await cached.validationMode('s');
      await cached.compatibility('s');
      await cached.compatibility(undefined);
      await cached.subjects();
    }
    expect(calls).toMatchObject({ versions: 1, validationMode: 1, compatibility: 2, subjects: 1 });
  });

  it('drops what a write changes, so the next read sees it', async () => {
    const cached = createCachedRegistryStore(createMemoryRegistryStore());
    expect(await cached.versions('s')).toEqual([]);
    expect(await cached.subjects()).toEqual([]);
    expect(await cached.validationMode('s')).toBeUndefined();
    await cached.appendVersion('s', '{}', 'sha256:a', 1);
    await cached.setValidationMode('s', 'strict');
    await cached.setCompatibility(undefined, 'FULL');
    expect((await cached.versions('s')).map((v) => v.version)).toEqual([1]);
    expect(await cached.subjects()).toEqual(['s']);
    expect(await cached.validationMode('s')).toBe('strict');
    expect(await cached.compatibility(undefined)).toBe('FULL');
  });

  it('hands out copies, so a caller cannot change what the cache holds', async () => {
    const cached = createCachedRegistryStore(createMemoryRegistryStore());
    await cached.appendVersion('s', '{}', 'sha256:a', 1);
    (await cached.versions('s')).pop();
    expect(await cached.versions('s')).toHaveLength(1);
  });
});

/** A store other processes write too: the memory store plus the change counter a shared store keeps. */
function sharedStore(): { store: RegistryStore; otherProcessSetsMode: (subject: string, mode: 'canary' | 'strict') => Promise<void> } {
  const inner = createMemoryRegistryStore();
  let changes = 0;
  const store: RegistryStore = { ...inner, changeCount: async () => changes };
  return {
    store,
    otherProcessSetsMode: async (subject, mode) => {
      await inner.setValidationMode(subject, mode);
      changes += 1;
    },
  };
}

describe('cached registry store over a store other processes write', () => {
  it('serves a change made elsewhere once refreshMs has passed since its last check, not before', async () => {
    const clock = createManualClock(1_000_000);
    const { store, otherProcessSetsMode } = sharedStore();
    const cached = createCachedRegistryStore(store, { refreshMs: 1_000, clock });
    expect(await cached.validationMode('s')).toBeUndefined();
    await otherProcessSetsMode('s', 'strict');
    // Within the bound the cached answer may still be served…
    clock.advance(999);
    expect(await cached.validationMode('s')).toBeUndefined();
    // …but never longer than refreshMs after the change.
    clock.advance(1);
    expect(await cached.validationMode('s')).toBe('strict');
  });

  it('keeps its entries when the counter has not moved', async () => {
    const clock = createManualClock(0);
    const { store } = sharedStore();
    const { store: counted, calls } = counting(store);
    const cached = createCachedRegistryStore(counted, { refreshMs: 1_000, clock });
    await cached.versions('s');
    for (let i = 0; i < 5; i++) {
      clock.advance(1_000);
      await cached.versions('s');
    }
    expect(calls.versions).toBe(1);
    expect(calls.changeCount).toBeGreaterThanOrEqual(5);
  });
});
