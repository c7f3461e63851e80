/**
 * What the registry's parts (schema-registry.ts, governance.ts) share: the store, the clock,
 * the defaults, a cache of parsed stored schemas, one write queue, and small checks.
 */
import { InvalidRequestError } from '../core/index.js';
import type { Clock } from '../core/index.js';
import { InvalidSubjectError } from './errors.js';
import type { GovernanceDocument } from './governance-document.js';
import type { RegistryStore } from './registry-store.js';
import { bundleFingerprint, readSchemaDocument } from './schema-document.js';
import type { SchemaDocument } from './schema-document.js';
import type { AuditEntry, CompatibilityMode, SchemaVersion, ValidationMode } from './schema-types.js';

/** The subject audit entries of registry-wide settings carry (Confluent's name for it). */
export const GLOBAL_CONFIG_SUBJECT = '__GLOBAL';
export const MAX_SUBJECT_LENGTH = 255;

/** Settings that apply where neither the subject nor the registry has its own. */
export interface RegistryDefaults {
  readonly compatibility: CompatibilityMode;
  readonly validationMode: ValidationMode;
  /** A promotion is refused while the subject had canary failures this recently. */
  readonly canaryWindowMs: number;
}

export interface RegistryContext {
  readonly store: RegistryStore;
  readonly clock: Clock;
  readonly defaults: RegistryDefaults;
  /** The versions of a subject that are not soft-deleted, ascending. */
  live(subject: string): Promise<SchemaVersion[]>;
  /** The parsed form of a stored schema text, parsed once. */
  stored(text: string): SchemaDocument;
  /** Runs writes one at a time (across processes on a shared store), so check-then-append sequences cannot interleave. */
  serial<T>(task: () => Promise<T>): Promise<T>;
  /** Subject config → registry config → default. */
  compatibility(subject: string | undefined): Promise<CompatibilityMode>;
  validationMode(subject: string): Promise<ValidationMode>;
  /** SHA-256 over the canonical forms of every version of the subject, in version order. */
  bundleSha(versions: readonly SchemaVersion[]): string;
  canaryFailures(subject: string, windowMs: number): Promise<number>;
  audit(entry: Omit<AuditEntry, 'seq' | 'at' | 'approvers' | 'changeRequest' | 'canaryWindowMs' | 'canaryFailures'> & Partial<Pick<AuditEntry, 'approvers' | 'changeRequest' | 'canaryWindowMs' | 'canaryFailures'>>): Promise<AuditEntry>;
}

/**
 * `document`, when given, receives the whole audit log after each audited change and appends
 * what it lacks (governance-document.ts).
 */
export function createRegistryContext(store: RegistryStore, clock: Clock, defaults: RegistryDefaults, document?: GovernanceDocument): RegistryContext {
  const documents = new Map<string, SchemaDocument>();
  let tail: Promise<unknown> = Promise.resolve();
  const stored = (text: string): SchemaDocument => {
    let doc = documents.get(text);
    if (doc === undefined) {
      doc = readSchemaDocument(text);
      documents.set(text, doc);
    }
    return doc;
  };
  return {
    store,
    clock,
    defaults,
    stored,
    async live(subject) {
      const all = await store.versions(subject);
      const out: SchemaVersion[] = [];
      for (const v of all) if (!v.deleted) out.push(v);
      return out;
    },
    serial<T>(task: () => Promise<T>): Promise<T> {
      // One at a time in this process, and, on a shared store, across every process on it.
      const exclusive = store.exclusive?.bind(store);
      const run = tail.then(() => (exclusive === undefined ? task() : exclusive(task)));
      tail = run.then(() => undefined, () => undefined);
      return run;
    },
    async compatibility(subject) {
      return (subject === undefined ? undefined : await store.compatibility(subject)) ?? (await store.compatibility(undefined)) ?? defaults.compatibility;
    },
    async validationMode(subject) {
      return (await store.validationMode(subject)) ?? defaults.validationMode;
    },
    bundleSha(versions) {
      return bundleFingerprint(versions.map((v) => stored(v.schema).canonical));
    },
    async canaryFailures(subject, windowMs) {
      const failures = await store.validationFailures(subject, clock.now() - windowMs);
      let n = 0;
      for (const f of failures) if (f.mode === 'canary') n++;
      return n;
    },
    async audit(entry) {
      const saved = await store.appendAudit({
        at: clock.now(),
        approvers: [],
        changeRequest: undefined,
        canaryWindowMs: undefined,
        canaryFailures: undefined,
        ...entry,
      });
      if (document !== undefined) await document.sync(await store.audit());
      return saved;
    },
  };
}

/** 1–255 printable characters (':' and '/' allowed); not the reserved `__GLOBAL`. */
export function checkSubject(subject: string): void {
  if (typeof subject !== 'string' || subject.length === 0) throw new InvalidSubjectError(String(subject), 'a subject name must not be empty');
  if (subject.length > MAX_SUBJECT_LENGTH) throw new InvalidSubjectError(subject, `a subject name has at most ${MAX_SUBJECT_LENGTH} characters (got ${subject.length})`);
  // Control characters (C0, DEL, C1) would corrupt logs, paths and the governance markdown.
  for (let i = 0; i < subject.length; i++) {
    const c = subject.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) throw new InvalidSubjectError(subject, `a subject name must contain printable characters only (found U+${c.toString(16).padStart(4, '0').toUpperCase()} at ${i})`);
  }
  if (subject === GLOBAL_CONFIG_SUBJECT) throw new InvalidSubjectError(subject, `"${GLOBAL_CONFIG_SUBJECT}" is reserved for registry-wide settings`);
}

/** An identity or actor: a non-empty name (an API key's name, `--as` on the CLI). */
export function checkIdentity(field: string, value: string): void {
  if (typeof value !== 'string' || value.trim().length === 0) throw new InvalidRequestError(field, 'must name an identity (a non-empty string)');
}

/** `48h`, `90m`, `30s` or `1500ms`: the largest whole unit. */
export function formatWindow(ms: number): string {
  if (ms > 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms > 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms > 0 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
