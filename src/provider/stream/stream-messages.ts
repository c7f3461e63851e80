/**
 * The JSON messages of a subscription (docs/streaming.md), encoded to bytes once. A `bars`
 * message carries one dataset's bars as columns (`{"ts":[…],"open":[…],…}`, the read's columnar
 * JSON) and the resume token of that dataset's position after it; a live bar's message is
 * therefore the same bytes for every subscriber and is encoded once (fan-out.ts). Messages are
 * single-line JSON (no raw newline), so an SSE `data:` line holds one whole message.
 */
import { columnarJsonSlices, formatInterval, toSeamlessError } from '../../core/index.js';
import type { Frame } from '../../core/index.js';
import { RESUME_TOKEN_VERSION } from './resume-token.js';

export const STREAM_MESSAGE_TYPES = ['subscribed', 'bars', 'batch', 'caught_up', 'heartbeat', 'error'] as const;
export type StreamMessageType = (typeof STREAM_MESSAGE_TYPES)[number];

export type StreamPhase = 'replay' | 'live';

/** An encoded message: its type (the SSE `event:`), its bytes (one JSON object). */
export interface StreamMessage {
  readonly type: StreamMessageType;
  readonly bytes: Buffer;
  /** Closed bars it carries (0 for building updates and other types). */
  readonly bars: number;
  /** A binary frame (an Arrow live batch, `encoding=arrow`); absent: one JSON object. */
  readonly binary?: boolean;
}

/** What `subscribed` says of each dataset. */
export interface SubscribedDataset {
  readonly node: string;
  readonly interval: string;
  /** Whether a live feed serves the dataset; without one the stream replays, then sends heartbeats only. */
  readonly live: boolean;
  /** First bar ts the replay asks for (from `start` or the resume position); null: no replay. */
  readonly replayFrom: number | null;
}

/** The `"node":…,"interval":…` fragment of a dataset, built once per dataset. */
export function datasetFragment(nodeId: string, intervalMs: number): string {
  return `"node":${JSON.stringify(nodeId)},"interval":${JSON.stringify(formatInterval(intervalMs))}`;
}

/**
 * A `bars` message of `frame`'s rows (columnar JSON); `resume` absent for building bars (they move
 * no position).
 */
export function barsMessage(fragment: string, phase: StreamPhase, final: boolean, frame: Frame, resume: string | undefined): StreamMessage {
  const parts: Buffer[] = [Buffer.from(`{"type":"bars",${fragment},"phase":"${phase}","final":${final},"data":`, 'utf8')];
  for (const slice of columnarJsonSlices(frame, frame.length + 1)) parts.push(slice);
  parts.push(Buffer.from(resume === undefined ? '}' : `,"resume":"${resume}"}`, 'latin1'));
  return { type: 'bars', bytes: Buffer.concat(parts), bars: final ? frame.length : 0 };
}

const BATCH_HEAD = Buffer.from('{"type":"batch","messages":[', 'latin1');
const BATCH_COMMA = Buffer.from(',', 'latin1');
const BATCH_TAIL = Buffer.from(']}', 'latin1');

/**
 * A `batch` message (`batch=true` subscriptions): the live messages of one event-loop turn, in
 * order, as one frame (`{"type":"batch","messages":[…]}`). Each element is the message as it would
 * have been sent alone, its bytes shared with every other subscriber; only the frame is new.
 */
export function batchMessage(messages: readonly StreamMessage[]): StreamMessage {
  const parts: Buffer[] = new Array<Buffer>(messages.length * 2 + 1);
  parts[0] = BATCH_HEAD;
  let bars = 0;
  for (let i = 0; i < messages.length; i++) {
    parts[i * 2 + 1] = messages[i].bytes;
    parts[i * 2 + 2] = i === messages.length - 1 ? BATCH_TAIL : BATCH_COMMA;
    bars += messages[i].bars;
  }
  return { type: 'batch', bytes: Buffer.concat(parts), bars };
}

/** Encodes one dataset's live bars: a one-row `bars` message (phase live), with its resume token when closed. */
export type LiveBarEncoder = (ts: number, values: ArrayLike<number>, final: boolean) => StreamMessage;

/**
 * The live-bar encoder of one dataset: the message's fixed parts (head, `,"<column>":[` keys, the
 * token's JSON up to the ts) built once, so a bar costs its numbers, one base64url and one Buffer
 * (a minute's close of 1,000 datasets is 1,000 encodes on the fan-out's path).
 */
export function liveBarEncoder(fragment: string, columns: readonly string[], nodeId: string, intervalMs: number): LiveBarEncoder {
  const head = `{"type":"bars",${fragment},"phase":"live","final":`;
  const keys = columns.map((c) => `,${JSON.stringify(c)}:[`);
  // encodeResumeToken of one position: JSON.stringify({ v, p: [[nodeId, intervalMs, ts]] }).
  const tokenHead = `{"v":${RESUME_TOKEN_VERSION},"p":[[${JSON.stringify(nodeId)},${intervalMs},`;
  return (ts, values, final) => {
    let s = `${head}${final},"data":{"ts":[${num(ts)}]`;
    for (let c = 0; c < keys.length; c++) s += `${keys[c]}${num(values[c])}]`;
    s += final ? `},"resume":"${Buffer.from(`${tokenHead}${ts}]]}`, 'utf8').toString('base64url')}"}` : '}}';
    return { type: 'bars', bytes: Buffer.from(s, 'utf8'), bars: final ? 1 : 0 };
  };
}

/** JSON's spelling of a number: null for NaN and ±Infinity (as the read's columnar JSON). */
function num(v: number): string {
  return Number.isFinite(v) ? String(v) : 'null';
}

export function subscribedMessage(datasets: readonly SubscribedDataset[], building: boolean, heartbeatMs: number): StreamMessage {
  return json('subscribed', { type: 'subscribed', datasets, building, heartbeatMs });
}

export function caughtUpMessage(fragment: string, lastTs: number | undefined, resume: string | undefined): StreamMessage {
  const tail = resume === undefined ? '' : `,"resume":"${resume}"`;
  return { type: 'caught_up', bytes: Buffer.from(`{"type":"caught_up",${fragment},"lastTs":${lastTs ?? 'null'}${tail}}`, 'utf8'), bars: 0 };
}

export function heartbeatMessage(now: number, resume: string | undefined): StreamMessage {
  return json('heartbeat', resume === undefined ? { type: 'heartbeat', ts: now } : { type: 'heartbeat', ts: now, resume });
}

/** An `error` message: the error body of the HTTP API (`code`, `message`, `details` naming the field). */
export function errorMessage(error: unknown): StreamMessage {
  const e = toSeamlessError(error);
  return json('error', { type: 'error', error: { code: e.code, message: e.message, details: e.details } });
}

function json(type: StreamMessageType, body: object): StreamMessage {
  return { type, bytes: Buffer.from(JSON.stringify(body), 'utf8'), bars: 0 };
}
