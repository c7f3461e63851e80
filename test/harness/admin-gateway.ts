/**
 * One `seamless serve` deployment for the scenarios of a file, set up as an operator does: a temp
 * dir holding seamless.yml (writeSeamlessConfig: data in `<dir>/data`) with one admin API key
 * and the file's own lines, `serve(name)` starting the gateway child on a free port (restartable
 * on the same data directory), `cli(args, name)` running a `seamless` command that must exit 0,
 * and the admin's secret and Authorization header. The temp dir is made in beforeAll; every
 * `seamless` child is killed and the dir removed in afterAll.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { generateApiKey } from '../../src/gateway/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { killSeamlessProcesses, processReport, startSeamless, waitForLine, writeSeamlessConfig } from './seamless-processes.js';
import type { SeamlessProcess } from './seamless-processes.js';

export interface AdminGateway {
  /** The deployment's dir (the children's working directory); only from beforeAll on. */
  readonly dir: string;
  /** The admin key's secret (for `--key`). */
  readonly secret: string;
  /** `Authorization: Bearer <admin secret>`. */
  readonly auth: { readonly authorization: string };
  /** `seamless serve --port 0` on the deployment's config; resolves with its URL once it listens. */
  serve(name: string): Promise<{ process: SeamlessProcess; url: string }>;
  /** `seamless ...args` in the deployment's dir; expects exit status 0. */
  cli(args: readonly string[], name: string): Promise<SeamlessProcess>;
}

/** Registers the deployment's beforeAll/afterAll; `keyName` names the admin key (the audit's actor). */
export function adminGatewayForFile(dirPrefix: string, keyName: string, configLines: readonly string[] = []): AdminGateway {
  const admin = generateApiKey(keyName, ['admin']);
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  let configFile = '';

  beforeAll(async () => {
    dir = await tempDir(dirPrefix);
    configFile = await writeSeamlessConfig(dir.path, ['auth:', `  keys: [${JSON.stringify(admin.entry)}]`, ...configLines]);
  });

  afterAll(async () => {
    await killSeamlessProcesses();
    await dir?.remove();
  });

  const path = (): string => {
    if (dir === undefined) throw new Error(`the deployment ${dirPrefix} is not set up yet (use it from a test or a hook)`);
    return dir.path;
  };

  return {
    get dir() { return path(); },
    secret: admin.secret,
    auth: { authorization: `Bearer ${admin.secret}` },
    async serve(name) {
      const child = startSeamless(['serve', '--port', '0', '--config', configFile], path(), name);
      const url = (await waitForLine(child, /listening on (http:\/\/\S+)/, 90_000))[1];
      return { process: child, url };
    },
    async cli(args, name) {
      const child = startSeamless(args, path(), name);
      const exit = await child.exited;
      expect(exit, processReport(child)).toEqual({ code: 0, signal: null });
      return child;
    },
  };
}
