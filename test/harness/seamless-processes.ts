/**
 * `seamless` CLI commands as child processes for integration tests: a coordinator service
 * (`seamless coordinator serve`) and `seamless worker`s, their stdout/stderr captured, plus the
 * polling helpers those tests share (wait for a stdout line, wait for a condition with a deadline,
 * check that a condition holds for a while) and a reader of the coordinator's Server-Sent Events.
 *
 * Every process is registered in a module-level set: `killSeamlessProcesses()` (for afterAll /
 * afterEach) SIGKILLs the ones still running and waits for them, and an `exit` / SIGINT / SIGTERM
 * hook does the same synchronously, so a failing test never leaves `seamless.js` processes behind.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SEAMLESS_CLI } from './seamless-cli.js';

/** The CLI script the children run: the run's bundle, else bin/seamless.js (see seamless-cli.ts). */
export const SEAMLESS_BIN = SEAMLESS_CLI;

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SeamlessProcess {
  readonly name: string;
  readonly process: ChildProcess;
  /** Everything written to stdout / stderr so far. */
  stdout: string;
  stderr: string;
  readonly exited: Promise<Exit>;
  running(): boolean;
  /** Sends `signal` (default SIGKILL) unless already gone, and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<Exit>;
}

const live = new Set<SeamlessProcess>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const killSync = (): void => {
    for (const p of live) {
      try { p.process.kill('SIGKILL'); } catch { /* already gone: nothing to stop */ }
    }
    live.clear();
  };
  process.once('exit', killSync);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killSync();
      process.kill(process.pid, signal);
    });
  }
}

/** The test runner's environment without SEAMLESS_* variables (the config file decides, unless a test adds some). */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SEAMLESS_')) env[k] = v;
  return env;
}

/**
 * Starts `node SEAMLESS_BIN …args` (the `seamless` CLI) in `cwd`. `env` adds variables to the child's environment
 * (e.g. a `SEAMLESS_*` override, the way an operator flips a rollback switch).
 */
export function startSeamless(args: readonly string[], cwd: string, name = args[0] ?? 'seamless', env: Readonly<Record<string, string>> = {}): SeamlessProcess {
  hookExit();
  const proc = spawn(process.execPath, [SEAMLESS_BIN, ...args], { cwd, env: { ...childEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<Exit>((resolve) => {
    proc.once('exit', (code, signal) => resolve({ code, signal }));
    proc.once('error', () => resolve({ code: proc.exitCode, signal: proc.signalCode }));
  });
  const child: SeamlessProcess = {
    name,
    process: proc,
    stdout: '',
    stderr: '',
    exited,
    running: () => proc.exitCode === null && proc.signalCode === null,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.running()) proc.kill(signal);
      return exited;
    },
  };
  live.add(child);
  void exited.then(() => live.delete(child));
  proc.stdout.on('data', (chunk: Buffer) => { child.stdout += chunk.toString('utf8'); });
  proc.stderr.on('data', (chunk: Buffer) => { child.stderr += chunk.toString('utf8'); });
  return child;
}

/** SIGKILLs every seamless process still running and waits for them all to exit. */
export async function killSeamlessProcesses(): Promise<void> {
  await Promise.all([...live].map((p) => p.kill('SIGKILL')));
}

/** The seamless processes still running (for failure reports). */
export function runningSeamlessProcesses(): SeamlessProcess[] {
  return [...live].filter((p) => p.running());
}

/** The last `lines` lines of a process's stderr and stdout, for failure messages. */
export function processReport(p: SeamlessProcess, lines = 8): string {
  return `--- ${p.name} (pid ${p.process.pid ?? '?'}) stderr:\n${tail(p.stderr, lines)}\n--- ${p.name} stdout:\n${tail(p.stdout, lines)}`;
}

function tail(text: string, lines = 20): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** Resolves with the first stdout match of `pattern`; rejects if the process exits first or time runs out. */
export async function waitForLine(child: SeamlessProcess, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(child.stdout);
    if (m) return m;
    if (!child.running()) throw new Error(`${child.name} exited (${child.process.exitCode ?? child.process.signalCode}) before ${pattern}: ${tail(child.stderr)}`);
    if (Date.now() > deadline) throw new Error(`${child.name}: no ${pattern} within ${timeoutMs} ms; stdout: ${tail(child.stdout)}; stderr: ${tail(child.stderr)}`);
    await pause(50);
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `probe` (every `everyMs`) until it returns something other than undefined, and returns
 * that; throws naming `what` after `timeoutMs`. A probe that throws counts as "not yet".
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}${last === undefined ? '' : ` (last error: ${String(last)})`}`, { cause: last });
    await pause(everyMs);
  }
}

/** Polls `check` for `forMs` and throws at the first answer that is not `expected` (an invariant over a window). */
export async function holdsFor<T>(what: string, check: () => Promise<T>, expected: T, forMs: number, everyMs = 200): Promise<void> {
  const end = Date.now() + forMs;
  while (Date.now() < end) {
    const value = await check();
    if (value !== expected) throw new Error(`${what}: expected ${String(expected)} throughout ${forMs} ms, got ${String(value)}`);
    await pause(everyMs);
  }
}

/**
 * Writes `<dir>/seamless.yml` for a deployment: dataDir `<dir>/data`, logging at warn, then `body`
 * (YAML lines: sources, datasets, seamless…). Returns the file's path.
 */
export async function writeSeamlessConfig(dir: string, body: readonly string[]): Promise<string> {
  const file = join(dir, 'seamless.yml');
  await writeFile(file, [`dataDir: ${JSON.stringify(join(dir, 'data'))}`, 'logging: { level: warn }', ...body, ''].join('\n'));
  return file;
}

/** Seamless coordinator CLI: `coordinator serve --port P …extra`, resolved once it prints its URL. */
export async function startCoordinator(configFile: string, cwd: string, extra: readonly string[] = [], port = 0): Promise<{ process: SeamlessProcess; url: string }> {
  const child = startSeamless(['coordinator', 'serve', '--workers', '0', '--port', String(port), '--config', configFile, ...extra], cwd, 'coordinator');
  const url = (await waitForLine(child, /listening on (http:\/\/\S+)/))[1];
  return { process: child, url };
}

/** `seamless worker --coordinator URL --id ID`, resolved once it says it is pulling shards. */
export async function startWorkers(url: string, configFile: string, cwd: string, ids: readonly string[], extra: readonly string[] = []): Promise<SeamlessProcess[]> {
  const workers = ids.map((id) => startSeamless(['worker', '--coordinator', url, '--config', configFile, '--id', id, ...extra], cwd, id));
  await Promise.all(workers.map((w) => waitForLine(w, /pulling shards from/)));
  return workers;
}

export interface StreamedEvent {
  readonly id: number;
  readonly type: string;
  readonly data: Record<string, unknown>;
}

function parseBlocks(text: string): { events: StreamedEvent[]; rest: string } {
  const blocks = text.split('\n\n');
  const rest = blocks.pop() ?? '';
  const events: StreamedEvent[] = [];
  for (const block of blocks) {
    let id = 0;
    let type = '';
    let data: string | undefined;
    for (const line of block.split('\n')) {
      if (line.startsWith('id: ')) id = Number(line.slice(4));
      else if (line.startsWith('event: ')) type = line.slice(7);
      else if (line.startsWith('data: ')) data = line.slice(6);
    }
    if (type !== '' && data !== undefined) events.push({ id, type, data: JSON.parse(data) as Record<string, unknown> });
  }
  return { events, rest };
}

export interface EventCollector {
  /** Every event received so far, in order. */
  readonly events: StreamedEvent[];
  /** Events of one type. */
  ofType(type: string): StreamedEvent[];
  close(): void;
}

/**
 * Subscribes to `GET /v1/events` and collects events in the background until closed or the
 * server ends the stream (a subscriber from the start sees every event, whatever the replay
 * buffer's size). Resolves once the stream is open.
 */
export async function collectEvents(url: string, lastEventId?: number): Promise<EventCollector> {
  const controller = new AbortController();
  const res = await fetch(`${url}/v1/events`, {
    ...(lastEventId !== undefined ? { headers: { 'last-event-id': String(lastEventId) } } : {}),
    signal: controller.signal,
  });
  const reader = res.body?.getReader();
  if (!res.ok || !reader) throw new Error(`GET /v1/events answered ${res.status}`);
  const events: StreamedEvent[] = [];
  const decoder = new TextDecoder();
  void (async () => {
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const parsed = parseBlocks(text + decoder.decode(value, { stream: true }));
      events.push(...parsed.events);
      text = parsed.rest;
    }
  })().catch(() => undefined); // aborted or the server went away: the collection simply ends
  return {
    events,
    ofType: (type) => events.filter((e) => e.type === type),
    close: () => controller.abort(),
  };
}
