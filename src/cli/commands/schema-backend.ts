/**
 * What `seamless schema` talks to: the embedded registry of an opened data directory, or a
 * gateway's `/registry` REST (--url). Both answer the same shapes, so schema.ts prints once. The
 * remote side is also the one place the CLI reads Confluent's `{"error_code", "message"}` error
 * body, turning it back into our codes (the gateway client reads only our own error body).
 */
import { NotFoundError, UpstreamUnavailableError } from '../../core/index.js';
import type { SchemaDeps } from '../command-deps.js';
import type {
  AuditEntry, CompatibilityMode, CompatibilityResult, Promotion, ValidationMode, VersionRef,
} from '../../schema/index.js';
import { GatewayError } from '../errors.js';
import { parseGatewayUrl } from '../gateway-client.js';

/** A subject's latest version with its settings (`schema list`). */
export interface SubjectSummary {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
  readonly mode: ValidationMode;
  readonly compatibility: CompatibilityMode;
}

/** One version as `schema show` prints it. */
export interface ShownVersion extends SubjectSummary {
  readonly schema: string;
}

export interface RegistryBackend {
  list(): Promise<SubjectSummary[]>;
  show(subject: string, version: VersionRef): Promise<ShownVersion>;
  register(subject: string, schema: string): Promise<{ readonly id: number; readonly version: number }>;
  check(subject: string, schema: string, version: VersionRef): Promise<CompatibilityResult & { readonly compatibility: CompatibilityMode }>;
  getMode(subject: string): Promise<ValidationMode>;
  setMode(subject: string, mode: ValidationMode): Promise<ValidationMode>;
  promote(subject: string, changeRequest: string, version: number | undefined): Promise<Promotion>;
  approve(promotionId: string): Promise<Promotion>;
  audit(subject: string | undefined): Promise<AuditEntry[]>;
}

/** The registry of an opened Seamless; `actor` is the identity of every change (`--as`). */
export function embeddedRegistry(seamless: SchemaDeps, actor: string): RegistryBackend {
  const { registry } = seamless;
  async function shown(subject: string, ref: VersionRef): Promise<ShownVersion> {
    const found = await registry.version(subject, ref);
    if (found === undefined) {
      if ((await registry.versions(subject)).length === 0) throw new NotFoundError('subject', subject);
      throw new NotFoundError('version', `${subject} version ${String(ref)}`);
    }
    return {
      subject, version: found.version, id: found.id, schema: found.schema,
      mode: await registry.getValidationMode(subject), compatibility: await registry.getCompatibility(subject),
    };
  }
  return {
    async list() {
      const out: SubjectSummary[] = [];
      for (const subject of await registry.subjects()) out.push(await shown(subject, 'latest'));
      return out;
    },
    show: shown,
    async register(subject, schema) {
      const added = await registry.register(subject, schema, actor);
      return { id: added.id, version: added.version };
    },
    async check(subject, schema, ref) {
      const result = await registry.checkCompatibility(subject, schema, ref);
      return { ...result, compatibility: await registry.getCompatibility(subject) };
    },
    async getMode(subject) {
      await shown(subject, 'latest');
      return registry.getValidationMode(subject);
    },
    async setMode(subject, mode) {
      await shown(subject, 'latest');
      return registry.setValidationMode(subject, mode, actor);
    },
    promote: (subject, changeRequest, version) => registry.requestPromotion(subject, {
      requestedBy: actor, changeRequest, ...(version !== undefined ? { version } : {}),
    }),
    approve: (id) => registry.approve(id, actor),
    audit: (subject) => registry.audit(subject),
  };
}

const CONFLUENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** A gateway's `/registry`; the identity of every change is the API key's name. */
export function remoteRegistry(url: string, key: string | undefined): RegistryBackend {
  const base = parseGatewayUrl(url);
  const auth: Record<string, string> = key !== undefined && key !== '' ? { authorization: `Bearer ${key}` } : {};
  const s = (subject: string): string => encodeURIComponent(subject);
  const v = (ref: VersionRef): string => String(ref);

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const target = new URL(`/registry${path}`, base);
    let res: Response;
    try {
      res = await fetch(target, {
        method,
        headers: { accept: CONFLUENT_TYPE, ...auth, ...(body !== undefined ? { 'content-type': CONFLUENT_TYPE } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new UpstreamUnavailableError('gateway', `cannot reach ${base.origin}: ${cause?.code ?? cause?.message ?? String(err)}`, { cause: err });
    }
    const text = await res.text();
    if (!res.ok) throw confluentErrorOf(res.status, target, text);
    return JSON.parse(text) as T;
  }

  async function shown(subject: string, ref: VersionRef): Promise<ShownVersion> {
    const found = await call<{ version: number; id: number; schema: string }>('GET', `/subjects/${s(subject)}/versions/${v(ref)}`);
    const { mode } = await call<{ mode: ValidationMode }>('GET', `/mode/${s(subject)}`);
    const { compatibilityLevel } = await call<{ compatibilityLevel: CompatibilityMode }>('GET', `/config/${s(subject)}?defaultToGlobal=true`);
    return { subject, version: found.version, id: found.id, schema: found.schema, mode, compatibility: compatibilityLevel };
  }

  return {
    async list() {
      const out: SubjectSummary[] = [];
      for (const subject of await call<string[]>('GET', '/subjects')) out.push(await shown(subject, 'latest'));
      return out;
    },
    show: shown,
    async register(subject, schema) {
      const { id } = await call<{ id: number }>('POST', `/subjects/${s(subject)}/versions`, { schema, schemaType: 'JSON' });
      const { version } = await call<{ version: number }>('POST', `/subjects/${s(subject)}`, { schema, schemaType: 'JSON' });
      return { id, version };
    },
    async check(subject, schema, ref) {
      const r = await call<{ is_compatible: boolean; messages: string[] }>('POST', `/compatibility/subjects/${s(subject)}/versions/${v(ref)}`, { schema });
      const { compatibilityLevel } = await call<{ compatibilityLevel: CompatibilityMode }>('GET', `/config/${s(subject)}?defaultToGlobal=true`);
      return { compatible: r.is_compatible, messages: r.messages, compatibility: compatibilityLevel };
    },
    getMode: async (subject) => (await call<{ mode: ValidationMode }>('GET', `/mode/${s(subject)}`)).mode,
    setMode: async (subject, mode) => (await call<{ mode: ValidationMode }>('PUT', `/mode/${s(subject)}`, { mode })).mode,
    promote: async (subject, changeRequest, version) => (await call<{ promotion: Promotion }>('POST', `/subjects/${s(subject)}/promotions`, {
      changeRequest, ...(version !== undefined ? { version } : {}),
    })).promotion,
    approve: async (id) => (await call<{ promotion: Promotion }>('POST', `/promotions/${encodeURIComponent(id)}/approvals`, {})).promotion,
    audit: async (subject) => (await call<{ entries: AuditEntry[] }>('GET', subject === undefined ? '/audit' : `/audit?subject=${s(subject)}`)).entries,
  };
}

/** Confluent's error body → a GatewayError with our code (`details` keeps error_code and reason). */
function confluentErrorOf(status: number, target: URL, text: string): GatewayError {
  let body: { error_code?: unknown; message?: unknown; reason?: unknown; messages?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // Not JSON (a proxy's page?): the status and the start of the text are reported below.
  }
  const code = status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : status === 404 ? 'not_found'
    : status === 409 ? 'conflict' : status < 500 ? 'invalid_request' : 'internal';
  if (typeof body.error_code === 'number' && typeof body.message === 'string') {
    const details: Record<string, unknown> = { error_code: body.error_code };
    if (typeof body.reason === 'string') details.reason = body.reason;
    if (Array.isArray(body.messages)) details.messages = body.messages;
    return new GatewayError(code, body.message, status, details);
  }
  return new GatewayError(code, `HTTP ${status} from ${target.href}: ${text.slice(0, 200).replace(/\s+/g, ' ')}`, status);
}
