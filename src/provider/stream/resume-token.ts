/**
 * Resume tokens of subscriptions: an opaque string a client hands back (`resume=` or SSE's
 * `Last-Event-ID`) to continue exactly after the last closed bar it was given. The text is
 * base64url of `{"v":1,"p":[[nodeId, intervalMs, lastTs], …]}`: one position per dataset that
 * has delivered a closed bar. Clients must not read it (the format may change with `v`); the
 * server refuses a token it cannot read with 400 naming the field it came in.
 */
import { InvalidRequestError } from '../../core/index.js';

export const RESUME_TOKEN_VERSION = 1;
/** Longest token accepted (10,000 datasets of 256-character ids fit). */
export const MAX_RESUME_TOKEN_CHARS = 4 * 1024 * 1024;

/** The last closed bar delivered per dataset, keyed by `positionKey`. */
export type ResumePositions = ReadonlyMap<string, number>;

/** The key of a dataset in positions: structured, never a joined string a node id could fake. */
export function positionKey(nodeId: string, intervalMs: number): string {
  return JSON.stringify([nodeId, intervalMs]);
}

/** The token of `positions` (key → last delivered closed-bar ts). */
export function encodeResumeToken(positions: ResumePositions): string {
  const p: [string, number, number][] = [];
  for (const [key, ts] of positions) {
    const [nodeId, intervalMs] = JSON.parse(key) as [string, number];
    p.push([nodeId, intervalMs, ts]);
  }
  return Buffer.from(JSON.stringify({ v: RESUME_TOKEN_VERSION, p }), 'utf8').toString('base64url');
}

/** The positions of a token; `field` names where it came from (`resume`, `Last-Event-ID`) in the 400. */
export function decodeResumeToken(token: string, field: string): Map<string, number> {
  const bad = (why: string): InvalidRequestError => new InvalidRequestError(field, `is not a resume token of this server (${why}); pass the "resume" value of a message as received`);
  if (token.length === 0 || token.length > MAX_RESUME_TOKEN_CHARS || !/^[A-Za-z0-9_-]+$/.test(token)) throw bad('not base64url text');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch (error) {
    throw new InvalidRequestError(field, 'is not a resume token of this server (not JSON inside)', {}, { cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || !('v' in parsed) || !('p' in parsed)) throw bad('missing v or p');
  if (parsed.v !== RESUME_TOKEN_VERSION) throw bad(`version ${String(parsed.v)} is not ${RESUME_TOKEN_VERSION}`);
  const list = parsed.p;
  if (!Array.isArray(list)) throw bad('p is not a list');
  const out = new Map<string, number>();
  for (const entry of list as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 3) throw bad('a position is not [node, interval, ts]');
    const [nodeId, intervalMs, ts] = entry as unknown[];
    if (typeof nodeId !== 'string' || !Number.isSafeInteger(intervalMs) || !Number.isSafeInteger(ts)) throw bad('a position is not [node, interval, ts]');
    out.set(positionKey(nodeId, intervalMs as number), ts as number);
  }
  return out;
}
