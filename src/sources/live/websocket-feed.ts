/**
 * The generic WebSocket JSON feed: one connection per feed (package `ws`), shared by its
 * subscriptions. After each connect it sends every subscription's rendered `subscribe`
 * template; each message is parsed once and handed to the subscriptions whose `match` rules it
 * satisfies, which map it to bars (message-mapping.ts). A message that is not JSON, or matches a
 * subscription but cannot be mapped, is counted and logged as malformed and skipped — it never
 * ends the connection. When the connection drops (or stays silent past `idleTimeoutMs`) the feed
 * reports `disconnected` and reconnects after an exponential, jittered backoff; the attempt count
 * starts over once a connection delivers a bar. The `ws` package (about 10 MB resident) is loaded
 * at the first connection, so a process without WebSocket feeds never loads it.
 */
import type { RawData, WebSocket } from 'ws';
import { InvalidRequestError, delay, systemClock } from '../../core/index.js';
import type { LiveFeed, LiveFeedCommonOptions } from './live-feed.js';
import { createMalformedReporter } from './malformed-reporter.js';
import { checkTemplate, compileMessageMapping, renderTemplate, templateVars } from './message-mapping.js';
import type { CompiledMapping, MessageMapping } from './message-mapping.js';
import { checkReconnectPolicy, reconnectDelay } from './reconnect-backoff.js';
import { createSubscriptionSet } from './subscription-set.js';
import { createMessageRouter } from './message-router.js';
import type { SubscriptionEntry } from './subscription-set.js';

export const DEFAULT_WS_HANDSHAKE_TIMEOUT_MS = 10_000;

let wsClass: Promise<typeof WebSocket> | undefined;
const loadWebSocket = (): Promise<typeof WebSocket> => (wsClass ??= import('ws').then((m) => m.WebSocket));

export interface WebSocketFeedOptions extends LiveFeedCommonOptions {
  /** `ws://` or `wss://` URL. */
  readonly url: string;
  /** Sent after each connect, once per subscription, with its placeholders rendered; omit when the URL itself selects the stream. */
  readonly subscribe?: string;
  readonly mapping: MessageMapping;
  /** No message for this long: the connection is presumed dead and replaced (0: never). */
  readonly idleTimeoutMs: number;
  readonly handshakeTimeoutMs?: number;
}

interface SubState {
  readonly mapping: CompiledMapping;
  readonly vars: Readonly<Record<string, string>>;
}

interface ConnectionEnd {
  readonly reason: string;
  readonly deliveredBar: boolean;
}

export function createWebSocketFeed(options: WebSocketFeedOptions): LiveFeed {
  const { name, url, mapping, reconnect } = options;
  if (!/^wss?:\/\//i.test(url)) throw new InvalidRequestError('url', `must be a ws:// or wss:// URL, got "${url}"`);
  checkReconnectPolicy(reconnect);
  if (options.subscribe !== undefined) checkTemplate(options.subscribe, 'subscribe');
  const clock = options.clock ?? systemClock;
  const log = options.log;
  const hooks = options.hooks;
  const random = options.random ?? Math.random;
  const malformed = createMalformedReporter(name, log, hooks, () => clock.now());
  const stop = new AbortController();
  let socket: WebSocket | undefined;
  let socketOpen = false;
  let running: Promise<void> | undefined;
  let everConnected = false;
  let closed = false;
  let nextId = 1;

  // Which subscriptions a message is for: one lookup, not every subscription's rules tested.
  const router = createMessageRouter<SubscriptionEntry<SubState>>();
  const subs = createSubscriptionSet<SubState>({
    closeGraceMs: options.closeGraceMs,
    now: () => clock.now(),
    onAdd(entry) {
      router.add(entry, entry.extra.mapping.matchKey);
      if (socketOpen) {
        entry.push({ type: 'connected', at: clock.now(), reconnect: false });
        sendSubscribe(entry);
      }
      running ??= run();
    },
    onRemove(entry) {
      router.remove(entry);
      // Nobody listens any more: drop the connection (a new subscription starts another).
      if (subs.size === 0) socket?.terminate();
    },
  });

  function sendSubscribe(entry: SubscriptionEntry<SubState>): void {
    if (options.subscribe === undefined || !socket) return;
    const text = renderTemplate(options.subscribe, { ...entry.extra.vars, id: String(nextId++) });
    socket.send(text, (error) => {
      if (error) log?.warn({ feed: name, err: error }, 'live feed: subscribe message not sent');
    });
  }

  function handleMessage(data: RawData): boolean {
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch (error) {
      malformed.report(`not JSON: ${error instanceof Error ? error.message : String(error)}`, text);
      return false;
    }
    const now = clock.now();
    let mapped = false;
    let bad: string | undefined;
    for (const entry of router.route(message)) {
      const m = entry.extra.mapping;
      const result = m.extract(message);
      if (!result.ok) {
        bad = result.reason;
        continue;
      }
      mapped = true;
      for (const bar of result.bars) entry.closer.update(bar.ts, bar.values, bar.closed, now);
    }
    if (bad !== undefined) malformed.report(bad, text);
    if (mapped) hooks?.onMessage?.('bar');
    else if (bad === undefined) hooks?.onMessage?.('ignored');
    return mapped;
  }

  async function connectOnce(): Promise<ConnectionEnd> {
    const WebSocketClass = await loadWebSocket();
    return await new Promise((resolve) => {
      let reason = 'connection closed';
      let deliveredBar = false;
      let opened = false;
      let idle: NodeJS.Timeout | undefined;
      let ws: WebSocket;
      try {
        ws = new WebSocketClass(url, { handshakeTimeout: options.handshakeTimeoutMs ?? DEFAULT_WS_HANDSHAKE_TIMEOUT_MS });
      } catch (error) {
        resolve({ reason: error instanceof Error ? error.message : String(error), deliveredBar });
        return;
      }
      socket = ws;
      const armIdle = (): void => {
        if (options.idleTimeoutMs <= 0) return;
        clearTimeout(idle);
        idle = setTimeout(() => {
          reason = `no message for ${options.idleTimeoutMs} ms`;
          ws.terminate();
        }, options.idleTimeoutMs);
        idle.unref();
      };
      ws.on('open', () => {
        opened = true;
        socketOpen = true;
        log?.info({ feed: name, url, reconnect: everConnected }, 'live feed connected');
        subs.broadcast({ type: 'connected', at: clock.now(), reconnect: everConnected });
        everConnected = true;
        for (const entry of subs) sendSubscribe(entry);
        armIdle();
      });
      ws.on('message', (data) => {
        armIdle();
        try {
          if (handleMessage(data)) deliveredBar = true;
        } catch (error) {
          // A bug downstream of the mapping must not take the connection (or the process) down.
          log?.warn({ feed: name, err: error }, 'live feed: handling a message failed; it is skipped');
        }
      });
      ws.on('error', (error) => { reason = error.message; });
      ws.on('close', (code, why) => {
        clearTimeout(idle);
        socketOpen = false;
        if (socket === ws) socket = undefined;
        if (opened && reason === 'connection closed') reason = `closed by the server (code ${code}${why.length > 0 ? `: ${why.toString('utf8')}` : ''})`;
        resolve({ reason, deliveredBar });
      });
    });
  }

  async function run(): Promise<void> {
    let attempt = 0;
    while (!closed && subs.size > 0) {
      const end = await connectOnce();
      for (const entry of subs) entry.closer.reset();
      if (closed || subs.size === 0) break;
      attempt = end.deliveredBar ? 1 : attempt + 1;
      const wait = reconnectDelay(reconnect, attempt, random);
      subs.broadcast({ type: 'disconnected', at: clock.now(), reason: end.reason, attempt, retryInMs: wait });
      log?.warn({ feed: name, url, reason: end.reason, attempt, retryInMs: wait }, 'live feed disconnected; reconnecting');
      // Rejects only when the feed closes while waiting.
      const waited = await delay(wait, stop.signal).then(() => true, () => false);
      if (!waited || closed || subs.size === 0) break;
      hooks?.onReconnect?.();
    }
    running = undefined;
  }

  return {
    name,
    kind: 'websocket',
    subscribe(subscription, signal) {
      if (closed) throw new InvalidRequestError('feed', `live feed ${name} is closed`);
      const compiled = compileMessageMapping(mapping, subscription);
      return subs.add(subscription, { mapping: compiled, vars: templateVars(subscription) }, signal).events;
    },
    async close() {
      if (closed) return;
      closed = true;
      stop.abort();
      subs.endAll();
      socket?.terminate();
      await running;
    },
  };
}
