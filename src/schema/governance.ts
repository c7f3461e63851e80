/**
 * Governance: validation modes, promotions canary → strict and the audit log.
 *
 * A subject becomes `strict` only through a promotion: a request naming a change request, then
 * approvals by two different identities (the requester may be one of them). The request, and
 * again the deciding approval, are refused while the subject had canary validation failures
 * within the canary window. The deciding approval sets `strict` and appends an audit entry with
 * the bundle SHA of every live version of the subject. Rolling back to `canary` is allowed and audited.
 *
 * Strict enforces the APPROVED version: the version of the subject's newest approved promotion
 * (or, with no promotion — `strict` as the configured default — its first live version). A
 * version registered later is a candidate: reads are checked against it too, its failures are
 * recorded as canary failures, and it never blocks a read until a promotion of it is approved.
 */
import { randomUUID } from 'node:crypto';
import { InvalidRequestError, NotFoundError } from '../core/index.js';
import { PromotionRefusedError, PromotionRequiredError } from './errors.js';
import { checkIdentity, checkSubject, formatWindow } from './registry-context.js';
import type { RegistryContext } from './registry-context.js';
import { VALIDATION_MODES } from './schema-types.js';
import type { AuditEntry, ParsedSchema, Promotion, SchemaVersion, ValidationMode } from './schema-types.js';

/** Distinct identities a promotion needs before the subject turns strict. */
export const REQUIRED_APPROVALS = 2;

export interface PromotionRequest {
  readonly requestedBy: string;
  /** The change request (ticket id) justifying the promotion. */
  readonly changeRequest: string;
  /** The version being promoted; the latest when omitted. */
  readonly version?: number;
}

/** A version a read is checked against, with its parsed schema and the mode of the check. */
export interface ValidationTarget {
  readonly version: SchemaVersion;
  readonly schema: ParsedSchema;
  readonly mode: ValidationMode;
}

/** What a read of a subject is validated against (both undefined for a subject without live versions). */
export interface ValidationPlan {
  /** Strict: the approved version (failures block). Canary: the latest version (failures are recorded). */
  readonly primary: ValidationTarget | undefined;
  /** Strict only: a newer version awaiting promotion, checked in canary mode (recorded, never blocking). */
  readonly candidate: ValidationTarget | undefined;
}

export interface Governance {
  getValidationMode(subject: string): Promise<ValidationMode>;
  /** The version strict enforces on the subject (see the file header); undefined without live versions. */
  approvedVersion(subject: string): Promise<SchemaVersion | undefined>;
  /** What reads of the subject are checked against now. */
  validationPlan(subject: string): Promise<ValidationPlan>;
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

  async function approvedVersion(subject: string): Promise<SchemaVersion | undefined> {
    const live = await ctx.live(subject);
    if (live.length === 0) return undefined;
    const approved = (await store.promotions(subject)).filter((p) => p.state === 'approved');
    // Newest decision first; a promotion of a version deleted since no longer counts.
    approved.sort((a, b) => (b.decidedAt ?? 0) - (a.decidedAt ?? 0));
    for (const p of approved) {
      const v = live.find((x) => x.version === p.version);
      if (v !== undefined) return v;
    }
    return live[0];
  }

  async function promotedVersion(subject: string, wanted: number | undefined): Promise<SchemaVersion> {
    const versions = await ctx.live(subject);
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
      bundleSha: ctx.bundleSha(await ctx.live(promotion.subject)),
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
    approvedVersion,

    async validationPlan(subject) {
      const live = await ctx.live(subject);
      const latest = live.at(-1);
      if (latest === undefined) return { primary: undefined, candidate: undefined };
      const target = (version: SchemaVersion, mode: ValidationMode): ValidationTarget => ({ version, schema: ctx.stored(version.schema).schema, mode });
      if ((await ctx.validationMode(subject)) === 'canary') return { primary: target(latest, 'canary'), candidate: undefined };
      const approved = (await approvedVersion(subject)) ?? latest;
      return {
        primary: target(approved, 'strict'),
        candidate: latest.version > approved.version ? target(latest, 'canary') : undefined,
      };
    },

    async setValidationMode(subject, mode, actor) {
      checkSubject(subject);
      checkIdentity('actor', actor);
      if (!VALIDATION_MODES.includes(mode)) throw new InvalidRequestError('mode', `must be one of ${VALIDATION_MODES.join(', ')}`);
      if (mode === 'strict') throw new PromotionRequiredError(subject);
      return await ctx.serial(async () => {
        const current = await ctx.validationMode(subject);
        if (current === mode) return mode;
        await store.setValidationMode(subject, mode);
        const versions = await ctx.live(subject);
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
          // Strict already: only a version newer than the approved one can be promoted.
          const approved = await approvedVersion(subject);
          if (approved !== undefined && version.version <= approved.version) {
            throw new PromotionRefusedError(
              'already_strict',
              `subject "${subject}" is already strict on version ${approved.version}; register a newer version and promote that one`,
              { subject, approvedVersion: approved.version, version: version.version },
            );
          }
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
