/**
 * A Seamless instance and its gateway in the test process, on a free loopback port, over a data
 * directory of its own: `startInProcessGateway` for one test, `gatewayForSuite` for a describe
 * block (started in beforeAll, closed in afterAll with its directory removed).
 */
import { afterAll, beforeAll } from 'vitest';
import { createSeamless } from '../../src/app/index.js';
import type { CreateSeamlessOptions, Seamless } from '../../src/app/index.js';
import { serveGateway } from '../../src/gateway/index.js';
import type { RunningGateway } from '../../src/gateway/index.js';
import { silentLogger } from '../../src/observability/index.js';
import { tempDir } from './temp-dir.js';

export interface InProcessGateway {
  readonly seamless: Seamless;
  readonly gateway: RunningGateway;
  /** The temp directory the instance was given (its dataDir unless the options say otherwise). */
  readonly dir: string;
  /** The gateway's base URL. */
  readonly url: string;
  close(): Promise<void>;
}

/** The options of the instance, built from its temp directory; env defaults to {} and the logger to a silent one. */
export type GatewayOptions = (dir: string) => CreateSeamlessOptions | Promise<CreateSeamlessOptions>;

export async function startInProcessGateway(options: GatewayOptions): Promise<InProcessGateway> {
  const dir = await tempDir();
  let seamless: Seamless | undefined;
  try {
    seamless = await createSeamless({ env: {}, logger: silentLogger(), ...(await options(dir.path)) });
    const gateway = await serveGateway({ seamless, host: '127.0.0.1', port: 0 });
    const instance = seamless;
    return {
      seamless: instance, gateway, dir: dir.path, url: gateway.url,
      close: async () => {
        await gateway.close();
        await instance.close();
        await dir.remove();
      },
    };
  } catch (error) {
    await seamless?.close();
    await dir.remove();
    throw error;
  }
}

/** One instance for the describe block this is called in; its fields are readable once beforeAll has run. */
export function gatewayForSuite(options: GatewayOptions): InProcessGateway {
  let running: InProcessGateway | undefined;
  beforeAll(async () => {
    running = await startInProcessGateway(options);
  });
  afterAll(async () => {
    await running?.close();
  });
  const get = (): InProcessGateway => {
    if (running === undefined) throw new TypeError('gatewayForSuite: the gateway is read before beforeAll started it');
    return running;
  };
  return {
    get seamless() { return get().seamless; },
    get gateway() { return get().gateway; },
    get dir() { return get().dir; },
    get url() { return get().url; },
    close: async () => running?.close(),
  };
}
