import { describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, QUOTE_SCHEMA, TICK_SCHEMA } from '../../../src/core/index.js';
import { registerShippedSchemas, subjectForFrameSchema } from '../../../src/schema/index.js';
import { SHIPPED_SCHEMAS, parseSchema } from '../../../src/schema/internal.js';
import { V1, harness } from './harness.js';

describe('shipped schemas', () => {
  it('describes ts and every value column of core\'s frame schemas as required, non-nullable', () => {
    for (const frame of [OHLCV_SCHEMA, TICK_SCHEMA, QUOTE_SCHEMA]) {
      const shipped = SHIPPED_SCHEMAS.find((s) => s.subject === subjectForFrameSchema(frame.name));
      expect(shipped, frame.name).toBeDefined();
      const fields = parseSchema(shipped?.schema ?? '').fields;
      expect(fields[0]).toEqual({ name: 'ts', type: 'timestamp', nullable: false, required: true });
      expect(fields.slice(1)).toEqual(frame.columns.map((c) => ({ name: c.name, type: 'float64', nullable: false, required: true })));
    }
  });

  it('names subjects after frame schemas', () => {
    expect(SHIPPED_SCHEMAS.map((s) => s.subject)).toEqual(['seamless-ohlcv', 'seamless-tick', 'seamless-quote']);
    expect(subjectForFrameSchema('ohlcv')).toBe('seamless-ohlcv');
  });

  it('registers them once as seamless, and leaves subjects that already have versions alone', async () => {
    const { registry } = harness();
    await registry.setCompatibility('seamless-tick', 'NONE', 'admin');
    await registry.register('seamless-tick', V1, 'alice');
    const added = await registerShippedSchemas(registry);
    expect(added.map((v) => v.subject)).toEqual(['seamless-ohlcv', 'seamless-quote']);
    expect(await registerShippedSchemas(registry)).toEqual([]);
    expect(await registry.versions('seamless-tick')).toHaveLength(1);
    expect((await registry.audit('seamless-ohlcv'))[0]).toMatchObject({ action: 'register', actor: 'seamless' });
  });
});
