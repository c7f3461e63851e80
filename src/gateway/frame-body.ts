/**
 * The body of a bars answer, built without holding the event loop. The core encoders hand out a
 * frame's JSON or CSV a bounded slice at a time and its Arrow IPC stream a record batch at a time;
 * the event loop turns (one `setImmediate`) whenever a budget of bytes has been produced, so
 * `/readyz`, other reads' I/O and timers run between the pieces of a large answer.
 *
 * Up to `STREAM_MIN_ROWS` rows the pieces are joined into one Buffer (a `content-length` answer:
 * the bytes of the one-shot encoders). A larger answer is a stream: each piece goes to the socket
 * as it is produced (chunked transfer), the socket's backpressure paces the encoder, and a client
 * that hangs up (`signal`) or a destroyed stream stops it. The wire bytes are those of the one-shot
 * encoders, except that Arrow comes as several record batches of one IPC stream.
 *
 * Cost avoided: a whole-body Buffer held the encoded answer (105 MB of JSON for 1 M bars) plus the
 * parts it was joined from next to the frame, and its first byte left only after the last was
 * encoded (bench/gateway/streaming.bench.ts). Before that, encoding a 1,440-row day in one go and
 * sending it as a string held the loop for the whole encode plus the string's flattening and its
 * UTF-8 copy (issue 12: 40–120 ms ticks under the load mix).
 */
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { arrowIpcChunks, columnarJsonSlices, csvSlices } from '../core/index.js';
import type { Frame } from '../core/index.js';

/** Bytes produced between two turns of the event loop (and per streamed piece): about 1 ms of encoding. */
export const TURN_BUDGET_BYTES = 128 * 1024;

/** Answers with more rows than this are streamed; smaller ones are one Buffer with a content-length. */
export const STREAM_MIN_ROWS = 65_536;

export type BodyFormat = 'json' | 'csv' | 'arrow';

/** The pieces of the body of `frame` in `format`, in order (see `frameBody`). */
function* bodyPieces(format: BodyFormat, frame: Frame, metadataJson: string): Generator<Uint8Array> {
  switch (format) {
    case 'json':
      yield Buffer.from('{"data":', 'latin1');
      yield* columnarJsonSlices(frame);
      yield Buffer.from(`,"metadata":${metadataJson}}`, 'utf8');
      return;
    case 'csv':
      yield* csvSlices(frame);
      return;
    case 'arrow':
      yield* arrowIpcChunks(frame, { 'seamless.metadata': metadataJson });
      return;
    default: {
      const never: never = format;
      return never;
    }
  }
}

const asBuffer = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

/**
 * The body in pieces of about `TURN_BUDGET_BYTES`, the loop turning after each: small encoder
 * slices are joined; a piece of at least the budget (an Arrow column, a view of the frame's own
 * bytes) passes whole and uncopied, after whatever small pieces came before it. Stops, without an
 * error, once `signal` is aborted: nobody is left to read the rest.
 */
async function* pacedPieces(body: Iterable<Uint8Array>, signal: AbortSignal | undefined): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let bytes = 0;
  const flush = (): Buffer => {
    const joined = parts.length === 1 ? parts[0] : Buffer.concat(parts, bytes);
    parts = [];
    bytes = 0;
    return joined;
  };
  for (const piece of body) {
    if (piece.byteLength >= TURN_BUDGET_BYTES) {
      if (bytes > 0) yield flush();
      yield asBuffer(piece);
    } else {
      parts.push(asBuffer(piece));
      bytes += piece.byteLength;
      if (bytes < TURN_BUDGET_BYTES) continue;
      yield flush();
    }
    await nextTurn();
    if (signal?.aborted === true) return;
  }
  if (bytes > 0) yield flush();
}

/**
 * The body of a read in `format`: JSON is `{"data":<columnar JSON>,"metadata":<metadataJson>}`,
 * CSV the frame's CSV, Arrow an IPC stream with `metadataJson` under `seamless.metadata`. One
 * Buffer up to `STREAM_MIN_ROWS` rows, else a Readable that encodes as the reader pulls and stops
 * when `signal` aborts or the stream is destroyed.
 */
export async function frameBody(format: BodyFormat, frame: Frame, metadataJson: string, signal?: AbortSignal): Promise<Buffer | Readable> {
  return await pacedBody(bodyPieces(format, frame, metadataJson), frame.length, signal);
}

/** The pieces of `body` paced as `frameBody` paces a frame's: one Buffer up to `STREAM_MIN_ROWS` rows, else a Readable. */
export async function pacedBody(body: Iterable<Uint8Array>, rows: number, signal?: AbortSignal): Promise<Buffer | Readable> {
  const pieces = pacedPieces(body, signal);
  if (rows > STREAM_MIN_ROWS) return Readable.from(pieces, { objectMode: false, highWaterMark: TURN_BUDGET_BYTES });
  const parts: Buffer[] = [];
  for await (const piece of pieces) parts.push(piece);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}
