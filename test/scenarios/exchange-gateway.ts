/**
 * The deployment several scenarios share: a `seamless serve` child backfilling from the Binance
 * stand-in (test/harness/fake-exchange-server.ts) through the real ccxt client and an HTTP fault
 * proxy in front of it, with a YAML configuration written as an operator would. Each scenario
 * names only what differs: top-level blocks (logging, universes), other sources, the exchange
 * source's extra keys and timeout, its datasets, its `seamless:` block, and files written in the
 * directory before the gateway starts (SLA policies).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp-dir.js';
import { killSeamlessProcesses, startSeamless, waitForLine } from '../harness/seamless-processes.js';
import type { SeamlessProcess } from '../harness/seamless-processes.js';
import { BTCUSDT_1M, startFakeExchange } from '../harness/fake-exchange-server.js';
import type { FakeExchange } from '../harness/fake-exchange-server.js';
import { createFaults } from './fault-injection.js';
import type { Faults, HttpFaultProxy } from './fault-injection.js';

export interface ExchangeGatewayOptions {
  /** Temp directory prefix, e.g. `seamless-resample-`. */
  readonly prefix: string;
  /** Top-level YAML lines after `dataDir`, e.g. `'logging: { level: info }'` or a `universes:` block. */
  readonly topLines?: readonly string[];
  /** Other sources beside `binance` (2-space indented), e.g. `'  synthetic: { kind: synthetic, seed: 1 }'`. */
  readonly otherSourceLines?: readonly string[];
  /** Extra YAML lines of the `binance` source (4-space indented), e.g. `'    pageLimit: 30'`. */
  readonly sourceLines?: readonly string[];
  /** The `binance` source's `timeoutMs` (default 30,000). */
  readonly timeoutMs?: number;
  /** The `datasets:` entries (2-space indented list items). */
  readonly datasetLines: readonly string[];
  /** The `seamless:` block's lines (2-space indented), or their maker given the directory; none: no block. */
  readonly seamlessLines?: readonly string[] | ((dir: string) => readonly string[]);
  /** Before the gateway starts: writes what the configuration refers to in the directory (SLA policies), scripts the exchange. */
  readonly prepare?: (dir: string, exchange: FakeExchange) => Promise<void>;
}

export interface ExchangeGateway {
  readonly dir: Awaited<ReturnType<typeof tempDir>>;
  readonly exchange: FakeExchange;
  readonly faults: Faults;
  readonly proxy: HttpFaultProxy;
  readonly gateway: SeamlessProcess;
  readonly url: string;
  /** Kills the Seamless children, the proxy and the exchange, and removes the directory. */
  stop(): Promise<void>;
}

export async function startExchangeGateway(options: ExchangeGatewayOptions): Promise<ExchangeGateway> {
  const dir = await tempDir(options.prefix);
  const exchange = await startFakeExchange({ now: BTCUSDT_1M.recordedAt });
  const faults = createFaults();
  const stop = async (): Promise<void> => {
    await killSeamlessProcesses();
    await faults.teardown();
    await exchange.close();
    await dir.remove();
  };
  try {
    const proxy = await faults.httpProxy(exchange.url);
    await options.prepare?.(dir.path, exchange);
    const seamlessLines = typeof options.seamlessLines === 'function' ? options.seamlessLines(dir.path) : options.seamlessLines;
    const configFile = join(dir.path, 'seamless.yml');
    await writeFile(configFile, [
      `dataDir: ${JSON.stringify(join(dir.path, 'data'))}`,
      ...(options.topLines ?? []),
      'sources:',
      ...(options.otherSourceLines ?? []),
      '  binance:',
      '    kind: ccxt',
      '    exchange: binance',
      `    urls: { public: "${proxy.url}/api/v3" }`,
      '    options: { fetchMarkets: { types: [spot] } }',
      '    rateLimit: { requestsPerSecond: 50, burst: 5 }',
      ...(options.sourceLines ?? []),
      `    timeoutMs: ${options.timeoutMs ?? 30_000}`,
      'datasets:',
      ...options.datasetLines,
      ...(seamlessLines ? ['seamless:', ...seamlessLines] : []),
      '',
    ].join('\n'));
    const gateway = startSeamless(['serve', '--port', '0', '--config', configFile], dir.path, 'gateway');
    const url = (await waitForLine(gateway, /listening on (http:\/\/\S+)/, 90_000))[1];
    return { dir, exchange, faults, proxy, gateway, url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
