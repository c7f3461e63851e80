/**
 * Loads the configuration once, at the edge: YAML file (optional) → environment overrides →
 * explicit overrides (CLI flags) → zod validation → cross-key checks → deep freeze.
 * Errors are InvalidRequestErrors whose field is the config key (and file:line when known).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import type { z } from 'zod';
import { InvalidRequestError, OHLCV_SCHEMA, frameSchemaByName, parseInterval } from '../core/index.js';
import { SeamlessConfigSchema } from './config-schema.js';
import type { SeamlessConfig, SeamlessConfigInput } from './config-schema.js';
import { demoConfig } from './demo-config.js';
import { applyEnvOverrides } from './env-overrides.js';

/** Read from the working directory when no file is named and it exists. */
export const DEFAULT_CONFIG_FILE = 'seamless.yml';
/**
 * Alias expansions a config file may cause (the yaml package's `maxAliasCount`): a real file
 * uses a handful; a "billion laughs" file is refused after this much work, not expanded.
 */
export const MAX_YAML_ALIAS_COUNT = 100;

export interface LoadConfigOptions {
  /** Path of a YAML file; when absent, SEAMLESS_CONFIG, then ./seamless.yml if present, else the embedded defaults. */
  readonly file?: string;
  /** A configuration object used instead of a file. */
  readonly input?: SeamlessConfigInput;
  /** Applied last (CLI flags such as --port, --data-dir). */
  readonly overrides?: Readonly<Record<string, unknown>>;
  /** Environment to read SEAMLESS_* from (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface LoadedConfig {
  readonly config: SeamlessConfig;
  /** The file read, if any. */
  readonly file: string | undefined;
  /** Absolute data directory. */
  readonly dataDir: string;
  /** SEAMLESS_API_KEY: this process's key for a coordinator at `seamless.backfill.endpoint` that requires keys. */
  readonly coordinatorKey: string | undefined;
}

export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const file = options.file ?? env.SEAMLESS_CONFIG ?? (options.input === undefined && existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  let tree: Record<string, unknown>;
  let doc: Document | undefined;
  let lines: LineCounter | undefined;
  if (options.input !== undefined) {
    tree = structuredClone(options.input) as Record<string, unknown>;
  } else if (file !== undefined) {
    if (!existsSync(file)) throw new InvalidRequestError('config', `file not found: ${file}`);
    lines = new LineCounter();
    doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter: lines, prettyErrors: true });
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      throw new InvalidRequestError('config', `${file}: ${e.message.split('\n')[0]}`, { file, line: e.linePos?.[0]?.line });
    }
    const value: unknown = documentToJs(doc, file) ?? {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InvalidRequestError('config', `${file}: the top level must be a mapping of keys`);
    }
    tree = value as Record<string, unknown>;
    // A file that declares no datasets and no sources (e.g. only keys or a port) keeps the demo.
    if (!('datasets' in tree) && !('sources' in tree)) Object.assign(tree, demoConfig());
  } else {
    tree = demoConfig() as Record<string, unknown>;
  }
  // The OpenTelemetry standard variable, when the configuration names no endpoint itself.
  const otel = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (otel && !(isRecord(tree.tracing) && tree.tracing.endpoint !== undefined)) tree.tracing = { ...(isRecord(tree.tracing) ? tree.tracing : {}), endpoint: otel };
  applyEnvOverrides(tree, env);
  if (options.overrides) mergeInto(tree, options.overrides);

  const parsed = SeamlessConfigSchema.safeParse(tree);
  if (!parsed.success) throw zodToError(parsed.error, file, doc, lines);
  const config = parsed.data;
  checkCrossKeys(config);
  // A relative data directory is relative to the working directory, as users type it.
  const dataDir = isAbsolute(config.dataDir) ? config.dataDir : resolve(process.cwd(), config.dataDir);
  checkDataDir(dataDir);
  const coordinatorKey = env.SEAMLESS_API_KEY === undefined || env.SEAMLESS_API_KEY === '' ? undefined : env.SEAMLESS_API_KEY;
  return Object.freeze({ config: deepFreeze(config), file, dataDir, coordinatorKey });
}

/**
 * Every problem of the configuration, not only the first: the message starts with the first
 * problem (its key is the error's field) and goes on with the others, each `key (file:line): …`,
 * so a user fixes the file in one pass. `details.issues` lists them with their lines.
 */
function zodToError(error: z.ZodError, file: string | undefined, doc: Document | undefined, lines: LineCounter | undefined): InvalidRequestError {
  const issues = error.issues.map((issue) => {
    const key = issue.path.map(String).join('.') || '(root)';
    let line: number | undefined;
    if (doc && lines) {
      const node = doc.getIn(issue.path as (string | number)[], true) as { range?: [number, number, number] } | undefined;
      if (node?.range) line = lines.linePos(node.range[0]).line;
    }
    const where = doc && lines ? `${file}${line !== undefined ? `:${line}` : ''}: ` : '';
    return { key, line, message: issue.message, where };
  });
  const [first, ...rest] = issues;
  const others = rest.map((i) => `${i.key}: ${i.where}${i.message}`);
  const tail = others.length > 0 ? `; ${others.length} more: ${others.join('; ')}` : '';
  return new InvalidRequestError(first.key, `${first.where}${first.message}${tail}`, {
    file,
    line: first.line,
    issues: issues.map((i) => ({ key: i.key, message: i.message, ...(i.line !== undefined ? { line: i.line } : {}) })),
  });
}

/** The document as plain values, with alias expansion bounded; a failure names the file. */
function documentToJs(doc: Document, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIAS_COUNT });
  } catch (error) {
    // The yaml package throws (ReferenceError) only for aliases: too many expansions or unresolved.
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidRequestError('config', `${file}: YAML aliases cannot be expanded (at most ${MAX_YAML_ALIAS_COUNT} alias expansions): ${reason}`, { file }, { cause: error });
  }
}

/**
 * The data directory is a directory or can become one: the nearest existing path on the way
 * up must be a directory, or creating it later fails with a bare EEXIST/ENOTDIR.
 */
function checkDataDir(dataDir: string): void {
  for (let path = dataDir; ; path = dirname(path)) {
    // existsSync is false below a file (ENOTDIR) as well as for a missing path: go on up.
    if (existsSync(path)) {
      if (statSync(path).isDirectory()) return;
      const what = path === dataDir ? `${dataDir} is not a directory` : `${dataDir} cannot be created: ${path} is not a directory`;
      throw new InvalidRequestError('dataDir', `${what} (it is a file); name a directory`, { path });
    }
    if (dirname(path) === path) return;
  }
}

/** `baseInterval`: an OHLCV dataset; every configured interval is the base or a whole multiple of it. */
function checkBaseInterval(d: z.infer<typeof SeamlessConfigSchema>['datasets'][number], i: number): void {
  const base = parseInterval(d.baseInterval ?? '', `datasets.${i}.baseInterval`);
  if (d.schema !== 'ohlcv') throw new InvalidRequestError(`datasets.${i}.baseInterval`, `resampling needs schema ohlcv, not ${d.schema}`);
  d.intervals.forEach((iv, j) => {
    const ms = parseInterval(iv, `datasets.${i}.intervals.${j}`);
    if (ms % base !== 0) throw new InvalidRequestError(`datasets.${i}.intervals.${j}`, `${String(iv)} is not a whole multiple of baseInterval ${String(d.baseInterval)}, so it cannot be derived`);
  });
}

function checkCrossKeys(config: z.infer<typeof SeamlessConfigSchema>): void {
  const seen = new Set<string>();
  config.datasets.forEach((d, i) => {
    if (!/^[\x20-\x7E]+$/.test(d.nodeId)) throw new InvalidRequestError(`datasets.${i}.nodeId`, 'must be 1-256 printable ASCII characters');
    if (d.source !== undefined && !Object.hasOwn(config.sources, d.source)) {
      throw new InvalidRequestError(`datasets.${i}.source`, `unknown source "${d.source}"; defined: ${Object.keys(config.sources).join(', ') || '(none)'}`);
    }
    if (d.live !== undefined) checkLiveDataset(config, d, i);
    d.intervals.forEach((iv, j) => {
      const ms = parseInterval(iv, `datasets.${i}.intervals.${j}`);
      const key = JSON.stringify([d.nodeId, ms]);
      if (seen.has(key)) throw new InvalidRequestError(`datasets.${i}.intervals.${j}`, `dataset ${d.nodeId} ${String(iv)} is declared twice`);
      seen.add(key);
    });
    if (d.baseInterval !== undefined) checkBaseInterval(d, i);
  });
  const names = new Set<string>();
  config.auth.keys.forEach((k, i) => {
    if (names.has(k.name)) throw new InvalidRequestError(`auth.keys.${i}.name`, `key name "${k.name}" is declared twice`);
    names.add(k.name);
  });
  const bf = config.seamless.backfill;
  if (bf.store === 'etcd' && bf.etcd.endpoints.length === 0) {
    throw new InvalidRequestError('seamless.backfill.etcd.endpoints', 'is required when seamless.backfill.store is etcd (e.g. [http://127.0.0.1:2379])');
  }
  if (bf.heartbeatMs >= bf.leaseMs) {
    throw new InvalidRequestError('seamless.backfill.heartbeatMs', `must be shorter than seamless.backfill.leaseMs (${bf.leaseMs}), or leases expire between heartbeats`);
  }
  for (const [name, feed] of Object.entries(config.live.feeds)) {
    if (feed.reconnect.maxDelayMs < feed.reconnect.initialDelayMs) {
      throw new InvalidRequestError(`live.feeds.${name}.reconnect.maxDelayMs`, 'must be >= reconnect.initialDelayMs');
    }
  }
  for (const [name, source] of Object.entries(config.sources)) {
    if (source.kind === 'synthetic' && typeof source.latencyMs === 'object' && source.latencyMs.max < source.latencyMs.min) {
      throw new InvalidRequestError(`sources.${name}.latencyMs.max`, 'must be >= latencyMs.min');
    }
  }
}

/** A dataset's live feed exists and can give the dataset's columns. */
function checkLiveDataset(config: z.infer<typeof SeamlessConfigSchema>, d: z.infer<typeof SeamlessConfigSchema>['datasets'][number], i: number): void {
  const name = d.live ?? '';
  if (!Object.hasOwn(config.live.feeds, name)) {
    throw new InvalidRequestError(`datasets.${i}.live`, `unknown live feed "${name}"; defined in live.feeds: ${Object.keys(config.live.feeds).join(', ') || '(none)'}`);
  }
  const feed = config.live.feeds[name];
  const columns = (frameSchemaByName(d.schema) ?? OHLCV_SCHEMA).columns.map((c) => c.name);
  if (feed.kind === 'ccxt-pro' && d.schema !== 'ohlcv') {
    throw new InvalidRequestError(`datasets.${i}.live`, `feed "${name}" (ccxt-pro) gives OHLCV bars; dataset ${d.nodeId} has schema ${d.schema}`);
  }
  if (feed.kind === 'websocket') {
    for (const column of ['ts', ...columns]) {
      if (!Object.hasOwn(feed.mapping.fields, column)) {
        throw new InvalidRequestError(`live.feeds.${name}.mapping.fields.${column}`, `is required: dataset ${d.nodeId} (schema ${d.schema}) reads it from feed "${name}"`);
      }
    }
  }
  if (feed.kind === 'ccxt-pro' && feed.markets !== undefined && !Object.hasOwn(feed.markets, d.liveSymbol ?? d.nodeId)) {
    throw new InvalidRequestError(`datasets.${i}.liveSymbol`, `"${d.liveSymbol ?? d.nodeId}" is not among live.feeds.${name}.markets (${Object.keys(feed.markets).join(', ')})`);
  }
}

function mergeInto(target: Record<string, unknown>, patch: Readonly<Record<string, unknown>>): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    const cur = target[k];
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && cur !== null && typeof cur === 'object' && !Array.isArray(cur)) {
      mergeInto(cur as Record<string, unknown>, v as Record<string, unknown>);
    } else {
      target[k] = v;
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
