/**
 * The schema registry: subjects, versions, global ids, compatibility (this file) and
 * governance (governance.ts) over one `RegistryStore`. Embedded in the gateway process, or served
 * under `/registry` with a Confluent-compatible REST subset (API.md).
 */
import { InvalidRequestError, NotFoundError } from '../core/index.js';
import type { Clock } from '../core/index.js';
import { checkCompatibility as compare } from './compatibility.js';
import { IncompatibleSchemaError } from './errors.js';
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
}

export type VersionRef = number | 'latest';

export interface SchemaRegistry extends Governance {
  /** Subjects with at least one version, sorted. */
  subjects(): Promise<string[]>;
  /**
   * Registers a schema under a subject. Idempotent: a schema with the same canonical form returns
   * the existing version. Otherwise the subject's compatibility mode is checked
   * (IncompatibleSchemaError, 409) and the new version is appended and audited.
   */
  register(subject: string, schemaText: string, actor: string): Promise<SchemaVersion>;
  versions(subject: string): Promise<SchemaVersion[]>;
  version(subject: string, version: VersionRef): Promise<SchemaVersion | undefined>;
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
  const store = createCachedRegistryStore(options.store);
  const ctx = createRegistryContext(store, clock, options.defaults);
  const governance = createGovernance(ctx);

  async function version(subject: string, ref: VersionRef): Promise<SchemaVersion | undefined> {
    return pick(await store.versions(subject), ref);
  }

  return {
    ...governance,

    subjects: () => store.subjects(),

    async register(subject, schemaText, actor) {
      checkSubject(subject);
      checkIdentity('actor', actor);
      const doc = readSchemaDocument(schemaText);
      return await ctx.serial(async () => {
        const existing = await store.findByFingerprint(subject, doc.fingerprint);
        if (existing !== undefined) return existing;
        const history = await store.versions(subject);
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

    versions: (subject) => store.versions(subject),
    version,
    schemaById: (id) => store.schemaById(id),

    async lookup(subject, schemaText) {
      return store.findByFingerprint(subject, readSchemaDocument(schemaText).fingerprint);
    },

    async checkCompatibility(subject, schemaText, ref) {
      const doc = readSchemaDocument(schemaText);
      const versions = await store.versions(subject);
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
        const versions = subject === undefined ? [] : await store.versions(subject);
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
