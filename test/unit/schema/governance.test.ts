import { describe, expect, it } from 'vitest';
import { InvalidRequestError, NotFoundError } from '../../../src/core/index.js';
import { PromotionRefusedError, PromotionRequiredError, bundleFingerprint, canonicalSchema } from '../../../src/schema/internal.js';
import { HOUR, T0, V1, V2, harness, rejection, schemaText } from './harness.js';

const REQUEST = { requestedBy: 'alice', changeRequest: 'CR-42' };

async function withTwoVersions() {
  const h = harness();
  await h.registry.register('s', V1, 'alice');
  await h.registry.register('s', V2, 'alice');
  return h;
}

describe('schema governance', () => {
  it('starts subjects in the configured validation mode', async () => {
    expect(await harness().registry.getValidationMode('s')).toBe('canary');
    expect(await harness({ validationMode: 'strict' }).registry.getValidationMode('s')).toBe('strict');
  });

  it('refuses to set strict directly: strict is reached only through a promotion', async () => {
    const { registry } = await withTwoVersions();
    const err = await rejection(registry.setValidationMode('s', 'strict', 'alice'));
    expect(err).toBeInstanceOf(PromotionRequiredError);
    expect((err as PromotionRequiredError).code).toBe('conflict');
    expect((err as PromotionRequiredError).details.reason).toBe('promotion_required');
    expect(await registry.getValidationMode('s')).toBe('canary');
  });

  it('keeps a promotion with one approval pending', async () => {
    const { registry } = await withTwoVersions();
    const requested = await registry.requestPromotion('s', REQUEST);
    expect(requested).toMatchObject({ subject: 's', version: 2, requestedBy: 'alice', changeRequest: 'CR-42', state: 'pending', approvals: [], requestedAt: T0 });
    const once = await registry.approve(requested.id, 'bob');
    expect(once.state).toBe('pending');
    expect(once.approvals.map((a) => a.identity)).toEqual(['bob']);
    expect(await registry.getValidationMode('s')).toBe('canary');
    expect((await registry.audit('s')).some((e) => e.action === 'promotion')).toBe(false);
  });

  it('refuses a second approval by the same identity, naming it', async () => {
    const { registry } = await withTwoVersions();
    const { id } = await registry.requestPromotion('s', REQUEST);
    await registry.approve(id, 'bob');
    const err = await rejection(registry.approve(id, 'bob'));
    expect(err).toBeInstanceOf(PromotionRefusedError);
    expect((err as PromotionRefusedError).code).toBe('conflict');
    expect((err as PromotionRefusedError).details).toMatchObject({ reason: 'duplicate_approval', identity: 'bob' });
    expect(err.message).toContain('"bob"');
    expect((await registry.promotion(id))?.state).toBe('pending');
    expect(await registry.getValidationMode('s')).toBe('canary');
  });

  it('makes the subject strict on the second distinct approval and audits it with the bundle SHA', async () => {
    const { registry, clock } = await withTwoVersions();
    const { id } = await registry.requestPromotion('s', { ...REQUEST, version: 1 });
    clock.advance(HOUR);
    await registry.approve(id, 'alice');
    clock.advance(HOUR);
    const approved = await registry.approve(id, 'carol');
    expect(approved).toMatchObject({ state: 'approved', decidedAt: T0 + 2 * HOUR, version: 1 });
    expect(await registry.getValidationMode('s')).toBe('strict');
    expect(await registry.promotions('s')).toEqual([approved]);
    const entry = (await registry.audit('s')).find((e) => e.action === 'promotion');
    expect(entry).toMatchObject({
      at: T0 + 2 * HOUR, subject: 's', version: 1, approvers: ['alice', 'carol'], changeRequest: 'CR-42',
      canaryWindowMs: 48 * HOUR, canaryFailures: 0, actor: 'carol',
      bundleSha: bundleFingerprint([canonicalSchema(V1), canonicalSchema(V2)]),
    });
  });

  it('refuses a promotion while the subject had canary failures within the window, naming count and window', async () => {
    const { registry, clock } = await withTwoVersions();
    await registry.recordValidation('s', 'canary', ['column "close" is observed as string']);
    await registry.recordValidation('s', 'canary', []);
    clock.advance(HOUR);
    await registry.recordValidation('s', 'canary', ['missing column "ts"']);
    expect(await registry.canaryFailures('s')).toBe(2);
    const err = await rejection(registry.requestPromotion('s', REQUEST));
    expect(err).toBeInstanceOf(PromotionRefusedError);
    expect((err as PromotionRefusedError).details).toMatchObject({ reason: 'canary_failures', canaryFailures: 2, canaryWindowMs: 48 * HOUR });
    expect(err.message).toContain('2 canary validation failures in the last 48h');

    clock.advance(47 * HOUR + 1);
    expect(await registry.canaryFailures('s')).toBe(1);
    await expect(registry.requestPromotion('s', REQUEST)).rejects.toThrow(/1 canary validation failure in the last 48h/);
    clock.advance(HOUR);
    expect(await registry.canaryFailures('s')).toBe(0);
    expect((await registry.requestPromotion('s', REQUEST)).state).toBe('pending');
  });

  it('refuses the deciding approval when canary failures arrived after the request', async () => {
    const { registry } = await withTwoVersions();
    const { id } = await registry.requestPromotion('s', REQUEST);
    await registry.approve(id, 'alice');
    await registry.recordValidation('s', 'canary', ['bad']);
    await expect(registry.approve(id, 'bob')).rejects.toBeInstanceOf(PromotionRefusedError);
    expect((await registry.promotion(id))?.state).toBe('pending');
    expect(await registry.getValidationMode('s')).toBe('canary');
  });

  it('ignores strict-mode failures when counting canary failures', async () => {
    const { registry } = await withTwoVersions();
    await registry.recordValidation('s', 'strict', ['rejected']);
    expect(await registry.canaryFailures('s')).toBe(0);
  });

  it('refuses a promotion for a subject already strict, one already pending, or one without versions', async () => {
    const { registry } = await withTwoVersions();
    const { id } = await registry.requestPromotion('s', REQUEST);
    expect((await rejection(registry.requestPromotion('s', REQUEST)) as PromotionRefusedError).details.reason).toBe('promotion_pending');
    await registry.approve(id, 'alice');
    await registry.approve(id, 'bob');
    expect((await rejection(registry.requestPromotion('s', REQUEST)) as PromotionRefusedError).details.reason).toBe('already_strict');
    expect((await rejection(registry.approve(id, 'carol')) as PromotionRefusedError).details.reason).toBe('not_pending');
    expect(await rejection(registry.requestPromotion('nope', REQUEST))).toBeInstanceOf(NotFoundError);
    expect(await rejection(registry.requestPromotion('s', { ...REQUEST, version: 9 }))).toBeInstanceOf(NotFoundError);
    expect(await rejection(registry.approve('no-such-id', 'bob'))).toBeInstanceOf(NotFoundError);
  });

  it('requires a requester, a change request and an approving identity', async () => {
    const { registry } = await withTwoVersions();
    const fieldOf = (err: Error): string => (err instanceof InvalidRequestError ? err.field : 'not an InvalidRequestError');
    expect(fieldOf(await rejection(registry.requestPromotion('s', { requestedBy: '', changeRequest: 'CR' })))).toBe('requestedBy');
    expect(fieldOf(await rejection(registry.requestPromotion('s', { requestedBy: 'a', changeRequest: ' ' })))).toBe('changeRequest');
    const { id } = await registry.requestPromotion('s', REQUEST);
    expect(fieldOf(await rejection(registry.approve(id, '')))).toBe('identity');
  });

  it('allows rolling back to canary and audits the rollback', async () => {
    const { registry, clock } = await withTwoVersions();
    const { id } = await registry.requestPromotion('s', REQUEST);
    await registry.approve(id, 'alice');
    await registry.approve(id, 'bob');
    clock.advance(HOUR);
    expect(await registry.setValidationMode('s', 'canary', 'oncall')).toBe('canary');
    expect(await registry.getValidationMode('s')).toBe('canary');
    const rollback = (await registry.audit('s')).at(-1);
    expect(rollback).toMatchObject({ action: 'mode_change', actor: 'oncall', at: T0 + HOUR, version: 2, detail: 'rollback: validation mode strict → canary' });
    // Already canary: nothing changes and nothing is audited.
    const count = (await registry.audit()).length;
    await registry.setValidationMode('s', 'canary', 'oncall');
    expect(await registry.audit()).toHaveLength(count);
  });

  it('numbers the audit log in order across subjects', async () => {
    const { registry } = await withTwoVersions();
    await registry.register('t', V1, 'bob');
    const seqs = (await registry.audit()).map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect((await registry.audit('t')).map((e) => e.subject)).toEqual(['t']);
  });
});

describe('strict subjects with a version awaiting promotion', () => {
  const V3 = schemaText({ close: { type: 'number' }, vwap: { type: 'number' } }, ['ts', 'close', 'vwap']);

  it('enforces the approved version, checks a newer one as canary, and enforces it once its promotion is approved', async () => {
    const { registry, clock } = harness({ canaryWindowMs: HOUR });
    await registry.register('s', V1, 'seamless');
    const first = await registry.requestPromotion('s', { requestedBy: 'alice', changeRequest: 'CR-1' });
    await registry.approve(first.id, 'alice');
    await registry.approve(first.id, 'bob');
    await registry.setCompatibility('s', 'NONE', 'alice');
    await registry.register('s', V3, 'alice');

    const during = await registry.validationPlan('s');
    expect(during.primary).toMatchObject({ version: { version: 1 }, mode: 'strict' });
    expect(during.candidate).toMatchObject({ version: { version: 2 }, mode: 'canary' });
    // The approved version cannot be promoted again; the newer one can.
    await expect(registry.requestPromotion('s', { requestedBy: 'alice', changeRequest: 'CR-2', version: 1 })).rejects.toMatchObject({ details: { reason: 'already_strict' } });
    clock.advance(HOUR);
    const second = await registry.requestPromotion('s', { requestedBy: 'alice', changeRequest: 'CR-2' });
    expect(second.version).toBe(2);
    await registry.approve(second.id, 'carol');
    expect((await registry.validationPlan('s')).primary?.version.version).toBe(1);
    await registry.approve(second.id, 'dave');

    const after = await registry.validationPlan('s');
    expect(after.primary).toMatchObject({ version: { version: 2 }, mode: 'strict' });
    expect(after.candidate).toBeUndefined();
    expect(await registry.approvedVersion('s')).toMatchObject({ version: 2 });
  });

  it('with strict as the configured default and no promotion, enforces the first version and keeps later ones canary', async () => {
    const { registry } = harness({ validationMode: 'strict', compatibility: 'NONE' });
    await registry.register('s', V1, 'seamless');
    await registry.register('s', V3, 'alice');
    const plan = await registry.validationPlan('s');
    expect(plan.primary).toMatchObject({ version: { version: 1 }, mode: 'strict' });
    expect(plan.candidate).toMatchObject({ version: { version: 2 }, mode: 'canary' });
  });
});
