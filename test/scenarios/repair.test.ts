/**
 * Repair as an operator does it, on a real `seamless serve` child process (embedded DuckDB, the
 * demo synthetic source, API keys):
 *
 * 1. a week of 1m bars is read (backfilled), then one day of it purged with `seamless purge
 *    --url`: coverage shows the hole, a storage-only read returns the rest, the audit names the
 *    admin key, the metrics count it and the log says it;
 * 2. `seamless backfill --force --url` purges and fetches the week again: every bar once, the
 *    same prices as before;
 * 3. faults: the gateway is killed with SIGKILL while a purge of the week is in flight, and again
 *    right after a forced backfill was accepted. After each restart coverage and rows agree
 *    exactly (nothing half-deleted), the audit has an entry exactly when rows went, and a read of
 *    the week completes with every bar once.
 */
import { describe, expect, it } from 'vitest';
import { adminGatewayForFile } from '../harness/admin-gateway.js';

const MIN = 60_000;
const DAY = 1440 * MIN;
const T0 = Date.UTC(2024, 3, 1);
const WEEK = 7 * DAY;
const BTC = 'ohlcv:demo:BTC-USD';
const iso = (t: number) => new Date(t).toISOString();

interface Range { start: number; end: number; state: string }
interface Bars { data: { ts: number[]; open: number[] }; metadata: { rows: number } }
interface AuditEntry { id: number; actor: string; action: string; start: number; end: number; rowsRemoved: number }

const deployment = adminGatewayForFile('seamless-repair-', 'repair-admin');
const { auth, serve, cli } = deployment;

async function read(url: string, extra = ''): Promise<Bars> {
  const res = await fetch(`${url}/v1/bars?node=${BTC}&interval=1m&start=${iso(T0)}&end=${iso(T0 + WEEK)}${extra}`, { headers: auth });
  const text = await res.text();
  expect(res.status, text.slice(0, 400)).toBe(200);
  return JSON.parse(text) as Bars;
}

/** Coverage of the week and the rows storage holds there (no backfill): they must agree exactly. */
async function storedState(url: string): Promise<{ stored: Range[]; ts: number[] }> {
  const cov = await fetch(`${url}/v1/coverage?node=${BTC}&interval=1m&start=${iso(T0)}&end=${iso(T0 + WEEK)}`, { headers: auth });
  const ranges = ((await cov.json()) as { ranges: Range[] }).ranges;
  const stored: Range[] = [];
  for (const r of ranges) if (r.state === 'stored') stored.push({ start: Math.max(r.start, T0), end: Math.min(r.end, T0 + WEEK), state: r.state });
  return { stored, ts: (await read(url, '&strategy=fail_fast&partial_ok=true')).data.ts };
}

function barsOf(ranges: readonly Range[]): number[] {
  const out: number[] = [];
  for (const r of ranges) for (let t = r.start; t < r.end; t += MIN) out.push(t);
  return out;
}

async function audit(url: string): Promise<AuditEntry[]> {
  const res = await fetch(`${url}/v1/audit?limit=50`, { headers: auth });
  expect(res.status).toBe(200);
  return ((await res.json()) as { entries: AuditEntry[] }).entries;
}

describe('repair on a running gateway: purge, forced backfill, and SIGKILL in the middle', () => {
  it('purges and re-fetches through the CLI, and a gateway killed mid-repair leaves nothing half-deleted', async () => {
    let gateway = await serve('gateway-1');
    const original = await read(gateway.url);
    expect(original.metadata.rows).toBe(7 * 1440);

    // 1. Purge one day with the CLI against the gateway.
    const purge = await cli(['purge', '--url', gateway.url, '--key', deployment.secret, '--node', BTC, '--interval', '1m',
      '--start', iso(T0 + 2 * DAY), '--end', iso(T0 + 3 * DAY), '--yes'], 'purge');
    expect(purge.stdout).toContain(`purged ${BTC} 1m [${iso(T0 + 2 * DAY)}, ${iso(T0 + 3 * DAY)}): 1440 rows removed`);
    const holed = await storedState(gateway.url);
    expect(holed.stored.map((r) => [r.start, r.end])).toEqual([[T0, T0 + 2 * DAY], [T0 + 3 * DAY, T0 + WEEK]]);
    expect(holed.ts).toEqual(barsOf(holed.stored));
    expect((await audit(gateway.url))[0]).toMatchObject({ actor: 'repair-admin', action: 'purge', rowsRemoved: 1440, start: T0 + 2 * DAY });
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toContain(`seamless_repair_purges_total{node_id="${BTC}",interval="1m",action="purge"} 1`);
    expect(metrics).toContain(`seamless_repair_rows_removed_total{node_id="${BTC}",interval="1m",action="purge"} 1440`);
    expect(gateway.process.stderr).toContain('"msg":"range purged"');

    // 2. A forced backfill of the week re-fetches it: every bar once, the same deterministic prices.
    const forced = await cli(['backfill', '--force', '--yes', '--url', gateway.url, '--key', deployment.secret, '--node', BTC, '--interval', '1m',
      '--start', iso(T0), '--end', iso(T0 + WEEK)], 'backfill-force');
    expect(forced.stdout).toContain(`${6 * 1440} rows removed`);
    expect(forced.stdout).toMatch(/backfill job_\S+ completed/);
    const refetched = await read(gateway.url, '&strategy=fail_fast');
    expect(refetched.data.ts).toEqual(original.data.ts);
    expect(refetched.data.open).toEqual(original.data.open);

    // 3a. SIGKILL while a purge of the whole week is in flight.
    const inFlight = fetch(`${gateway.url}/v1/bars?node=${BTC}&interval=1m&start=${iso(T0)}&end=${iso(T0 + WEEK)}`, { method: 'DELETE', headers: auth })
      .then((r) => r.status, () => 'connection lost');
    await new Promise<void>((resolve) => { setImmediate(resolve); });
    expect(await gateway.process.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    const answered = await inFlight;
    gateway = await serve('gateway-2');
    const afterKill = await storedState(gateway.url);
    expect(afterKill.ts).toEqual(barsOf(afterKill.stored));
    const purgedWhole = (await audit(gateway.url)).some((e) => e.action === 'purge' && e.start === T0 && e.end === T0 + WEEK);
    // Committed whole (audited, nothing left) or not at all (everything there): never in between.
    expect([purgedWhole, afterKill.ts.length], `DELETE answered ${String(answered)}`).toEqual(purgedWhole ? [true, 0] : [false, 7 * 1440]);

    // 3b. SIGKILL right after a forced backfill of the week was accepted (its purge committed).
    const accepted = await fetch(`${gateway.url}/v1/backfills/force`, {
      method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ node: BTC, interval: '1m', start: iso(T0), end: iso(T0 + WEEK) }),
    });
    expect(accepted.status).toBe(202);
    expect(await gateway.process.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    gateway = await serve('gateway-3');
    const afterForceKill = await storedState(gateway.url);
    expect(afterForceKill.ts).toEqual(barsOf(afterForceKill.stored));
    expect((await audit(gateway.url))[0]).toMatchObject({ action: 'force_backfill', actor: 'repair-admin', start: T0, end: T0 + WEEK });
    // The purged shards are not taken as done: a read fetches whatever the killed job had not.
    const healed = await read(gateway.url);
    expect(healed.data.ts).toEqual(original.data.ts);
    expect(healed.data.open).toEqual(original.data.open);
    gateway.process.process.kill('SIGTERM');
    expect(await gateway.process.exited).toEqual({ code: 0, signal: null });
  }, 120_000);
});
