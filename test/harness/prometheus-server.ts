/**
 * A throwaway Prometheus on a free loopback port, for integration tests: a generated
 * prometheus.yml (scrape and evaluation every second, the static targets and rule files the test
 * gives) and its TSDB in a temp dir. Uses the Debian `prometheus` binary from PATH
 * (scripts/system-packages.txt makes `npm run test:all` install it); `prometheusAvailable()` lets
 * callers skip when it is absent.
 *
 * Prometheus hands a new configuration's targets to its scrapers up to ~5 s after start (its
 * discovery manager batches updates): start it early, with the targets' ports chosen in advance.
 * The process and the temp dir are registered with leftovers.ts, so a failing test never leaves
 * either behind; `stop()` kills the server and removes the dir.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, trackDir } from './leftovers.js';
import { spawnServer } from './server-process.js';

export const PROMETHEUS_BINARY = 'prometheus';

export interface ScrapeJob {
  /** The `job` label of every series scraped from these targets. */
  readonly job: string;
  /** `host:port` of each target. */
  readonly targets: readonly string[];
  readonly metricsPath?: string;
  /** Extra target labels, e.g. `{ component: 'gateway' }`. */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface PrometheusServerOptions {
  readonly jobs?: readonly ScrapeJob[];
  /** Rule files (absolute paths) evaluated every `evaluationIntervalS`. */
  readonly ruleFiles?: readonly string[];
  readonly scrapeIntervalS?: number;
  readonly evaluationIntervalS?: number;
  readonly binary?: string;
  readonly startTimeoutMs?: number;
}

/** One element of an instant vector; `value` is NaN when Prometheus says "NaN". */
export interface Sample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface ActiveTarget {
  readonly job: string;
  readonly scrapeUrl: string;
  readonly health: 'up' | 'down' | 'unknown';
  readonly lastError: string;
}

export interface RuleState {
  readonly group: string;
  readonly file: string;
  /** The record or alert name. */
  readonly name: string;
  readonly type: 'recording' | 'alerting';
  readonly health: 'ok' | 'err' | 'unknown';
  readonly lastError: string;
}

export interface PrometheusServer {
  /** e.g. http://127.0.0.1:9090 */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Instant query at now; rejects on an API error (bad expression). */
  query(expr: string): Promise<Sample[]>;
  /** `/api/v1/targets`: the active targets with their last scrape's health. */
  targets(): Promise<ActiveTarget[]>;
  /** `/api/v1/rules`: every loaded rule with its last evaluation's health. */
  rules(): Promise<RuleState[]>;
  /** Everything the server logged so far (for assertion messages). */
  log(): string;
  /** Kills the server (SIGTERM, then SIGKILL after 5 s) and removes the temp dir; idempotent. */
  stop(): Promise<void>;
}

/** True when the prometheus binary is on PATH (tests skip otherwise). */
export function prometheusAvailable(binary = PROMETHEUS_BINARY): boolean {
  return spawnSync(binary, ['--version'], { stdio: 'ignore' }).status === 0;
}


function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface ApiReply<T> { status: string; data: T; error?: string }

async function api<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  const body = (await res.json()) as ApiReply<T>;
  if (body.status !== 'success') throw new Error(`${url}: ${res.status} ${body.error ?? JSON.stringify(body)}`);
  return body.data;
}

/** Starts Prometheus on 127.0.0.1 and a free port; resolves once `/-/ready` answers 200. */
export async function startPrometheusServer(options: PrometheusServerOptions = {}): Promise<PrometheusServer> {
  const binary = options.binary ?? PROMETHEUS_BINARY;
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  const dir = await mkdtemp(join(tmpdir(), 'seamless-prometheus-'));
  trackDir(dir);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = join(dir, 'prometheus.yml');
  await writeFile(config, stringify({
    global: { scrape_interval: `${options.scrapeIntervalS ?? 1}s`, evaluation_interval: `${options.evaluationIntervalS ?? 1}s` },
    ...(options.ruleFiles && options.ruleFiles.length > 0 ? { rule_files: [...options.ruleFiles] } : {}),
    scrape_configs: (options.jobs ?? []).map((j) => ({
      job_name: j.job,
      metrics_path: j.metricsPath ?? '/metrics',
      static_configs: [{ targets: [...j.targets], ...(j.labels ? { labels: { ...j.labels } } : {}) }],
    })),
  }));
  const server = spawnServer(binary, [
    `--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
  ], dir);
  const { child, stop } = server;

  try {
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`prometheus exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${server.output()}`);
      const ready = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false);
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`prometheus not ready within ${startTimeoutMs} ms:\n${server.output()}`);
      await pause(50);
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    url,
    port,
    dir,
    async query(expr) {
      const data = await api<{ resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] }>(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      if (data.resultType !== 'vector') throw new Error(`${expr}: expected an instant vector, got ${data.resultType}`);
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async targets() {
      const data = await api<{ activeTargets: { labels: Record<string, string>; scrapeUrl: string; health: ActiveTarget['health']; lastError: string }[] }>(`${url}/api/v1/targets`);
      return data.activeTargets.map((t) => ({ job: t.labels.job ?? '', scrapeUrl: t.scrapeUrl, health: t.health, lastError: t.lastError }));
    },
    async rules() {
      const data = await api<{ groups: { name: string; file: string; rules: { name: string; type: RuleState['type']; health: RuleState['health']; lastError?: string }[] }[] }>(`${url}/api/v1/rules`);
      return data.groups.flatMap((g) => g.rules.map((r) => ({ group: g.name, file: g.file, name: r.name, type: r.type, health: r.health, lastError: r.lastError ?? '' })));
    },
    log: server.output,
    stop,
  };
}
