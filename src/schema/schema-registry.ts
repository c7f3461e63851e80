/**
 * The schema registry: subjects, versions, global ids, compatibility (this file) and
 * governance (governance.ts) over one `RegistryStore`. Embedded in the gateway process, or served
 * under `/registry` with a Confluent-compatible REST subset (API.md).
 */
import { InvalidRequestError, NotFoundError } from '../core/index.js';
import type { Clock } from '../core/index.js';
import { checkCompatibility as compare } from './compatibility.js';
import { DeleteRefusedError, IncompatibleSchemaError } from './errors.js';
import { createGovernanceDocument } from './governance-document.js';
import { createGovernance } from './governance.js';
import type { Governance } from './governance.js';
import { GLOBAL_CONFIG_SUBJECT, checkIdentity, checkSubject, createRegistryContext } from './registry-context.js';
import type { RegistryDefaults } from './registry-context.js';
import type { RegistryStore } from './registry-store.js';
import { createCachedRegistryStore } from './cached-registry-store.js';
import { readSchemaDocument } from './schema-document.js';
import { COMPATIBILITY_MODES } from './schema-types.js';
import type { CompatibilityMode, CompatibilityResult, ParsedSchema, SchemaVersion } from './schema-types.js';

export interface SchemaRegistryOptions {
  readonly store: RegistryStore;
  readonly clock: Clock;
  readonly defaults: RegistryDefaults;
  /**
   * The docs directory: every audited change is appended to
   * `<docsDir>/operations/schema_registry_governance.md` (created when missing). Unset: no document.
   */
  readonly docsDir?: string;
  /**
   * With a store other processes write too (`changeCount`): the longest a cached answer may
   * outlive their change (default DEFAULT_REGISTRY_REFRESH_MS, 1,000 ms).
   */
  readonly refreshMs?: number;
}

export type VersionRef = number | 'latest';

/** Listing options: `deleted` includes soft-deleted subjects and versions (Confluent's `?deleted=true`). */
export interface ListOptions {
  readonly deleted?: boolean;
}

export interface SchemaRegistry extends Governance {
  /** Subjects with at least one live version (or, with `deleted`, any stored version), sorted. */
  subjects(options?: ListOptions): Promise<string[]>;
  /**
   * Registers a schema under a subject. Idempotent: a schema with the same canonical form returns
   * the existing version. Otherwise the subject's compatibility mode is checked
   * (IncompatibleSchemaError, 409) and the new version is appended and audited.
   */
  register(subject: string, schemaText: string, actor: string): Promise<SchemaVersion>;
  /** Live versions, ascending (with `deleted`, soft-deleted ones too). */
  versions(subject: string, options?: ListOptions): Promise<SchemaVersion[]>;
  /** A live version (with `deleted`, also a soft-deleted one); `latest` is the newest of those. */
  version(subject: string, version: VersionRef, options?: ListOptions): Promise<SchemaVersion | undefined>;
  /**
   * Confluent's `DELETE /subjects/{s}`: soft-deletes every live version, or with `permanent`
   * removes every version, all of which must be soft-deleted already. Returns the version
   * numbers deleted; audited (`delete`). NotFoundError('subject') for a subject without stored
   * versions; DeleteRefusedError `subject_soft_deleted` / `subject_not_soft_deleted` out of order.
   */
  deleteSubject(subject: string, permanent: boolean, actor: string): Promise<number[]>;
  /**
   * Confluent's `DELETE /subjects/{s}/versions/{v}`: as deleteSubject for one version (`latest`:
   * the newest live version; with `permanent`, the newest stored). Returns its number; audited.
   */
  deleteVersion(subject: string, version: VersionRef, permanent: boolean, actor: string): Promise<number>;
  schemaById(id: number): Promise<{ readonly id: number; readonly schema: string; readonly fingerprint: string } | undefined>;
  /** The version of the subject with this schema's canonical form (Confluent `POST /subjects/{s}`). */
  lookup(subject: string, schemaText: string): Promise<SchemaVersion | undefined>;
  /**
   * Whether the schema may follow `version` under the subject's mode, with `version` treated as
   * the latest: transitive modes compare with versions 1…version, the others with it alone. An
   * unknown subject or version throws NotFoundError (`what` = 'subject' | 'version'); `latest`
   * of an empty subject is compatible.
   */
  checkCompatibility(subject: string, schemaText: string, version: VersionRef): Promise<CompatibilityResult>;
  /** Subject config → registry config → default; the registry's own when `subject` is undefined. */
  getCompatibility(subject?: string): Promise<CompatibilityMode>;
  /** The subject's own compatibility setting, without falling back; undefined when it has none. */
  getSubjectCompatibility(subject: string): Promise<CompatibilityMode | undefined>;
  setCompatibility(subject: string | undefined, mode: CompatibilityMode, actor: string): Promise<CompatibilityMode>;
  /** A version with its parsed schema (parsed once per stored text). */
  parsed(subject: string, version: VersionRef): Promise<{ readonly version: SchemaVersion; readonly schema: ParsedSchema } | undefined>;
}

function pick(versions: readonly SchemaVersion[], ref: VersionRef): SchemaVersion | undefined {
  if (ref === 'latest') return versions.at(-1);
  return versions.find((v) => v.version === ref);
}

export function createSchemaRegistry(options: SchemaRegistryOptions): SchemaRegistry {
  const { clock } = options;
  // The registry is its store's only writer in this process: cache what reads ask for.
  const store = createCachedRegistryStore(options.store, { clock, ...(options.refreshMs === undefined ? {} : { refreshMs: options.refreshMs }) });
  const document = options.docsDir === undefined ? undefined : createGovernanceDocument(options.docsDir);
  const ctx = createRegistryContext(store, clock, options.defaults, document);
  const governance = createGovernance(ctx);

  async function listed(subject: string, opts: ListOptions | undefined): Promise<SchemaVersion[]> {
    return opts?.deleted === true ? store.versions(subject) : ctx.live(subject);
  }

  async function version(subject: string, ref: VersionRef, opts?: ListOptions): Promise<SchemaVersion | undefined> {
    return pick(await listed(subject, opts), ref);
  }

  /** Deletes `targets` (already checked) and audits it. */
  async function remove(subject: string, targets: readonly SchemaVersion[], permanent: boolean, actor: string): Promise<number[]> {
    const numbers = targets.map((v) => v.version);
    await store.deleteVersions(subject, numbers, permanent, clock.now());
    const left = await ctx.live(subject);
    const kind = permanent ? 'permanently deleted' : 'soft-deleted';
    await ctx.audit({
      action: 'delete',
      subject,
      version: numbers.length === 1 ? numbers[0] : undefined,
      bundleSha: ctx.bundleSha(left),
      actor,
      detail: `${kind} version${numbers.length === 1 ? '' : 's'} ${numbers.join(', ')} (ids ${[...new Set(targets.map((v) => v.id))].join(', ')})`,
    });
    return numbers;
  }

  return {
    ...governance,

    subjects: (opts) => store.subjects(opts?.deleted === true),

    async register(subject, schemaText, actor) {
      checkSubject(subject);
      checkIdentity('actor', actor);
      const doc = readSchemaDocument(schemaText);
      return await ctx.serial(async () => {
        const existing = await store.findByFingerprint(subject, doc.fingerprint);
        if (existing !== undefined) return existing;
        const history = await ctx.live(subject);
        const mode = await ctx.compatibility(subject);
        const result = compare(mode, doc.schema, history.map((v) => ctx.stored(v.schema).schema));
        if (!result.compatible) throw new IncompatibleSchemaError(subject, mode, result.messages);
        const added = await store.appendVersion(subject, schemaText, doc.fingerprint, clock.now());
        await ctx.audit({
          action: 'register',
          subject,
          version: added.version,
          bundleSha: ctx.bundleSha([...history, added]),
          actor,
          detail: `registered version ${added.version} (id ${added.id}, ${added.fingerprint}) under ${mode}`,
        });
        return added;
      });
    },

    versions: (subject, opts) => listed(subject, opts),
    version,

    async deleteSubject(subject, permanent, actor) {
      checkSubject(subject);
      checkIdentity('actor', actor);
      return await ctx.serial(async () => {
        const all = await store.versions(subject);
        if (all.length === 0) throw new NotFoundError('subject', subject);
        const live = all.filter((v) => !v.deleted);
        if (!permanent) {
          if (live.length === 0) throw new DeleteRefusedError('subject_soft_deleted', `subject "${subject}" was soft-deleted already; delete it with permanent=true to remove it for good`, { subject });
          return remove(subject, live, false, actor);
        }
        if (live.length > 0) {
          throw new DeleteRefusedError('subject_not_soft_deleted', `subject "${subject}" was not soft-deleted first (live versions ${live.map((v) => v.version).join(', ')}); delete it without permanent=true, then with it`, { subject });
        }
        return remove(subject, all, true, actor);
      });
    },

    async deleteVersion(subject, ref, permanent, actor) {
      checkSubject(subject);
      checkIdentity('actor', actor);
      return await ctx.serial(async () => {
        const all = await store.versions(subject);
        const live = all.filter((v) => !v.deleted);
        if (all.length === 0 || (!permanent && live.length === 0)) throw new NotFoundError('subject', subject);
        const target = pick(ref === 'latest' && !permanent ? live : all, ref);
        if (target === undefined) throw new NotFoundError('version', `${subject} version ${String(ref)}`, { subject, version: ref });
        if (!permanent && target.deleted) {
          throw new DeleteRefusedError('version_soft_deleted', `version ${target.version} of subject "${subject}" was soft-deleted already; delete it with permanent=true to remove it for good`, { subject, version: target.version });
        }
        if (permanent && !target.deleted) {
          throw new DeleteRefusedError('version_not_soft_deleted', `version ${target.version} of subject "${subject}" was not soft-deleted first; delete it without permanent=true, then with it`, { subject, version: target.version });
        }
        const [deleted] = await remove(subject, [target], permanent, actor);
        return deleted;
      });
    },
    schemaById: (id) => store.schemaById(id),

    async lookup(subject, schemaText) {
      return store.findByFingerprint(subject, readSchemaDocument(schemaText).fingerprint);
    },

    async checkCompatibility(subject, schemaText, ref) {
      const doc = readSchemaDocument(schemaText);
      const versions = await ctx.live(subject);
      if (versions.length === 0) {
        if (ref === 'latest') return Object.freeze({ compatible: true, messages: Object.freeze([]) });
        throw new NotFoundError('subject', subject);
      }
      const against = pick(versions, ref);
      if (against === undefined) throw new NotFoundError('version', `${subject} version ${String(ref)}`, { subject, version: ref });
      const history = versions.filter((v) => v.version <= against.version).map((v) => ctx.stored(v.schema).schema);
      return compare(await ctx.compatibility(subject), doc.schema, history);
    },

    getCompatibility: (subject) => ctx.compatibility(subject),
    getSubjectCompatibility: (subject) => store.compatibility(subject),

    async setCompatibility(subject, mode, actor) {
      if (subject !== undefined) checkSubject(subject);
      checkIdentity('actor', actor);
      if (!COMPATIBILITY_MODES.includes(mode)) throw new InvalidRequestError('compatibility', `must be one of ${COMPATIBILITY_MODES.join(', ')}`);
      return await ctx.serial(async () => {
        const before = await ctx.compatibility(subject);
        await store.setCompatibility(subject, mode);
        const versions = subject === undefined ? [] : await ctx.live(subject);
        await ctx.audit({
          action: 'config_change',
          subject: subject ?? GLOBAL_CONFIG_SUBJECT,
          version: versions.at(-1)?.version,
          bundleSha: ctx.bundleSha(versions),
          actor,
          detail: `compatibility ${before} → ${mode}`,
        });
        return mode;
      });
    },

    async parsed(subject, ref) {
      const found = await version(subject, ref);
      return found === undefined ? undefined : Object.freeze({ version: found, schema: ctx.stored(found.schema).schema });
    },
  };
}
