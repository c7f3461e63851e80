import { describe, expect, it } from 'vitest';
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
