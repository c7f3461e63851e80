/**
 * The RegistryStore conformance suite: every registry store runs these same behaviours
 * (`describeRegistryStore('memory', open)`, `describeRegistryStore('duckdb', open)`).
 * `open` must return a fresh, empty store each time.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Promotion, RegistryStore } from '../../src/schema/index.js';

const FP_A = 'sha256:' + 'a'.repeat(64);
const FP_B = 'sha256:' + 'b'.repeat(64);
const SCHEMA_A = '{"type":"object","title":"a","properties":{"px":{"type":"number"}}}';
const SCHEMA_B = '{"type":"object","title":"b","properties":{"px":{"type":"string"}}}';

function promotion(id: string, subject: string, requestedAt: number, over: Partial<Promotion> = {}): Promotion {
  return {
    id, subject, version: 1, requestedBy: 'alice', changeRequest: 'CR-1', requestedAt,
    approvals: [], state: 'pending', decidedAt: undefined, ...over,
  };
}

export function describeRegistryStore(name: string, open: () => Promise<RegistryStore>): void {
  describe(`registry store conformance: ${name}`, () => {
    let store: RegistryStore;
    beforeEach(async () => {
      store = await open();
    });

    it('starts empty', async () => {
      expect(await store.subjects()).toEqual([]);
      expect(await store.versions('nope')).toEqual([]);
      expect(await store.findByFingerprint('nope', FP_A)).toBeUndefined();
      expect(await store.schemaById(1)).toBeUndefined();
      expect(await store.compatibility(undefined)).toBeUndefined();
      expect(await store.compatibility('nope')).toBeUndefined();
      expect(await store.validationMode('nope')).toBeUndefined();
      expect(await store.promotions()).toEqual([]);
      expect(await store.audit()).toEqual([]);
    });

    it('soft-deletes versions (hidden from subjects and fingerprint lookups, kept in versions), then removes them for good', async () => {
      const v1 = await store.appendVersion('s', SCHEMA_A, FP_A, 1);
      await store.appendVersion('s', SCHEMA_B, FP_B, 2);
      await store.appendVersion('other', SCHEMA_A, FP_A, 3);
      await store.deleteVersions('s', [1, 2], false, 10);
      expect((await store.versions('s')).map((v) => [v.version, v.deleted])).toEqual([[1, true], [2, true]]);
      expect(await store.subjects()).toEqual(['other']);
      expect(await store.subjects(true)).toEqual(['other', 's']);
      expect(await store.findByFingerprint('s', FP_A)).toBeUndefined();
      // A registration after a soft delete takes the next number.
      expect(await store.appendVersion('s', SCHEMA_A, FP_A, 4)).toMatchObject({ version: 3, id: v1.id, deleted: false });
      await store.deleteVersions('s', [1, 2], true, 11);
      expect((await store.versions('s')).map((v) => v.version)).toEqual([3]);
      // The global id still resolves after a permanent delete.
      expect(await store.schemaById(v1.id)).toMatchObject({ id: v1.id, fingerprint: FP_A });
    });

    it('numbers versions of a subject from 1 and lists them ascending', async () => {
      const v1 = await store.appendVersion('s', SCHEMA_A, FP_A, 1000);
      const v2 = await store.appendVersion('s', SCHEMA_B, FP_B, 2000);
      expect(v1).toMatchObject({ subject: 's', version: 1, schema: SCHEMA_A, fingerprint: FP_A, registeredAt: 1000 });
      expect(v2).toMatchObject({ subject: 's', version: 2, schema: SCHEMA_B, fingerprint: FP_B, registeredAt: 2000 });
      expect((await store.versions('s')).map((v) => v.version)).toEqual([1, 2]);
      expect(await store.versions('s')).toEqual([v1, v2]);
    });

    it('lists subjects sorted, including names with colons and slashes', async () => {
      await store.appendVersion('zeta', SCHEMA_A, FP_A, 1);
      await store.appendVersion('ohlcv:binance:BTC/USDT', SCHEMA_A, FP_A, 1);
      await store.appendVersion('alpha', SCHEMA_A, FP_A, 1);
      expect(await store.subjects()).toEqual(['alpha', 'ohlcv:binance:BTC/USDT', 'zeta']);
    });

    it('reuses the global id of a fingerprint across subjects and allocates a new one for a new fingerprint', async () => {
      const a1 = await store.appendVersion('one', SCHEMA_A, FP_A, 1);
      const a2 = await store.appendVersion('two', SCHEMA_A, FP_A, 2);
      const b = await store.appendVersion('two', SCHEMA_B, FP_B, 3);
      expect(a2.id).toBe(a1.id);
      expect(b.id).not.toBe(a1.id);
      expect(await store.schemaById(a1.id)).toEqual({ id: a1.id, schema: SCHEMA_A, fingerprint: FP_A });
      expect(await store.schemaById(b.id)).toEqual({ id: b.id, schema: SCHEMA_B, fingerprint: FP_B });
    });

    it('finds a version by fingerprint only under its own subject', async () => {
      const v = await store.appendVersion('one', SCHEMA_A, FP_A, 1);
      expect(await store.findByFingerprint('one', FP_A)).toEqual(v);
      expect(await store.findByFingerprint('one', FP_B)).toBeUndefined();
      expect(await store.findByFingerprint('two', FP_A)).toBeUndefined();
    });

    it('keeps the registry compatibility apart from each subject\'s', async () => {
      await store.setCompatibility(undefined, 'FULL');
      await store.setCompatibility('s', 'NONE');
      expect(await store.compatibility(undefined)).toBe('FULL');
      expect(await store.compatibility('s')).toBe('NONE');
      expect(await store.compatibility('other')).toBeUndefined();
      await store.setCompatibility('s', 'FORWARD_TRANSITIVE');
      expect(await store.compatibility('s')).toBe('FORWARD_TRANSITIVE');
    });

    it('stores and overwrites a subject\'s validation mode', async () => {
      await store.setValidationMode('s', 'strict');
      expect(await store.validationMode('s')).toBe('strict');
      await store.setValidationMode('s', 'canary');
      expect(await store.validationMode('s')).toBe('canary');
      expect(await store.validationMode('t')).toBeUndefined();
    });

    it('saves promotions, replaces them by id and lists them by request time, per subject or all', async () => {
      await store.savePromotion(promotion('p2', 'b', 200));
      await store.savePromotion(promotion('p1', 'a', 100));
      const approved = promotion('p1', 'a', 100, { approvals: [{ identity: 'alice', at: 150 }, { identity: 'bob', at: 160 }], state: 'approved', decidedAt: 160 });
      await store.savePromotion(approved);
      expect(await store.promotion('p1')).toEqual(approved);
      expect(await store.promotion('nope')).toBeUndefined();
      expect((await store.promotions()).map((p) => p.id)).toEqual(['p1', 'p2']);
      expect((await store.promotions('b')).map((p) => p.id)).toEqual(['p2']);
    });

    it('appends audit entries with increasing sequence numbers and filters them by subject', async () => {
      const base = {
        action: 'register' as const, version: 1, bundleSha: FP_A, approvers: [] as string[], changeRequest: undefined,
        canaryWindowMs: undefined, canaryFailures: undefined, actor: 'alice', detail: 'registered',
      };
      const e1 = await store.appendAudit({ ...base, at: 10, subject: 'a' });
      const e2 = await store.appendAudit({
        ...base, at: 20, subject: 'b', action: 'promotion', approvers: ['alice', 'bob'], changeRequest: 'CR-7',
        canaryWindowMs: 172_800_000, canaryFailures: 0,
      });
      expect(e2.seq).toBeGreaterThan(e1.seq);
      expect(e2).toMatchObject({ subject: 'b', action: 'promotion', approvers: ['alice', 'bob'], changeRequest: 'CR-7', canaryWindowMs: 172_800_000, canaryFailures: 0 });
      expect(await store.audit()).toEqual([e1, e2]);
      expect(await store.audit('a')).toEqual([e1]);
    });

    it('returns validation failures of a subject at or after a time', async () => {
      await store.recordValidationFailure({ subject: 's', mode: 'canary', at: 100, messages: ['a'] });
      await store.recordValidationFailure({ subject: 's', mode: 'strict', at: 200, messages: ['b', 'c'] });
      await store.recordValidationFailure({ subject: 't', mode: 'canary', at: 300, messages: ['d'] });
      expect(await store.validationFailures('s', 0)).toHaveLength(2);
      expect(await store.validationFailures('s', 200)).toEqual([{ subject: 's', mode: 'strict', at: 200, messages: ['b', 'c'] }]);
      expect(await store.validationFailures('s', 201)).toEqual([]);
    });
  });
}
