/**
 * The configurable mapping of the generic WebSocket feed: which JSON messages belong to a
 * subscription (`match`), where the bar is (`bar`, `batch`), where each field is (`fields`,
 * `closed`), and the unit of its timestamp (`tsUnit`). Compiled once per subscription — paths
 * split, templates rendered — so a message costs one walk per field.
 *
 * Paths are dot-separated (`k.t`, `data.0.close`); a segment of digits indexes an array, and a
 * field may also be given as a bare array index (`0` for `[ts, o, h, l, c, v]` arrays). The empty
 * path is the message (or bar) itself.
 */
import { InvalidRequestError, formatInterval } from '../../core/index.js';
import type { LiveSubscription } from './live-feed.js';

export type FieldPath = string | number;
export type TsUnit = 's' | 'ms' | 'us' | 'ns';

export interface MessageMapping {
  /** A message belongs to the subscription when the value at every path equals the rendered template (compared as strings). */
  readonly match?: Readonly<Record<string, string | number | boolean>>;
  /** Path of the bar inside the message; absent or '': the message itself. */
  readonly bar?: string;
  /** The value at `bar` is an array of bars (oldest first). */
  readonly batch?: boolean;
  /** `ts` and every value column wanted: a path inside the bar, or an array index. */
  readonly fields: Readonly<Record<string, FieldPath>>;
  /** Path of the bar's closed flag (boolean, `"true"`/`"false"` or 1/0); absent: closedness is inferred. */
  readonly closed?: FieldPath;
  /** Unit of numeric timestamps (default `ms`); strings that are not numbers are parsed as ISO-8601. */
  readonly tsUnit?: TsUnit;
}

/** One bar taken from a message. `closed` is undefined when the mapping has no closed flag. */
export interface MappedBar {
  readonly ts: number;
  readonly values: Float64Array;
  readonly closed: boolean | undefined;
}

export type MappingResult = { readonly ok: true; readonly bars: readonly MappedBar[] } | { readonly ok: false; readonly reason: string };

/** The match rules of a subscription as a lookup key (message-router.ts): paths, and the values they must hold. */
export interface MatchKey {
  /** The rule paths, sorted: subscriptions with the same paths share one lookup table. */
  readonly paths: readonly string[];
  /** The expected values in `paths` order, as `matchKeyOf` spells the values a message holds. */
  readonly key: string;
}

export interface CompiledMapping {
  /** Whether `message` (parsed JSON) belongs to this subscription. */
  matches(message: unknown): boolean;
  /** `matches` as a key: a message matches exactly when `matchKeyOf(message, paths)` equals `key`. */
  readonly matchKey: MatchKey;
  /** The bars of a matching message, or why it is malformed. */
  extract(message: unknown): MappingResult;
  /** Whether closedness comes from the message (else the feed infers it). */
  readonly hasClosedFlag: boolean;
}

/** Placeholders of templates (`subscribe`, `match`): `{symbol}` and friends. */
export const TEMPLATE_PLACEHOLDERS = ['symbol', 'symbol_lower', 'symbol_upper', 'interval', 'interval_ms', 'id'] as const;
export type TemplatePlaceholder = typeof TEMPLATE_PLACEHOLDERS[number];

const PLACEHOLDER = /\{([a-z_]+)\}/g;
/** Numeric timestamps are multiplied (s) or divided (µs, ns): division of an exact multiple is exact. */
const UNIT_MUL: Readonly<Record<TsUnit, number>> = { s: 1000, ms: 1, us: 1, ns: 1 };
const UNIT_DIV: Readonly<Record<TsUnit, number>> = { s: 1, ms: 1, us: 1e3, ns: 1e6 };

/** The placeholder values of one subscription (`id` is supplied per rendering). */
export function templateVars(subscription: LiveSubscription): Readonly<Record<Exclude<TemplatePlaceholder, 'id'>, string>> {
  return {
    symbol: subscription.symbol,
    symbol_lower: subscription.symbol.toLowerCase(),
    symbol_upper: subscription.symbol.toUpperCase(),
    interval: formatInterval(subscription.intervalMs),
    interval_ms: String(subscription.intervalMs),
  };
}

/** Throws InvalidRequestError naming `field` for a placeholder that does not exist. */
export function checkTemplate(template: string, field: string): void {
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (!(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(m[1])) {
      throw new InvalidRequestError(field, `unknown placeholder {${m[1]}}; known: ${TEMPLATE_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`);
    }
  }
}

/**
 * Renders `template` with `vars`. With `escapeJson` (the default, for messages sent) values are
 * JSON-string-escaped, so a template that is JSON stays JSON whatever the symbol (plain symbols
 * are unchanged by the escaping); match rules compare the raw values.
 */
export function renderTemplate(template: string, vars: Readonly<Record<string, string>>, escapeJson = true): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    const v = vars[name];
    if (v === undefined) return whole;
    return escapeJson ? JSON.stringify(v).slice(1, -1) : v;
  });
}

/** A path split once into segments (numbers index arrays, strings index objects). */
/** A field path split at its dots (array indexes as numbers). */
export type Segments = readonly (string | number)[];

function splitPath(path: FieldPath): Segments {
  if (typeof path === 'number') return [path];
  if (path === '') return [];
  return path.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function walk(value: unknown, segments: Segments): unknown {
  let v = value;
  for (let i = 0; i < segments.length; i++) {
    if (v === null || typeof v !== 'object') return undefined;
    const seg = segments[i];
    if (Array.isArray(v)) {
      v = typeof seg === 'number' ? v[seg] : undefined;
    } else {
      const key = String(seg);
      v = Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : undefined;
    }
  }
  return v;
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return Number.NaN;
}

function describe(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : v === undefined ? 'missing' : JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * The values `message` holds at `paths` spelled as a `MatchKey.key`; undefined when one is
 * missing or null (such a message matches no rule on that path).
 */
export function matchKeyOf(message: unknown, paths: readonly Segments[]): string | undefined {
  const values: string[] = new Array<string>(paths.length);
  for (let i = 0; i < paths.length; i++) {
    const v = walk(message, paths[i]);
    if (v === undefined || v === null) return undefined;
    values[i] = String(v);
  }
  return JSON.stringify(values);
}

/** `paths` as `matchKeyOf` walks them. */
export function compilePaths(paths: readonly string[]): Segments[] {
  return paths.map(splitPath);
}

/**
 * Compiles `mapping` for one subscription. Throws InvalidRequestError naming the mapping key
 * (`mapping.fields.close`, `mapping.match.s`) when the mapping cannot serve it.
 */
export function compileMessageMapping(mapping: MessageMapping, subscription: LiveSubscription): CompiledMapping {
  const { intervalMs, columns } = subscription;
  const vars = templateVars(subscription);
  const matchRules: { readonly source: string; readonly path: Segments; readonly expected: string }[] = [];
  for (const [path, template] of Object.entries(mapping.match ?? {})) {
    const t = String(template);
    checkTemplate(t, `mapping.match.${path}`);
    matchRules.push({ source: path, path: splitPath(path), expected: renderTemplate(t, vars, false) });
  }
  if (!Object.hasOwn(mapping.fields, 'ts')) throw new InvalidRequestError('mapping.fields.ts', 'is required (where the bar open time is)');
  const tsPath = splitPath(mapping.fields.ts);
  const valuePaths: Segments[] = [];
  for (const column of columns) {
    if (!Object.hasOwn(mapping.fields, column)) {
      throw new InvalidRequestError(`mapping.fields.${column}`, `is required by the dataset's schema (columns ${columns.join(', ')})`);
    }
    valuePaths.push(splitPath(mapping.fields[column]));
  }
  matchRules.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
  const matchKey: MatchKey = { paths: matchRules.map((r) => r.source), key: JSON.stringify(matchRules.map((r) => r.expected)) };
  const barPath = splitPath(mapping.bar ?? '');
  const closedPath = mapping.closed === undefined ? undefined : splitPath(mapping.closed);
  const mul = UNIT_MUL[mapping.tsUnit ?? 'ms'];
  const div = UNIT_DIV[mapping.tsUnit ?? 'ms'];
  const batch = mapping.batch ?? false;

  function one(bar: unknown, at: string): MappedBar | string {
    const rawTs = walk(bar, tsPath);
    let ts = toNumber(rawTs);
    if (Number.isFinite(ts)) ts = (ts * mul) / div;
    else if (typeof rawTs === 'string') ts = Date.parse(rawTs);
    if (!Number.isSafeInteger(ts)) return `${at}field "ts": ${describe(rawTs)} is not a timestamp`;
    if (ts % intervalMs !== 0) return `${at}field "ts": ${ts} is not on the ${formatInterval(intervalMs)} grid`;
    const values = new Float64Array(valuePaths.length);
    for (let c = 0; c < valuePaths.length; c++) {
      const raw = walk(bar, valuePaths[c]);
      const n = toNumber(raw);
      if (!Number.isFinite(n)) return `${at}field "${columns[c]}": ${describe(raw)} is not a finite number`;
      values[c] = n;
    }
    let closed: boolean | undefined;
    if (closedPath) {
      const raw = walk(bar, closedPath);
      if (raw === true || raw === 'true' || raw === 1) closed = true;
      else if (raw === false || raw === 'false' || raw === 0) closed = false;
      else return `${at}closed flag: ${describe(raw)} is not a boolean`;
    }
    return { ts, values, closed };
  }

  return {
    hasClosedFlag: closedPath !== undefined,
    matchKey,
    matches(message) {
      for (let i = 0; i < matchRules.length; i++) {
        const v = walk(message, matchRules[i].path);
        if (v === undefined || v === null || String(v) !== matchRules[i].expected) return false;
      }
      return true;
    },
    extract(message) {
      const at = walk(message, barPath);
      if (at === undefined) return { ok: false, reason: `no bar at "${mapping.bar ?? ''}"` };
      if (!batch) {
        const bar = one(at, '');
        return typeof bar === 'string' ? { ok: false, reason: bar } : { ok: true, bars: [bar] };
      }
      if (!Array.isArray(at)) return { ok: false, reason: `"${mapping.bar ?? ''}" is not an array of bars` };
      const bars: MappedBar[] = [];
      for (let i = 0; i < at.length; i++) {
        const bar = one(at[i], `bar ${i}: `);
        if (typeof bar === 'string') return { ok: false, reason: bar };
        bars.push(bar);
      }
      return { ok: true, bars };
    },
  };
}
