/**
 * The load mix of issue 12 against a real `seamless serve`: req/s and p50/p99/max for cache
 * hits, storage hits, cold reads and the mix with backfill bursts, plus `/readyz` latency per
 * phase and the gateway's RSS. Measures; never asserts (the guards are in
 * test/scenarios/load-mix.test.ts).
 *
 *   npx tsx bench/load/gateway-mix.bench.ts [path/to/bin/seamless.js]
 *
 * The binary defaults to this tree's; pass another tree's (e.g. a worktree of an older commit)
 * to measure "before" with the same driver.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatFigures } from '../../test/harness/load-driver.js';
import { COLD_READ_BUDGET_MS, loadMixConfig, runLoadMix } from '../../test/harness/load-mix.js';

const bin = resolve(process.argv[2] ?? fileURLToPath(new URL('../../bin/seamless.js', import.meta.url)));
const dir = await mkdtemp(join(tmpdir(), 'seamless-load-bench-'));
const configFile = join(dir, 'seamless.yml');
await writeFile(configFile, loadMixConfig(join(dir, 'data')));
const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--config', configFile], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
let stdout = '';
let stderr = '';
child.stdout.on('data', (c: Buffer) => { stdout += c.toString('utf8'); });
child.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
try {
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (url === undefined) {
    url = /listening on (http:\/\/\S+)/.exec(stdout)?.[1];
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`gateway did not start: ${stderr.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  console.log(`gateway ${bin} at ${url}`);
  const result = await runLoadMix(url, { pid: child.pid ?? 0, log: (l) => console.log(l) });
  console.log(`\n${formatFigures(result.figures)}\n\n${formatFigures(result.readyz)}`);
  const n = result.nineBar;
  console.log(`\n9-bar cold read during the bursts: ${n.status} in ${n.ms.toFixed(0)} ms (budget ${COLD_READ_BUDGET_MS} ms), rows ${n.rows}, downgraded ${String(n.downgraded)}`);
  console.log(`gateway RSS: idle ${(result.rss.idleBytes / 2 ** 20).toFixed(0)} MiB, max ${(result.rss.maxBytes / 2 ** 20).toFixed(0)} MiB; load process event-loop delay p99 ${result.clientLoop.p99Ms.toFixed(1)} ms, max ${result.clientLoop.maxMs.toFixed(1)} ms`);
} finally {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
}
