/**
 * The gateway's `GET /v1/events` (Server-Sent Events of the backfill stream) read with fetch, so
 * the API key goes in the Authorization header (EventSource cannot send one). Reconnects after
 * the server's `retry:` delay with `Last-Event-ID`, so no event is missed across a reconnect; a
 * refused key stops it (the page asks for another and starts it again).
 */
import type { Api } from './api.js';
import { KeyRefusedError } from './errors.js';
import { createSseParser } from './sse-parser.js';

export interface StreamEvent {
  readonly id: number | undefined;
  readonly type: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface EventStreamHandlers {
  onEvent(event: StreamEvent): void;
  /** `connected`, `reconnecting` (with the reason), `stopped` (key refused). */
  onState(state: 'connected' | 'reconnecting' | 'stopped', detail?: string): void;
}

export interface EventStreamHandle {
  close(): void;
}

const DEFAULT_RETRY_MS = 2_000;

export function openEventStream(api: Api, path: string, handlers: EventStreamHandlers): EventStreamHandle {
  const controller = new AbortController();
  // 0 on the first connection: the gateway replays the events it still buffers (recent activity).
  let lastId: string | undefined = '0';
  let retryMs = DEFAULT_RETRY_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;

  async function run(): Promise<void> {
    try {
      const res = await api.open(path, { accept: 'text/event-stream', ...(lastId !== undefined ? { 'last-event-id': lastId } : {}) }, controller.signal);
      const body = res.body;
      if (body === null) throw new TypeError('the event stream answered without a body');
      handlers.onState('connected');
      const reader = body.pipeThrough(new TextDecoderStream()).getReader();
      const parser = createSseParser((fields) => {
        if (fields.retry !== undefined && /^\d+$/.test(fields.retry)) retryMs = Number(fields.retry);
        if (fields.id !== undefined) lastId = fields.id;
        if (fields.data.length === 0) return;
        let data: Record<string, unknown>;
        try {
          data = JSON.parse(fields.data.join('\n')) as Record<string, unknown>;
        } catch {
          data = { text: fields.data.join('\n') };
        }
        handlers.onEvent({ id: fields.id === undefined ? undefined : Number(fields.id), type: fields.event ?? 'message', data });
      });
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(value);
      }
      if (!controller.signal.aborted) reconnect('the gateway ended the stream');
    } catch (error) {
      if (controller.signal.aborted) return;
      if (error instanceof KeyRefusedError) {
        handlers.onState('stopped', error.message);
        return;
      }
      reconnect(error instanceof Error ? error.message : String(error));
    }
  }
  function reconnect(reason: string): void {
    handlers.onState('reconnecting', reason);
    timer = setTimeout(() => { void run(); }, retryMs);
  }
  void run();
  return {
    close() {
      controller.abort();
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
