/**
 * Governance: validation modes, promotions canary → strict and the audit log.
 *
 * A subject becomes `strict` only through a promotion: a request naming a change request, then
 * approvals by two different identities (the requester may be one of them). The request, and
 * again the deciding approval, are refused while the subject had canary validation failures
 * within the canary window. The deciding approval sets `strict` and appends an audit entry with
 * the bundle SHA of every version of the subject. Rolling back to `canary` is allowed and audited.
 */
import { randomUUID } from 'node:crypto';
import { InvalidRequestError, NotFoundError } from '../core/index.js';
import { PromotionRefusedError, PromotionRequiredError } from './errors.js';
import { checkIdentity, checkSubject, formatWindow } from './registry-context.js';
import type { RegistryContext } from './registry-context.js';
import { VALIDATION_MODES } from './schema-types.js';
import type { AuditEntry, Promotion, SchemaVersion, ValidationMode } from './schema-types.js';

/** Distinct identities a promotion needs before the subject turns strict. */
export const REQUIRED_APPROVALS = 2;

export interface PromotionRequest {
  readonly requestedBy: string;
  /** The change request (ticket id) justifying the promotion. */
  readonly changeRequest: string;
  /** The version being promoted; the latest when omitted. */
  readonly version?: number;
}

export interface Governance {
  getValidationMode(subject: string): Promise<ValidationMode>;
  /** `canary` only (a rollback when the subject was strict); `strict` throws PromotionRequiredError. */
  setValidationMode(subject: string, mode: ValidationMode, actor: string): Promise<ValidationMode>;
  /** Records a validation failure when `messages` is non-empty (the read path calls this). */
  recordValidation(subject: string, mode: ValidationMode, messages: readonly string[]): Promise<void>;
  /** Canary failures of the subject within the last `windowMs` (default: the canary window). */
  canaryFailures(subject: string, windowMs?: number): Promise<number>;
  requestPromotion(subject: string, request: PromotionRequest): Promise<Promotion>;
  approve(promotionId: string, identity: string): Promise<Promotion>;
  promotion(id: string): Promise<Promotion | undefined>;
  promotions(subject?: string): Promise<Promotion[]>;
  audit(subject?: string): Promise<AuditEntry[]>;
}

export function createGovernance(ctx: RegistryContext): Governance {
  const { store, clock, defaults } = ctx;
  const windowMs = defaults.canaryWindowMs;

  async function refuseOnCanaryFailures(subject: string): Promise<number> {
    const failures = await ctx.canaryFailures(subject, windowMs);
    if (failures > 0) {
      throw new PromotionRefusedError(
        'canary_failures',
        `subject "${subject}" had ${failures} canary validation failure${failures === 1 ? '' : 's'} in the last ${formatWindow(windowMs)}; promotion to strict needs a canary window without failures`,
        { subject, canaryFailures: failures, canaryWindowMs: windowMs },
      );
    }
    return failures;
  }

  async function promotedVersion(subject: string, wanted: number | undefined): Promise<SchemaVersion> {
    const versions = await store.versions(subject);
    if (versions.length === 0) throw new NotFoundError('subject', subject);
    const found = wanted === undefined ? versions[versions.length - 1] : versions.find((v) => v.version === wanted);
    if (found === undefined) throw new NotFoundError('version', `${subject} version ${String(wanted)}`, { subject, version: wanted });
    return found;
  }

  async function decide(promotion: Promotion, approvers: readonly string[]): Promise<Promotion> {
    const failures = await refuseOnCanaryFailures(promotion.subject);
    const now = clock.now();
    const decided: Promotion = { ...promotion, state: 'approved', decidedAt: now };
    await store.setValidationMode(promotion.subject, 'strict');
    await store.savePromotion(decided);
    await ctx.audit({
      action: 'promotion',
      subject: promotion.subject,
      version: promotion.version,
      bundleSha: ctx.bundleSha(await store.versions(promotion.subject)),
      approvers,
      changeRequest: promotion.changeRequest,
      canaryWindowMs: windowMs,
      canaryFailures: failures,
      actor: approvers[approvers.length - 1],
      detail: `promotion ${promotion.id} of version ${promotion.version} requested by ${promotion.requestedBy}: canary → strict`,
    });
    return decided;
  }

  return {
    getValidationMode: (subject) => ctx.validationMode(subject),

    async setValidationMode(subject, mode, actor) {
      checkSubject(subject);
      checkIdentity('actor', actor);
      if (!VALIDATION_MODES.includes(mode)) throw new InvalidRequestError('mode', `must be one of ${VALIDATION_MODES.join(', ')}`);
      if (mode === 'strict') throw new PromotionRequiredError(subject);
      return await ctx.serial(async () => {
        const current = await ctx.validationMode(subject);
        if (current === mode) return mode;
        await store.setValidationMode(subject, mode);
        const versions = await store.versions(subject);
        await ctx.audit({
          action: 'mode_change',
          subject,
          version: versions.at(-1)?.version,
          bundleSha: ctx.bundleSha(versions),
          actor,
          detail: `rollback: validation mode ${current} → ${mode}`,
        });
        return mode;
      });
    },

    async recordValidation(subject, mode, messages) {
      if (messages.length === 0) return;
      await store.recordValidationFailure({ subject, mode, at: clock.now(), messages: [...messages] });
    },

    canaryFailures: (subject, window = windowMs) => ctx.canaryFailures(subject, window),

    async requestPromotion(subject, request) {
      checkSubject(subject);
      checkIdentity('requestedBy', request.requestedBy);
      if (typeof request.changeRequest !== 'string' || request.changeRequest.trim().length === 0) {
        throw new InvalidRequestError('changeRequest', 'a promotion must name its change request');
      }
      return await ctx.serial(async () => {
        const version = await promotedVersion(subject, request.version);
        if ((await ctx.validationMode(subject)) === 'strict') {
          throw new PromotionRefusedError('already_strict', `subject "${subject}" is already strict`, { subject });
        }
        const pending = (await store.promotions(subject)).find((p) => p.state === 'pending');
        if (pending !== undefined) {
          throw new PromotionRefusedError('promotion_pending', `subject "${subject}" already has pending promotion ${pending.id}; approve it instead`, { subject, promotionId: pending.id });
        }
        await refuseOnCanaryFailures(subject);
        const promotion: Promotion = {
          id: randomUUID(),
          subject,
          version: version.version,
          requestedBy: request.requestedBy,
          changeRequest: request.changeRequest,
          requestedAt: clock.now(),
          approvals: [],
          state: 'pending',
          decidedAt: undefined,
        };
        await store.savePromotion(promotion);
        return promotion;
      });
    },

    async approve(promotionId, identity) {
      checkIdentity('identity', identity);
      return await ctx.serial(async () => {
        const promotion = await store.promotion(promotionId);
        if (promotion === undefined) throw new NotFoundError('promotion', promotionId);
        if (promotion.state !== 'pending') {
          throw new PromotionRefusedError('not_pending', `promotion ${promotionId} is ${promotion.state}, not pending`, { promotionId, state: promotion.state });
        }
        if (promotion.approvals.some((a) => a.identity === identity)) {
          throw new PromotionRefusedError(
            'duplicate_approval',
            `"${identity}" has already approved promotion ${promotionId}; the next approval must come from a different identity`,
            { promotionId, identity },
          );
        }
        const approvals = [...promotion.approvals, { identity, at: clock.now() }];
        const approvers = approvals.map((a) => a.identity);
        if (approvers.length >= REQUIRED_APPROVALS) return decide({ ...promotion, approvals }, approvers);
        const updated: Promotion = { ...promotion, approvals };
        await store.savePromotion(updated);
        return updated;
      });
    },

    promotion: (id) => store.promotion(id),
    promotions: (subject) => store.promotions(subject),
    audit: (subject) => store.audit(subject),
  };
}
