/**
 * The schemas Seamless ships for core's frame schemas (OHLCV, tick, quote), registered at first
 * start. Each describes `ts` (epoch-ms timestamp, required) and the frame's value columns as
 * required float64 with the nullability of core's column spec.
 */
import { OHLCV_SCHEMA, QUOTE_SCHEMA, TICK_SCHEMA } from '../core/index.js';
import type { FrameSchema } from '../core/index.js';
import type { SchemaRegistry } from './schema-registry.js';
import { renderSchema } from './schema-document.js';
import type { SchemaField, SchemaVersion } from './schema-types.js';

export type ShippedSubject = 'seamless-ohlcv' | 'seamless-tick' | 'seamless-quote';

export interface ShippedSchema {
  readonly subject: ShippedSubject;
  readonly schema: string;
}

/** The actor shipped schemas are registered as. */
export const SHIPPED_SCHEMA_ACTOR = 'seamless';

/** The registry subject of a frame schema name: `ohlcv` → `seamless-ohlcv`. */
export function subjectForFrameSchema(name: string): string {
  return `seamless-${name}`;
}

function shipped(subject: ShippedSubject, frame: FrameSchema): ShippedSchema {
  const fields: SchemaField[] = [{ name: 'ts', type: 'timestamp', nullable: false, required: true }];
  for (const c of frame.columns) fields.push({ name: c.name, type: c.type, nullable: c.nullable, required: true });
  const schema = renderSchema(
    { title: `seamless.${frame.name}`, fields },
    { description: `One ${frame.name} row: ts is epoch milliseconds (UTC); value columns are float64.` },
  );
  return Object.freeze({ subject, schema });
}

export const SHIPPED_SCHEMAS: readonly ShippedSchema[] = Object.freeze([
  shipped('seamless-ohlcv', OHLCV_SCHEMA),
  shipped('seamless-tick', TICK_SCHEMA),
  shipped('seamless-quote', QUOTE_SCHEMA),
]);

/**
 * Registers each shipped schema whose subject has no version yet (a subject that evolved keeps
 * its history untouched, and one an operator soft-deleted stays deleted). Returns the versions
 * registered now.
 */
export async function registerShippedSchemas(registry: SchemaRegistry): Promise<SchemaVersion[]> {
  const added: SchemaVersion[] = [];
  for (const { subject, schema } of SHIPPED_SCHEMAS) {
    if ((await registry.versions(subject, { deleted: true })).length > 0) continue;
    added.push(await registry.register(subject, schema, SHIPPED_SCHEMA_ACTOR));
  }
  return added;
}
