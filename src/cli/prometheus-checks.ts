/**
 * `seamless health --prometheus URL`: asks a Prometheus whether it holds the series every healthy
 * deployment exports (EXPECTED_SERIES of observability). One check `prometheus` (it answers, its
 * version) and, when it answers, one `prometheus:<series>` per series: OK with the number of
 * series per scrape job, FAIL naming the series it lacks. Queries are instant queries, so a
 * series whose target went down (stale) counts as missing.
 */
import { EXPECTED_SERIES } from '../observability/index.js';
import type { HealthCheck } from '../app/index.js';

/** How long each Prometheus API call may take. */
export const PROMETHEUS_TIMEOUT_MS = 5_000;

type Checks = Record<string, HealthCheck>;

interface ApiReply {
  readonly status?: string;
  readonly error?: string;
  readonly data?: unknown;
}

/** The Prometheus base URL with a trailing slash (a Prometheus may sit under a path prefix). */
function baseOf(url: string): URL | undefined {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    return undefined; // reported by the caller as "not a URL"
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') return undefined;
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  return base;
}

/** fetch's own message is "fetch failed": the cause's code (ECONNREFUSED) or message says more. */
function failureOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
  const reason = cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message;
  if (reason !== undefined) return reason;
  return error instanceof Error ? error.message : String(error);
}

async function api(base: URL, path: string, timeoutMs: number): Promise<ApiReply> {
  const res = await fetch(new URL(path, base), { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let body: ApiReply;
  try {
    body = JSON.parse(text) as ApiReply;
  } catch {
    return { status: 'error', error: `answered ${res.status} without JSON: ${text.slice(0, 120)}` };
  }
  return res.ok ? body : { status: 'error', error: body.error ?? `answered ${res.status}` };
}

/** `count by (job)` of one series: OK with the jobs exporting it, FAIL when there are none. */
async function seriesCheck(base: URL, series: string, timeoutMs: number): Promise<HealthCheck> {
  try {
    const reply = await api(base, `api/v1/query?query=${encodeURIComponent(`count by (job) (${series})`)}`, timeoutMs);
    if (reply.status !== 'success') return { ok: false, detail: `query for ${series} failed: ${reply.error ?? 'no result'}` };
    const result = (reply.data as { result?: { metric?: { job?: string }; value?: [number, string] }[] } | undefined)?.result ?? [];
    if (result.length === 0) return { ok: false, detail: `missing: no series ${series} at ${base.origin} (is it scraping the gateway and coordinator?)` };
    const jobs = result.map((r) => `${r.metric?.job ?? '(no job label)'} (${r.value?.[1] ?? '?'} series)`).sort();
    return { ok: true, detail: `jobs ${jobs.join(', ')}` };
  } catch (error) {
    return { ok: false, detail: `cannot query ${series}: ${failureOf(error)}` };
  }
}

/** The `prometheus` check and, when Prometheus answers, one `prometheus:<series>` check per series. */
export async function prometheusChecks(url: string, series: readonly string[] = EXPECTED_SERIES, timeoutMs = PROMETHEUS_TIMEOUT_MS): Promise<Checks> {
  const base = baseOf(url);
  if (base === undefined) return { prometheus: { ok: false, detail: `"${url}" is not an http(s) URL (e.g. http://127.0.0.1:9090)` } };
  const checks: Checks = {};
  try {
    const info = await api(base, 'api/v1/status/buildinfo', timeoutMs);
    if (info.status !== 'success') return { prometheus: { ok: false, detail: `${base.href} is not a Prometheus API: ${info.error ?? 'no status'}` } };
    const version = (info.data as { version?: string } | undefined)?.version ?? 'unknown version';
    checks.prometheus = { ok: true, detail: `${base.origin} answers (Prometheus ${version})` };
  } catch (error) {
    return { prometheus: { ok: false, detail: `cannot reach ${base.origin}: ${failureOf(error)}` } };
  }
  const results = await Promise.all(series.map((s) => seriesCheck(base, s, timeoutMs)));
  for (let i = 0; i < series.length; i++) checks[`prometheus:${series[i]}`] = results[i];
  return checks;
}
