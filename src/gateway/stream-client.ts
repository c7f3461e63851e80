/**
 * `subscribe()`: a gateway's subscription (`GET /v1/stream`, docs/streaming.md) as an async
 * iterator of typed, columnar messages. It keeps the newest resume position per dataset and, when
 * the connection drops (network, a gateway restart: close 1001/1006, a slow-consumer close 4008),
 * reconnects with them after `reconnectDelayMs`, so the bars it yields continue exactly where they
 * stopped: no gap, no duplicate (a bar at or before a dataset's position is never yielded twice).
 * A refusal (4xx status before the upgrade, or close 44xx) ends the iterator with a GatewayStreamError.
 * It asks for batches in binary (`encoding=arrow`, docs/streaming.md#binary-batches) unless told
 * `encoding: 'json'`, and unpacks them into the same `bars` events (one per bar, with its resume
 * token) as JSON batches give.
 */
import { ERROR_CODES, SeamlessError, decodeLiveBatchArrow, formatInterval } from '../core/index.js';
import type { ErrorCode } from '../core/index.js';
import { decodeResumeToken, encodeResumeToken, positionKey } from '../provider/index.js';

export interface SubscribeOptions {
  /** The gateway's base URL (`http://…`; `ws://` also accepted). */
  readonly url: string;
  /** An API key with scope `read` (sent as `Authorization: Bearer`). */
  readonly key?: string;
  readonly nodes: readonly string[];
  readonly interval: string;
  readonly start?: string | number;
  readonly building?: boolean;
  /** Tokens from an earlier subscription to continue after. */
  readonly resume?: readonly string[];
  readonly signal?: AbortSignal;
  /** Delay before a reconnect (default 1 s). */
  readonly reconnectDelayMs?: number;
  /** How live batches travel: `arrow` (default: binary frames, cheaper to receive) or `json`. The events are the same. */
  readonly encoding?: 'arrow' | 'json';
}

/** One dataset's bars, columns as Float64Arrays. */
export interface StreamBars {
  readonly type: 'bars';
  readonly node: string;
  readonly interval: string;
  readonly phase: 'replay' | 'live';
  /** true: closed bars; false: an update of the building bar. */
  readonly final: boolean;
  readonly data: Readonly<Record<string, Float64Array>>;
  readonly resume: string | undefined;
}

export type StreamEvent =
  | StreamBars
  | { readonly type: 'caught_up'; readonly node: string; readonly interval: string; readonly lastTs: number | null }
  | { readonly type: 'heartbeat'; readonly ts: number }
  | { readonly type: 'subscribed'; readonly datasets: readonly { readonly node: string; readonly live: boolean; readonly replayFrom: number | null }[] };

/** A subscription the gateway refused (bad parameter, key, unknown dataset) or ended with an error. */
export class GatewayStreamError extends SeamlessError {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, readonly status: number, message: string, details: Record<string, unknown> = {}) {
    super(message, { ...details, status });
    this.code = (ERROR_CODES as readonly string[]).includes(code) ? code : 'internal';
    this.name = 'GatewayStreamError';
  }
}

const DEFAULT_RECONNECT_DELAY_MS = 1_000;

interface Wire { type: string; messages?: Wire[]; node?: string; interval?: string; phase?: 'replay' | 'live'; final?: boolean; data?: Record<string, (number | null)[]>; resume?: string; lastTs?: number | null; ts?: number; datasets?: { node: string; live: boolean; replayFrom: number | null }[]; error?: { code: ErrorCode; message: string; details: Record<string, unknown> } }

export async function* subscribe(options: SubscribeOptions): AsyncGenerator<StreamEvent> {
  const positions = new Map<string, number>();
  for (const token of options.resume ?? []) for (const [k, ts] of decodeResumeToken(token, 'resume')) positions.set(k, ts);
  const base = options.url.replace(/^http/, 'ws').replace(/\/$/, '');
  // `ws` loads when a subscription starts, not with this folder (as in sources/live/websocket-feed.ts).
  const { WebSocket } = await import('ws');
  while (options.signal?.aborted !== true) {
    const query = new URLSearchParams();
    for (const n of options.nodes) query.append('node', n);
    query.set('interval', options.interval);
    if (options.start !== undefined) query.set('start', String(options.start));
    if (options.building === true) query.set('building', 'true');
    // One frame per burst of closes (a universe's minute) instead of one per bar; unpacked below.
    query.set('batch', 'true');
    query.set('encoding', options.encoding ?? 'arrow');
    if (positions.size > 0) query.set('resume', encodeResumeToken(positions));
    const queue: (Wire | { type: '_closed'; code: number } | { type: '_refused'; status: number; body: string } | { type: '_unreadable'; why: string })[] = [];
    let wake: (() => void) | undefined;
    const push = (item: (typeof queue)[number]): void => { queue.push(item); wake?.(); };
    const ws = new WebSocket(`${base}/v1/stream?${query.toString()}`, ['seamless.v1'], options.key ? { headers: { authorization: `Bearer ${options.key}` } } : {});
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      let messages: Wire[];
      try {
        const w = isBinary ? undefined : JSON.parse(String(data)) as Wire;
        messages = w === undefined ? arrowBatchWires(data) : w.type === 'batch' ? w.messages ?? [] : [w];
      } catch (error) {
        // Not a frame of this protocol: end the subscription with the reason rather than throw in the socket's handler.
        push({ type: '_unreadable', why: error instanceof Error ? error.message : String(error) });
        ws.terminate();
        return;
      }
      for (const m of messages) push(m);
    });
    ws.on('close', (code) => push({ type: '_closed', code }));
    ws.on('error', () => undefined); // a close follows
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      res.on('end', () => { push({ type: '_refused', status: res.statusCode ?? 0, body }); ws.terminate(); });
    });
    const onAbort = (): void => ws.close(1000);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let lastError: Wire['error'];
    try {
      for (;;) {
        if (queue.length === 0) await new Promise<void>((resolve) => { wake = resolve; });
        wake = undefined;
        const item = queue.shift();
        if (item === undefined) continue;
        if (item.type === '_refused') {
          const refusal = item as { status: number; body: string };
          const parsed = safeJson(refusal.body);
          throw new GatewayStreamError(parsed?.error?.code ?? 'internal', refusal.status, parsed?.error?.message ?? `the gateway refused the subscription (${refusal.status})`, parsed?.error?.details ?? {});
        }
        if (item.type === '_unreadable') {
          throw new GatewayStreamError('internal', 0, `the gateway sent a frame this client cannot read: ${(item as { why: string }).why}`);
        }
        if (item.type === '_closed') {
          const code = (item as { code: number }).code;
          if (isAborted(options.signal)) return;
          // 44xx/45xx: the replay failed with that status; not worth retrying as is.
          if (code >= 4400 && code < 4500 && lastError) throw new GatewayStreamError(lastError.code, code - 4000, lastError.message, lastError.details);
          break;
        }
        const w = item as Wire;
        if (w.type === 'error') { lastError = w.error; continue; }
        const event = toEvent(w, positions);
        if (event !== undefined) yield event;
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.terminate();
    }
    await new Promise((resolve) => { setTimeout(resolve, options.reconnectDelayMs ?? DEFAULT_RECONNECT_DELAY_MS); });
  }
}

/**
 * The `bars` messages a binary batch stands for: one per row (a bar), in the frame's order (each
 * dataset's bars in order), with the resume token of its dataset's position for a closed bar.
 */
function arrowBatchWires(frame: Buffer): Wire[] {
  const b = decodeLiveBatchArrow(frame);
  const interval = formatInterval(b.intervalMs);
  const names = b.schema.columns.map((c) => c.name);
  const out: Wire[] = [];
  for (let i = 0; i < b.ts.length; i++) {
    const node = b.nodes[b.nodeIndex[i]];
    const final = b.final[i] === 1;
    const data: Record<string, number[]> = { ts: [b.ts[i]] };
    for (let c = 0; c < names.length; c++) data[names[c]] = [b.values[c][i]];
    const resume = final ? encodeResumeToken(new Map([[positionKey(node, b.intervalMs), b.ts[i]]])) : undefined;
    out.push({ type: 'bars', node, interval, phase: b.phase === 'replay' ? 'replay' : 'live', final, data, ...(resume !== undefined ? { resume } : {}) });
  }
  return out;
}

/** Read through a function: the signal may abort between two awaits (a narrowed property would not see it). */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function safeJson(text: string): Wire | undefined {
  try {
    return JSON.parse(text) as Wire;
  } catch {
    return undefined; // not a JSON error body: the status says enough
  }
}

/** The typed event of a wire message; closed bars at or before the dataset's position are cut (a resume overlap). */
function toEvent(w: Wire, positions: Map<string, number>): StreamEvent | undefined {
  switch (w.type) {
    case 'bars': {
      const node = w.node ?? '';
      const interval = w.interval ?? '';
      const raw = w.data ?? {};
      const ts = raw.ts ?? [];
      const key = w.resume !== undefined ? [...decodeResumeToken(w.resume, 'resume').keys()][0] : undefined;
      const position = key !== undefined ? positions.get(key) : undefined;
      let from = 0;
      if (w.final === true && position !== undefined) while (from < ts.length && (ts[from] ?? 0) <= position) from++;
      if (from === ts.length && ts.length > 0) return undefined;
      const data: Record<string, Float64Array> = {};
      for (const [name, col] of Object.entries(raw)) {
        const out = new Float64Array(col.length - from);
        for (let i = from; i < col.length; i++) out[i - from] = col[i] ?? Number.NaN;
        data[name] = out;
      }
      if (w.final === true && w.resume !== undefined) for (const [k, t] of decodeResumeToken(w.resume, 'resume')) positions.set(k, t);
      return { type: 'bars', node, interval, phase: w.phase ?? 'live', final: w.final === true, data, resume: w.resume };
    }
    case 'caught_up':
      return { type: 'caught_up', node: w.node ?? '', interval: w.interval ?? '', lastTs: w.lastTs ?? null };
    case 'heartbeat':
      return { type: 'heartbeat', ts: w.ts ?? 0 };
    case 'subscribed':
      return { type: 'subscribed', datasets: w.datasets ?? [] };
    default:
      return undefined;
  }
}

