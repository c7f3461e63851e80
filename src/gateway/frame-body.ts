/**
 * The body of a bars answer, built without holding the event loop: the core encoders hand out a
 * frame's JSON or CSV a bounded slice at a time, and this loop lets the event loop turn (one
 * `setImmediate`) whenever a slice budget of bytes has been produced, so `/readyz`, other reads'
 * I/O and timers run between the slices of a large answer. The slices are joined into one Buffer:
 * the bytes, and the `content-length` fastify derives from them, are those of the one-shot
 * encoders.
 *
 * Cost avoided: encoding a 1,440-row day in one go and sending it as a string held the loop for
 * the whole encode plus the string's flattening (`Buffer.byteLength`) and its UTF-8 copy into the
 * socket (`writev`): under issue 12's load mix those three were a third of the gateway's CPU and
 * every request's work ran back to back in one microtask drain, 40–120 ms ticks in a CPU profile
 * (`node --cpu-prof` on `seamless serve` under test/harness/load-mix.ts). A Buffer body skips the
 * flattening and the UTF-8 pass.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { columnarJsonSlices, csvSlices, encodeArrowIpc } from '../core/index.js';
import type { Frame } from '../core/index.js';

/** Bytes produced between two turns of the event loop: about 1 ms of encoding. */
export const TURN_BUDGET_BYTES = 128 * 1024;

export type BodyFormat = 'json' | 'csv' | 'arrow';

/** Joins `parts` and `slices` into one Buffer, letting the loop turn every `TURN_BUDGET_BYTES`. */
async function joinYielding(head: readonly Buffer[], slices: Iterable<Buffer>, tail: readonly Buffer[]): Promise<Buffer> {
  const parts: Buffer[] = [...head];
  let sinceTurn = 0;
  for (const slice of slices) {
    parts.push(slice);
    sinceTurn += slice.length;
    if (sinceTurn >= TURN_BUDGET_BYTES) {
      sinceTurn = 0;
      await nextTurn();
    }
  }
  for (const part of tail) parts.push(part);
  return Buffer.concat(parts);
}

/**
 * The body of a read in `format`: JSON is `{"data":<columnar JSON>,"metadata":<metadataJson>}`,
 * CSV the frame's CSV, Arrow an IPC stream with `metadataJson` under `seamless.metadata`.
 */
export async function frameBody(format: BodyFormat, frame: Frame, metadataJson: string): Promise<Buffer> {
  switch (format) {
    case 'json':
      return joinYielding([Buffer.from('{"data":', 'latin1')], columnarJsonSlices(frame), [Buffer.from(`,"metadata":${metadataJson}}`, 'utf8')]);
    case 'csv':
      return joinYielding([], csvSlices(frame), []);
    case 'arrow': {
      // One pass of memory copies (the value columns are not formatted): left whole.
      const bytes = encodeArrowIpc(frame, { 'seamless.metadata': metadataJson });
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    default: {
      const never: never = format;
      return never;
    }
  }
}
