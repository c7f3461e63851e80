/**
 * `seamless schema list|show|register|check|mode|promote|approve|audit`: the schema registry,
 * embedded (opens the data directory; the identity of a change is `--as`) or through a gateway
 * (--url; the identity is the API key's name). The backends live in schema-backend.ts.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { InvalidRequestError, formatTime } from '../../core/index.js';
import { GOVERNANCE_DOCUMENT_PATH, REQUIRED_APPROVALS, VALIDATION_MODES, createGovernanceDocument } from '../../schema/index.js';
import type { AuditEntry, Promotion, ValidationMode, VersionRef } from '../../schema/index.js';
import { writeLine } from '../context.js';
import type { CliContext } from '../context.js';
import { addRemoteOptions, withSeamless } from '../options.js';
import type { SchemaDeps } from '../command-deps.js';
import type { RemoteOptions } from '../options.js';
import { formatTable } from '../output.js';
import { embeddedRegistry, remoteRegistry } from './schema-backend.js';
import type { RegistryBackend } from './schema-backend.js';

/** The identity of embedded changes when `--as` is not given (approvals always need `--as`). */
export const DEFAULT_CLI_ACTOR = 'cli';
/** Where `schema audit --export` appends, under the docs directory (`schema_registry.docs_dir`, default `<dataDir>/docs`). */
export const GOVERNANCE_LOG_PATH = GOVERNANCE_DOCUMENT_PATH;

interface SchemaOptions extends RemoteOptions {
  readonly as?: string;
}

function versionOption(value: string): VersionRef {
  if (value === 'latest') return 'latest';
  const n = Number(value);
  if (!/^[1-9][0-9]*$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('a positive integer or "latest"');
  return n;
}

function readSchemaFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidRequestError('FILE', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {}, { cause: err });
  }
}

/**
 * Runs `fn` with the registry the options select. Embedded, the identity is `--as` (or
 * `fallback`; `undefined` makes `--as` required); remote, the API key names the caller.
 */
async function withRegistry<T>(ctx: CliContext, opts: SchemaOptions, fallback: string | undefined, fn: (registry: RegistryBackend) => Promise<T>): Promise<T> {
  if (opts.url !== undefined) {
    if (opts.as !== undefined) throw new InvalidRequestError('--as', 'with --url the identity is the API key\'s name (--key); drop --as');
    return fn(remoteRegistry(opts.url, opts.key ?? ctx.env.SEAMLESS_API_KEY));
  }
  const actor = opts.as ?? fallback;
  if (actor === undefined) throw new InvalidRequestError('--as', 'name the approving identity, e.g. --as alice (with --url the API key names it)');
  return withSeamless(ctx, opts, (seamless: SchemaDeps) => fn(embeddedRegistry(seamless, actor)));
}

export function registerSchema(program: Command, ctx: CliContext): void {
  const schema = program.command('schema').description('the schema registry: subjects, versions, compatibility, validation modes, promotions, audit');
  const asOption = (what: string): [string, string] => ['--as <name>', `identity ${what} (embedded mode; default "${DEFAULT_CLI_ACTOR}"; with --url the API key's name)`];

  addRemoteOptions(schema.command('list').description('subjects with their latest version, id, validation mode and compatibility'))
    .action(async (opts: SchemaOptions) => {
      const rows = await withRegistry(ctx, opts, DEFAULT_CLI_ACTOR, (r) => r.list());
      const table = rows.map((s) => [s.subject, String(s.version), String(s.id), s.mode, s.compatibility]);
      for (const line of formatTable(['subject', 'version', 'id', 'mode', 'compatibility'], table, ['left', 'right', 'right'])) writeLine(ctx.stdout, line);
    });

  addRemoteOptions(schema.command('show').description('print a version\'s schema document and metadata')
    .argument('<subject>', 'subject, e.g. seamless-ohlcv')
    .option('--version <n>', 'version number or "latest"', versionOption, 'latest' as VersionRef))
    .action(async (subject: string, opts: SchemaOptions & { version: VersionRef }) => {
      const v = await withRegistry(ctx, opts, DEFAULT_CLI_ACTOR, (r) => r.show(subject, opts.version));
      writeLine(ctx.stdout, `subject ${v.subject} · version ${v.version} · id ${v.id} · mode ${v.mode} · compatibility ${v.compatibility}`);
      writeLine(ctx.stdout, prettyJson(v.schema));
    });

  addRemoteOptions(schema.command('register').description('register FILE (a JSON schema document) as the next version of SUBJECT')
    .argument('<subject>', 'subject')
    .argument('<file>', 'schema document (JSON)')
    .option(...asOption('recorded as the actor')))
    .action(async (subject: string, file: string, opts: SchemaOptions) => {
      const text = readSchemaFile(file);
      const { id, version } = await withRegistry(ctx, opts, DEFAULT_CLI_ACTOR, (r) => r.register(subject, text));
      writeLine(ctx.stdout, `${subject} version ${version} (id ${id})`);
    });

  addRemoteOptions(schema.command('check').description('whether FILE may follow a version of SUBJECT under its compatibility mode (exit 1 if not)')
    .argument('<subject>', 'subject')
    .argument('<file>', 'schema document (JSON)')
    .option('--version <n>', 'version to check against (transitive modes: it and all before)', versionOption, 'latest' as VersionRef))
    .action(async (subject: string, file: string, opts: SchemaOptions & { version: VersionRef }) => {
      const text = readSchemaFile(file);
      const result = await withRegistry(ctx, opts, DEFAULT_CLI_ACTOR, (r) => r.check(subject, text, opts.version));
      const against = `${subject} version ${String(opts.version)} under ${result.compatibility}`;
      if (result.compatible) {
        writeLine(ctx.stdout, `compatible with ${against}`);
        return;
      }
      writeLine(ctx.stdout, `incompatible with ${against}:`);
      for (const m of result.messages) writeLine(ctx.stdout, `  - ${m}`);
      ctx.exitCode = 1;
    });

  addRemoteOptions(schema.command('mode').description('show or set the validation mode of SUBJECT (strict only through a promotion)')
    .argument('<subject>', 'subject')
    .argument('[mode]', `${VALIDATION_MODES.join(' | ')}`)
    .option(...asOption('recorded as the actor')))
    .action(async (subject: string, mode: string | undefined, opts: SchemaOptions) => {
      if (mode !== undefined && !(VALIDATION_MODES as readonly string[]).includes(mode)) {
        throw new InvalidRequestError('mode', `must be one of ${VALIDATION_MODES.join(', ')}, got "${mode}"`);
      }
      const now = await withRegistry(ctx, opts, DEFAULT_CLI_ACTOR, (r) => (mode === undefined ? r.getMode(subject) : r.setMode(subject, mode as ValidationMode)));
      writeLine(ctx.stdout, `${subject}: ${now}`);
    });

  addRemoteOptions(schema.command('promote').description(`request the promotion of SUBJECT from canary to strict (needs ${REQUIRED_APPROVALS} approvals by different identities)`)
    .argument('<subject>', 'subject')
    .requiredOption('--change-request <id>', 'the change request (ticket id) justifying the promotion')
    .option('--version <n>', 'version to promote (default: latest)', versionOption)
    .option(...asOption('of the requester')))
    .action(async (subject: string, opts: SchemaOptions & { changeRequest: string; version?: VersionRef }) => {
      const version = opts.version === 'latest' ? undefined : opts.version;
      const p = await withRegistry(ctx, opts, DEFAULT_CLI_ACTOR, (r) => r.promote(subject, opts.changeRequest, version));
      writeLine(ctx.stdout, `promotion ${p.id} of ${p.subject} version ${p.version} requested by ${p.requestedBy} (change request ${p.changeRequest}): ${p.state}`);
      // Through a gateway the API key names the approver (--as is refused there): advise what works.
      writeLine(ctx.stdout, opts.url === undefined
        ? `approve it with: seamless schema approve ${p.id} --as <name> (${REQUIRED_APPROVALS} different identities)`
        : `approve it with: seamless schema approve ${p.id} --url ${opts.url} --key <admin API key> (${REQUIRED_APPROVALS} keys of different identities; the key's name is the approver)`);
    });

  addRemoteOptions(schema.command('approve').description('approve a pending promotion (the deciding approval makes the subject strict)')
    .argument('<promotion-id>', 'promotion id, as printed by "schema promote"')
    .option('--as <name>', 'approving identity (required in embedded mode; with --url the API key\'s name)'))
    .action(async (id: string, opts: SchemaOptions) => {
      const p = await withRegistry(ctx, opts, undefined, (r) => r.approve(id));
      writeLine(ctx.stdout, approvalLine(p));
    });

  addRemoteOptions(schema.command('audit').description('the append-only audit log (registrations, config and mode changes, promotions)')
    .argument('[subject]', 'only this subject\'s entries')
    .option('--export', `append the entries the governance document lacks to <docs_dir>/${GOVERNANCE_LOG_PATH} (default docs_dir: <dataDir>/docs) and print its path`))
    .action(async (subject: string | undefined, opts: SchemaOptions & { export?: boolean }) => {
      if (opts.export === true) {
        const entries = await withRegistry(ctx, opts, DEFAULT_CLI_ACTOR, (r) => r.audit(undefined));
        // Append-only: the document keeps what it holds and gains the entries it lacks.
        const document = createGovernanceDocument(docsDirOf(ctx, opts));
        await document.sync(entries);
        writeLine(ctx.stdout, document.path);
        return;
      }
      printAudit(ctx, await withRegistry(ctx, opts, DEFAULT_CLI_ACTOR, (r) => r.audit(subject)));
    });
}

/** The docs directory the options name (also with --url: the export is written locally). */
function docsDirOf(ctx: CliContext, opts: SchemaOptions): string {
  const loaded = loadConfig({
    ...(opts.config !== undefined ? { file: opts.config } : {}),
    overrides: opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {},
    env: ctx.env,
  });
  return resolve(loaded.dataDir, loaded.config.schema_registry.docs_dir);
}

function approvalLine(p: Promotion): string {
  const by = p.approvals.map((a) => a.identity);
  if (p.state === 'approved') return `promotion ${p.id} approved by ${by.join(' and ')}: ${p.subject} is now strict on version ${p.version}`;
  return `promotion ${p.id} approved by ${by.join(', ')} (${by.length} of ${REQUIRED_APPROVALS}): ${p.state}; the next approval must come from a different identity`;
}

function printAudit(ctx: CliContext, entries: readonly AuditEntry[]): void {
  if (entries.length === 0) {
    writeLine(ctx.stdout, 'no audit entries');
    return;
  }
  const rows = entries.map((e) => [
    String(e.seq), formatTime(e.at), e.action, e.subject, e.version === undefined ? '' : String(e.version), e.actor,
    e.approvers.join(','), e.changeRequest ?? '', e.detail,
  ]);
  for (const line of formatTable(['seq', 'time', 'action', 'subject', 'version', 'actor', 'approvers', 'change', 'detail'], rows, ['right'])) writeLine(ctx.stdout, line);
}

/** The stored text re-indented (stored versions were parsed when registered). */
function prettyJson(text: string): string {
  return JSON.stringify(JSON.parse(text), null, 2);
}
