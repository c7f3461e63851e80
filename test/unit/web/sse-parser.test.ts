/**
 * The dashboard's reader of Server-Sent Events (web/src/sse-parser.ts): the same events whatever
 * the chunking of the text (split at every position), with CRLF / CR / LF line ends, multi-line
 * data, comments and heartbeats skipped, an incomplete event kept for the next chunk, and a CR
 * ending one chunk with an LF starting the next read as one line end.
 */
import { describe, expect, it } from 'vitest';
import { createSseParser } from '../../../web/src/sse-parser.js';
import type { SseFields } from '../../../web/src/sse-parser.js';

const STREAM = 'retry: 2000\n: seamless.backfill\n\nid: 1\nevent: claimed\ndata: {"shard":"a"}\n\n: heartbeat\n\nid: 2\nevent: completed\ndata: {"rows":\ndata: 3}\n\n';
const EXPECTED: SseFields[] = [
  { retry: '2000', data: [] },
  { id: '1', event: 'claimed', data: ['{"shard":"a"}'] },
  { data: [] },
  { id: '2', event: 'completed', data: ['{"rows":', '3}'] },
];

function parseIn(chunks: readonly string[]): SseFields[] {
  const events: SseFields[] = [];
  const parser = createSseParser((f) => events.push(f));
  for (const chunk of chunks) parser.push(chunk);
  return events;
}

describe('the dashboard\'s Server-Sent Events reader', () => {
  it('reads every event of a stream in one chunk', () => {
    expect(parseIn([STREAM])).toEqual(EXPECTED);
  });

  it.each([['LF', '\n'], ['CRLF', '\r\n'], ['CR', '\r']])('reads the same events whatever the split, with %s line ends', (_name, eol) => {
    const text = STREAM.replace(/\n/g, eol);
    for (let i = 0; i <= text.length; i++) {
      for (let j = i; j <= text.length; j += 7) {
        expect(parseIn([text.slice(0, i), text.slice(i, j), text.slice(j)]), `split at ${i}, ${j}`).toEqual(EXPECTED);
      }
    }
  });

  it('keeps an incomplete event for the next chunk', () => {
    const events: SseFields[] = [];
    const parser = createSseParser((f) => events.push(f));
    parser.push('id: 7\nevent: failed\ndata: {"final":true}\n');
    expect(events).toEqual([]);
    parser.push('\n');
    expect(events).toEqual([{ id: '7', event: 'failed', data: ['{"final":true}'] }]);
  });

  it('reads a CR at the end of a chunk and an LF at the start of the next as one line end', () => {
    expect(parseIn(['data: a\r', '\n\r', '\ndata: b\r', '\r'])).toEqual([{ data: ['a'] }, { data: ['b'] }]);
  });
});
