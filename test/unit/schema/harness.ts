/** A registry over the in-memory store with a manual clock, and schema texts for the tests. */
import { createManualClock } from '../../../src/core/internal.js';
import type { ManualClock } from '../../../src/core/internal.js';
import { createSchemaRegistry } from '../../../src/schema/index.js';
import { createMemoryRegistryStore } from '../../../src/schema/internal.js';
import type { RegistryStore, SchemaRegistry } from '../../../src/schema/index.js';
import type { RegistryDefaults } from '../../../src/schema/internal.js';

export const HOUR = 3_600_000;
export const T0 = Date.UTC(2024, 5, 1);

export interface Harness {
  readonly registry: SchemaRegistry;
  readonly store: RegistryStore;
  readonly clock: ManualClock;
}

export function harness(defaults: Partial<RegistryDefaults> = {}): Harness {
  const clock = createManualClock(T0);
  const store = createMemoryRegistryStore();
  const registry = createSchemaRegistry({
    store,
    clock,
    defaults: { compatibility: 'BACKWARD', validationMode: 'canary', canaryWindowMs: 48 * HOUR, ...defaults },
  });
  return { registry, store, clock };
}

/** A schema document with `ts` plus the given columns (`name: JSON Schema of the column`). */
export function schemaText(columns: Record<string, unknown>, required: readonly string[] = ['ts'], title = 'bars'): string {
  return JSON.stringify({ type: 'object', title, properties: { ts: { type: 'integer', $comment: 'timestamp-millis' }, ...columns }, required });
}

export const V1 = schemaText({ close: { type: 'number' } }, ['ts', 'close']);
export const V2 = schemaText({ close: { type: 'number' }, volume: { type: ['number', 'null'] } }, ['ts', 'close']);

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Error) return err;
    throw err;
  }
  throw new TypeError('expected the promise to reject');
}
