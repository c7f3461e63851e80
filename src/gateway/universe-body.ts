/**
 * The body of a universe answer (long format), paced as a single read's (frame-body.ts): JSON
 * `{"data":{"node":[…],"ts":[…],…},"metadata":…}`, CSV with a leading `node` column, Arrow IPC
 * with `node` as Dictionary<Utf8, Int32> and the metadata JSON under `seamless.metadata`.
 */
import type { Readable } from 'node:stream';
import { universeArrowChunks, universeCsvSlices, universeJsonSlices } from '../core/index.js';
import type { UniverseFrame } from '../core/index.js';
import { pacedBody } from './frame-body.js';
import type { BodyFormat } from './frame-body.js';

function* universePieces(format: BodyFormat, u: UniverseFrame, metadataJson: string): Generator<Uint8Array> {
  switch (format) {
    case 'json':
      yield Buffer.from('{"data":', 'latin1');
      yield* universeJsonSlices(u);
      yield Buffer.from(`,"metadata":${metadataJson}}`, 'utf8');
      return;
    case 'csv':
      yield* universeCsvSlices(u);
      return;
    case 'arrow':
      yield* universeArrowChunks(u, { 'seamless.metadata': metadataJson });
      return;
    default: {
      const never: never = format;
      return never;
    }
  }
}

export async function universeBody(format: BodyFormat, u: UniverseFrame, metadataJson: string, signal?: AbortSignal): Promise<Buffer | Readable> {
  return await pacedBody(universePieces(format, u, metadataJson), u.frame.length, signal);
}
