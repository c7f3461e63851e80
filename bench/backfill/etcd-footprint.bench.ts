/**
 * What backfill leaves in etcd: jobs of 1 day, 1 week, 1 month and 1 year of 1m bars (and a year
 * of 1h) at the default shard sizes, run through the etcd LeaseStore (src/engines/etcd) on a real
 * single-member etcd started by the test harness: register the job with its shards, then per
 * shard claim, two heartbeats and complete. Prints keys per job and per shard, bytes of the live
 * values, revisions consumed per step and the bytes each step adds to etcd's history (what
 * compaction must reclaim), then a fleet of jobs with the backend size it grows by and the time of
 * one claimable() scan over all its shard records. Baseline: a
 * bare etcd put, one per key, of the same number of keys with the same sizes. Counts, not times
 * (except the fleet's shards/s, from a shared 2-core VM under load). Measures; never asserts.
 * Run: node --expose-gc --import tsx bench/backfill/etcd-footprint.bench.ts
 */
import { performance } from 'node:perf_hooks';
import { Etcd3 } from 'etcd3';
import { shardsCovering } from '../../src/core/index.js';
import { createEtcdLeaseStore } from '../../src/engines/etcd/index.js';
import { DEFAULT_BARS_PER_SHARD_BY_INTERVAL } from '../../src/backfill/index.js';
import type { JobRecord, LeaseStore, ShardSpec } from '../../src/backfill/index.js';
import { etcdAvailable, startEtcdCluster, ETCD_BINARY } from '../../test/harness/etcd-cluster.js';
import { heading, record } from '../harness.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const START = Date.UTC(2024, 0, 1);
const HEARTBEATS = 2;
const LEASE_MS = 15_000;
const FLEET_DATASETS = 100;
const FLEET_WORKERS = 16;

interface Step { revisions: number; bytes: number; count: number }
const emptyStep = (): Step => ({ revisions: 0, bytes: 0, count: 0 });

interface Footprint { keys: number; valueBytes: number; keyBytes: number }

async function revision(raw: Etcd3): Promise<number> {
  return Number((await raw.get('/bench-probe').exec()).header.revision);
}

async function footprint(raw: Etcd3, prefix: string): Promise<Footprint> {
  const res = await raw.getAll().prefix(prefix).exec();
  let valueBytes = 0;
  let keyBytes = 0;
  for (const kv of res.kvs) { valueBytes += kv.value.length; keyBytes += kv.key.length; }
  return { keys: res.kvs.length, valueBytes, keyBytes };
}

/** Bytes of the keys one shard step writes (what that revision adds to history until compacted). */
async function writtenBytes(raw: Etcd3, prefix: string, key: string): Promise<number> {
  let bytes = 0;
  for (const k of [`${prefix}shards/${encodeURIComponent(key)}`, `${prefix}leases/${encodeURIComponent(key)}`]) {
    const v = await raw.get(k).buffer();
    if (v !== null) bytes += k.length + v.length;
  }
  return bytes;
}

function specsFor(nodeId: string, intervalMs: number, start: number, end: number): ShardSpec[] {
  const bars = DEFAULT_BARS_PER_SHARD_BY_INTERVAL.get(intervalMs) ?? 0;
  return shardsCovering({ start, end }, intervalMs, bars).map((r, rank) => ({
    key: JSON.stringify(['shard', nodeId, intervalMs, r.start, r.end]), nodeId, intervalMs, start: r.start, end: r.end, priority: 'read', rank,
  }));
}

async function register(store: LeaseStore, id: string, specs: readonly ShardSpec[]): Promise<void> {
  const { nodeId, intervalMs } = specs[0];
  const job: JobRecord = { id, nodeId, intervalMs, shardKeys: specs.map((s) => s.key), requestedBy: 'bench', createdAt: Date.now() };
  if (store.createJobWithShards !== undefined) await store.createJobWithShards(job, 'read', specs, Date.now());
  else { await store.createJob(job, 'read'); await store.ensureShards(specs, Date.now()); }
}

/** One shard's life: claim, HEARTBEATS heartbeats, complete; revisions and written bytes per step. */
async function lifecycle(store: LeaseStore, raw: Etcd3, prefix: string, key: string, steps: Record<'claim' | 'heartbeat' | 'complete', Step>): Promise<void> {
  let r = await revision(raw);
  const claim = await store.claim(key, 'bench-worker', LEASE_MS, Date.now());
  if (!claim.granted) throw new RangeError(`bench: claim of ${key} refused (${claim.reason})`);
  let next = await revision(raw);
  steps.claim.revisions += next - r; steps.claim.bytes += await writtenBytes(raw, prefix, key); steps.claim.count++;
  for (let h = 0; h < HEARTBEATS; h++) {
    r = await revision(raw);
    await store.heartbeat(key, claim.token, LEASE_MS, Date.now());
    next = await revision(raw);
    steps.heartbeat.revisions += next - r; steps.heartbeat.bytes += await writtenBytes(raw, prefix, key); steps.heartbeat.count++;
  }
  r = await revision(raw);
  await store.complete(key, claim.token, { state: 'completed', rowsWritten: 4_320 }, Date.now());
  next = await revision(raw);
  steps.complete.revisions += next - r; steps.complete.bytes += await writtenBytes(raw, prefix, key); steps.complete.count++;
}

const JOBS = [
  { name: '1 day of 1m', intervalMs: MIN, span: DAY },
  { name: '1 week of 1m', intervalMs: MIN, span: 7 * DAY },
  { name: '1 month (30 d) of 1m', intervalMs: MIN, span: 30 * DAY },
  { name: '1 year of 1m', intervalMs: MIN, span: 365 * DAY },
  { name: '1 year of 1h', intervalMs: HOUR, span: 365 * DAY },
] as const;

async function jobCase(endpoints: string[], raw: Etcd3, index: number): Promise<void> {
  const c = JOBS[index];
  const prefix = `/bench-footprint/job${index}/`;
  const store = await createEtcdLeaseStore({ endpoints, prefix });
  try {
    const specs = specsFor('ohlcv:bench:BTC/USDT', c.intervalMs, START, START + c.span);
    const r0 = await revision(raw);
    await register(store, `job_bench_${index}`, specs);
    const registerRevs = (await revision(raw)) - r0;
    const atRegister = await footprint(raw, prefix);
    const steps = { claim: emptyStep(), heartbeat: emptyStep(), complete: emptyStep() };
    for (const s of specs) await lifecycle(store, raw, prefix, s.key, steps);
    const done = await footprint(raw, prefix);
    const jobValue = (await raw.get(`${prefix}jobs/${encodeURIComponent(`job_bench_${index}`)}`).buffer())?.length ?? 0;
    const n = specs.length;
    heading(`${c.name}: ${n} shards of ${DEFAULT_BARS_PER_SHARD_BY_INTERVAL.get(c.intervalMs)} bars`);
    console.log(`  registered: ${atRegister.keys} keys (${atRegister.keys - n} job keys + ${n} shard keys), ${atRegister.keyBytes + atRegister.valueBytes} B (keys ${atRegister.keyBytes} B + values ${atRegister.valueBytes} B; the job value alone ${jobValue} B, written twice: jobs/ and jobs-by-time/), ${registerRevs} revisions`);
    for (const [name, s] of Object.entries(steps)) {
      console.log(`  ${name.padEnd(9)} ${(s.revisions / s.count).toFixed(2)} revisions each, ${(s.bytes / s.count).toFixed(0)} B written each (${s.count} calls)`);
    }
    const perShardRevs = (steps.claim.revisions + steps.heartbeat.revisions + steps.complete.revisions) / n;
    const perShardBytes = (steps.claim.bytes + steps.heartbeat.bytes + steps.complete.bytes) / n;
    console.log(`  per shard (claim + ${HEARTBEATS} heartbeats + complete): ${perShardRevs.toFixed(2)} revisions, ${perShardBytes.toFixed(0)} B of history`);
    console.log(`  after completion: ${done.keys} keys, ${done.keyBytes + done.valueBytes} B live (${((done.keyBytes + done.valueBytes) / n).toFixed(0)} B per shard incl. the job's share)`);
    const total = registerRevs + perShardRevs * n;
    console.log(`  job total: ${total.toFixed(0)} revisions for ${done.keys} keys: ${(total / done.keys).toFixed(2)} revisions per key (a bare put: 1)`);
    record(`etcd footprint ${c.name}: keys per job after completion`, done.keys, 'keys');
    record(`etcd footprint ${c.name}: revisions per job (vs one bare put per key)`, total, 'revisions', { baseline: done.keys });
  } finally {
    await store.close();
  }
}

/** Puts `keys` keys of `bytes` value bytes each, one put per key; returns revisions consumed. */
async function barePuts(raw: Etcd3, prefix: string, keys: number, bytes: number): Promise<number> {
  const r0 = await revision(raw);
  const value = 'x'.repeat(bytes);
  let next = 0;
  await Promise.all(Array.from({ length: FLEET_WORKERS }, async () => {
    for (let i = next++; i < keys; i = next++) await raw.put(`${prefix}${i}`).value(value);
  }));
  return (await revision(raw)) - r0;
}

async function fleet(endpoints: string[], raw: Etcd3): Promise<void> {
  const prefix = '/bench-footprint/fleet/';
  const store = await createEtcdLeaseStore({ endpoints, prefix });
  try {
    const s0 = await raw.maintenance.status();
    const r0 = await revision(raw);
    const all: ShardSpec[] = [];
    for (let d = 0; d < FLEET_DATASETS; d++) {
      const specs = specsFor(`ohlcv:bench:SYM${d}/USD`, MIN, START, START + 30 * DAY);
      await register(store, `job_fleet_${d}`, specs);
      all.push(...specs);
    }
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: FLEET_WORKERS }, async (_, w) => {
      for (let i = next++; i < all.length; i = next++) {
        const claim = await store.claim(all[i].key, `w${w}`, LEASE_MS, Date.now());
        if (!claim.granted) throw new RangeError(`bench: fleet claim refused (${claim.reason})`);
        for (let h = 0; h < HEARTBEATS; h++) await store.heartbeat(all[i].key, claim.token, LEASE_MS, Date.now());
        await store.complete(all[i].key, claim.token, { state: 'completed', rowsWritten: 4_320 }, Date.now());
      }
    }));
    const seconds = (performance.now() - t0) / 1000;
    const revs = (await revision(raw)) - r0;
    const s1 = await raw.maintenance.status();
    const live = await footprint(raw, prefix);
    const grown = Number(s1.dbSizeInUse) - Number(s0.dbSizeInUse);
    heading(`fleet: ${FLEET_DATASETS} jobs of 1 month of 1m (${all.length} shards), ${FLEET_WORKERS} concurrent workers, claim + ${HEARTBEATS} heartbeats + complete`);
    console.log(`  ${live.keys} keys live, ${live.keyBytes + live.valueBytes} B; ${revs} revisions; backend in use grew ${(grown / 2 ** 20).toFixed(2)} MiB (${(grown / revs).toFixed(0)} B per revision, uncompacted); ${(all.length / seconds).toFixed(0)} shards/s`);
    const scans: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      await store.claimable(Date.now(), 8);
      scans.push(performance.now() - t);
    }
    scans.sort((a, b) => a - b);
    console.log(`  claimable() with ${all.length} shard records (what every idle worker's poll does): median ${scans[3].toFixed(1)} ms, reads ${((live.keyBytes + live.valueBytes) / 1024).toFixed(0)} KiB`);
    record(`etcd footprint fleet: claimable() scan over ${all.length} shard records`, scans[3], 'ms');
    const bareS0 = await raw.maintenance.status();
    const bareRevs = await barePuts(raw, '/bench-footprint/bare/', live.keys, Math.round((live.keyBytes + live.valueBytes) / live.keys));
    const bareS1 = await raw.maintenance.status();
    const bareGrown = Number(bareS1.dbSizeInUse) - Number(bareS0.dbSizeInUse);
    console.log(`  baseline: bare put of ${live.keys} keys of the same mean size: ${bareRevs} revisions; backend in use grew ${(bareGrown / 2 ** 20).toFixed(2)} MiB`);
    record('etcd footprint fleet: revisions for 100 one-month jobs (vs bare puts of the same keys)', revs, 'revisions', { baseline: bareRevs });
    record('etcd footprint fleet: backend bytes grown, uncompacted (vs bare puts)', grown, 'B', { baseline: bareGrown });
    record('etcd footprint fleet: shards claimed+heartbeated+completed per s (1 member, loaded VM)', all.length / seconds, 'shards/s');
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  if (!etcdAvailable()) {
    console.log(`etcd-footprint: SKIPPED — ${ETCD_BINARY} not found (Debian package etcd-server; see scripts/system-packages.txt)`);
    return;
  }
  const cluster = await startEtcdCluster({ size: 1 });
  const raw = new Etcd3({ hosts: cluster.endpoints() });
  try {
    for (let i = 0; i < JOBS.length; i++) await jobCase(cluster.endpoints(), raw, i);
    await fleet(cluster.endpoints(), raw);
  } finally {
    raw.close();
    await cluster.stop();
  }
}

await main();
