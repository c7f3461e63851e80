/**
 * Shard claim + complete throughput of the lease stores with 16 concurrent workers: the embedded
 * store (DuckDB, one process) and the etcd LeaseStore against the raw etcd compare-and-put
 * transaction it is built on (async loops: 4 per client, 4 clients) on a 3-member etcd cluster
 * started by the test harness, measured in the same run.
 *
 * What is counted:
 * - raw ops = the same RPCs the store makes, per logical op: a "claim" = `get(key)` then
 *   `if (mod_revision == seen) then put(key)`; a "complete" = one such txn on the revision the
 *   claim returned. 2,000 keys, each claimed once and completed once = 4,000 ops.
 * - shard op = one LeaseStore call: `claim` or `complete`; every one of 2,000 pre-created shards is
 *   claimed once and completed once = 4,000 shard ops (a claim + complete counts as 2).
 *   The worker stores are not the store that created the shards, so every claim starts from an
 *   empty cache (read + txn); the complete right after it uses the claim's revision (txn only).
 * Ratio = shard ops/s ÷ raw ops/s, like for like (goal ≥ 0.8). p99 is per op. Two alternating rounds after a
 * warm-up; figures from a noisy 2-core VM, read them to one significant digit.
 */
import { performance } from 'node:perf_hooks';
import { Etcd3 } from 'etcd3';
import { createEtcdLeaseStore } from '../../src/engines/etcd/index.js';
import type { LeaseStore, ShardSpec } from '../../src/backfill/index.js';
import { etcdAvailable, startEtcdCluster, ETCD_BINARY } from '../../test/harness/etcd-cluster.js';
import type { EtcdCluster } from '../../test/harness/etcd-cluster.js';
import { heading, record } from '../harness.js';
import { createEmbeddedDatabase } from '../../src/engines/duckdb/internal.js';

const WORKERS = 16;
const CLIENTS = 4;
const SHARDS = 2_000;
const MIN = 60_000;

interface Figures {
  readonly ops: number;
  readonly opsPerS: number;
  readonly p99Ms: number;
}

function p99(latencies: number[]): number {
  latencies.sort((a, b) => a - b);
  return latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))];
}

/** Runs `WORKERS` async loops that each take the next index until `total`, timing every op. */
async function drive(total: number, op: (index: number, worker: number, lat: number[]) => Promise<void>): Promise<Figures> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: WORKERS }, async (_, worker) => {
    for (let i = next++; i < total; i = next++) await op(i, worker, latencies);
  }));
  const seconds = (performance.now() - t0) / 1000;
  return { ops: latencies.length, opsPerS: latencies.length / seconds, p99Ms: p99(latencies) };
}

function clients(cluster: EtcdCluster): Etcd3[] {
  return Array.from({ length: CLIENTS }, () => new Etcd3({
    hosts: cluster.endpoints(),
    defaultCallOptions: (c) => (c.isStream ? {} : { deadline: Date.now() + 2_000 }),
  }));
}

/**
 * The raw equivalent of one claim + complete, RPC for RPC: a claim on an empty cache is a read and
 * a compare-and-put txn (get, then `if mod_revision == seen then put`); a complete is one txn on
 * the revision the claim's txn returned. Two logical ops, three RPCs, like the store's.
 */
async function rawRound(raw: Etcd3[], prefix: string, shards: number): Promise<Figures> {
  const keys = Array.from({ length: shards }, (_, i) => `${prefix}${i}`);
  for (let i = 0; i < keys.length; i += 100) await Promise.all(keys.slice(i, i + 100).map((k) => raw[0].put(k).value('pending')));
  return drive(shards, async (index, worker, lat) => {
    const client = raw[worker % CLIENTS];
    const key = keys[index];
    let t = performance.now();
    const res = await client.get(key).exec();
    const claimed = await client.if(key, 'Mod', '==', res.kvs[0].mod_revision).then(client.put(key).value(`claimed:w${worker}`)).commit();
    lat.push(performance.now() - t);
    if (!claimed.succeeded) throw new Error(`bench: raw claim of ${key} lost its compare`);
    t = performance.now();
    const done = await client.if(key, 'Mod', '==', claimed.header.revision).then(client.put(key).value('completed')).commit();
    lat.push(performance.now() - t);
    if (!done.succeeded) throw new Error(`bench: raw complete of ${key} lost its compare`);
  });
}

async function storeRound(cluster: EtcdCluster, prefix: string, shards: number): Promise<Figures> {
  const setup = await createEtcdLeaseStore({ endpoints: cluster.endpoints(), prefix });
  const specs: ShardSpec[] = Array.from({ length: shards }, (_, i) => {
    const start = 1_700_000_000_000 + i * 1000 * MIN;
    return { key: JSON.stringify(['shard', 'ohlcv:bench:BTC/USDT', MIN, start, start + 1000 * MIN]), nodeId: 'ohlcv:bench:BTC/USDT', intervalMs: MIN, start, end: start + 1000 * MIN };
  });
  await setup.ensureShards(specs, Date.now());
  await setup.close();
  const stores: LeaseStore[] = await Promise.all(Array.from({ length: CLIENTS }, () => createEtcdLeaseStore({ endpoints: cluster.endpoints(), prefix })));
  try {
    const figures = await drive(shards, async (index, worker, lat) => {
      const store = stores[worker % CLIENTS];
      const key = specs[index].key;
      let t = performance.now();
      const claim = await store.claim(key, `w${worker}`, 30_000, Date.now());
      lat.push(performance.now() - t);
      if (!claim.granted) throw new Error(`bench: claim of shard ${index} refused (${claim.reason})`);
      t = performance.now();
      await store.complete(key, claim.token, { state: 'completed', rowsWritten: 1000 }, Date.now());
      lat.push(performance.now() - t);
    });
    return figures;
  } finally {
    for (const s of stores) await s.close();
  }
}

function shardSpecs(shards: number): ShardSpec[] {
  return Array.from({ length: shards }, (_, i) => {
    const start = 1_700_000_000_000 + i * 1000 * MIN;
    return { key: JSON.stringify(['shard', 'ohlcv:bench:BTC/USDT', MIN, start, start + 1000 * MIN]), nodeId: 'ohlcv:bench:BTC/USDT', intervalMs: MIN, start, end: start + 1000 * MIN };
  });
}

/** The embedded lease store: one DuckDB database, every claim and complete one transaction. */
async function embeddedRound(shards: number): Promise<Figures> {
  const db = await createEmbeddedDatabase({ path: ':memory:' });
  try {
    const specs = shardSpecs(shards);
    await db.leases.ensureShards(specs, Date.now());
    return await drive(shards, async (index, worker, lat) => {
      const key = specs[index].key;
      let t = performance.now();
      const claim = await db.leases.claim(key, `w${worker}`, 30_000, Date.now());
      lat.push(performance.now() - t);
      if (!claim.granted) throw new Error(`bench: claim of shard ${index} refused (${claim.reason})`);
      t = performance.now();
      await db.leases.complete(key, claim.token, { state: 'completed', rowsWritten: 1000 }, Date.now());
      lat.push(performance.now() - t);
    });
  } finally {
    await db.close();
  }
}

function line(name: string, f: Figures): void {
  console.log(`  ${name.padEnd(52)} ${f.opsPerS.toFixed(0).padStart(7)} ops/s   p99 ${f.p99Ms.toFixed(1).padStart(6)} ms   (${f.ops} ops)`);
}

async function main(): Promise<void> {
  heading(`embedded leases (DuckDB): ${WORKERS} concurrent workers, ${SHARDS} shards claimed and completed`);
  await embeddedRound(200);
  const e = await embeddedRound(SHARDS);
  line('embedded: shard ops (claim or complete)', e);
  record('embedded lease store: claim or complete ops/s, 16 workers', e.opsPerS, 'ops/s');
  record('embedded lease store: p99 per claim or complete', e.p99Ms, 'ms');
  console.log(`  embedded: shards claimed+completed/s = ${(e.opsPerS / 2).toFixed(0)}`);
  if (!etcdAvailable()) {
    console.log(`etcd-leases: SKIPPED — ${ETCD_BINARY} not found (Debian package etcd-server; see scripts/system-packages.txt)`);
    return;
  }
  heading(`etcd leases: ${WORKERS} concurrent workers on ${CLIENTS} clients, 3-member cluster`);
  const cluster = await startEtcdCluster({ size: 3 });
  const raw = clients(cluster);
  try {
    await rawRound(raw, '/bench/warm-raw/', 400);
    await storeRound(cluster, '/bench/warm-store/', 400);
    const ratios: number[] = [];
    let lastRaw: Figures | undefined;
    let lastStore: Figures | undefined;
    for (let round = 1; round <= 2; round++) {
      const r = await rawRound(raw, `/bench/raw-${round}/`, SHARDS);
      const s = await storeRound(cluster, `/bench/store-${round}/`, SHARDS);
      line(`round ${round}: raw RPCs per claim (get + txn) / complete (txn)`, r);
      line(`round ${round}: shard ops (claim or complete)`, s);
      ratios.push(s.opsPerS / r.opsPerS);
      console.log(`  round ${round}: ratio shard ops / raw ops = ${(s.opsPerS / r.opsPerS).toFixed(2)}; shards claimed+completed/s = ${(s.opsPerS / 2).toFixed(0)}`);
      lastRaw = r;
      lastStore = s;
    }
    const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    if (lastRaw !== undefined && lastStore !== undefined) {
      record('etcd lease store: claim/complete ops/s vs the same raw RPCs (last round)', lastStore.opsPerS, 'ops/s', { baseline: lastRaw.opsPerS, goal: { minRatio: 0.8 } });
    }
    console.log(`  mean ratio over the rounds ${mean.toFixed(2)}`);
  } finally {
    for (const c of raw) c.close();
    await cluster.stop();
  }
}

await main();
