/**
 * The coordinator health check on a real 3-member etcd cluster (`seamless.backfill.store:
 * etcd`): it names the members answering out of all and the leader, stays OK with one member
 * down (2/3 is a majority), fails with "no quorum" once two are down — within a bounded time,
 * every member asked with a deadline — and recovers when they come back. Faults are SIGKILLs of
 * member processes; every wait polls with a deadline.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEtcdQuorum } from '../../src/engines/etcd/internal.js';
import { silentLogger } from '../../src/observability/index.js';
import { createSeamless } from '../../src/app/index.js';
import type { HealthCheck, Seamless } from '../../src/app/index.js';
import { etcdAvailable, startEtcdCluster } from '../harness/etcd-cluster.js';
import type { EtcdCluster } from '../harness/etcd-cluster.js';
import { SEAMLESS_BIN, eventually } from '../harness/seamless-processes.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Deadline of one etcd call, so a dead member costs at most this much per check. */
const CALL_TIMEOUT_MS = 1_000;
/** Guards against a hang only: a check asks every member with the deadline above. */
const HEALTH_CALL_BOUND_MS = 10_000;

describe.skipIf(!etcdAvailable())('coordinator health on etcd: quorum', () => {
  let cluster: EtcdCluster;
  let seamless: Seamless;
  let dir: { path: string; remove: () => Promise<void> };
  let backfill: Record<string, unknown>;

  beforeAll(async () => {
    cluster = await startEtcdCluster();
    dir = await tempDir('seamless-etcd-quorum-');
    backfill = {
      store: 'etcd', localWorkers: 0,
      etcd: { endpoints: cluster.endpoints(), prefix: `/seamless-test/quorum-${process.pid}/`, callTimeoutMs: CALL_TIMEOUT_MS },
    };
    seamless = await createSeamless({ overrides: { dataDir: join(dir.path, 'data'), seamless: { backfill } }, env: {}, logger: silentLogger() });
  });
  afterAll(async () => {
    await seamless?.close();
    await cluster?.stop();
    await dir?.remove();
  });

  /** The coordinator check, failing the test if one health() call takes longer than the hang guard. */
  async function coordinatorCheck(): Promise<HealthCheck> {
    const started = Date.now();
    const checks = await seamless.health();
    expect(Date.now() - started).toBeLessThan(HEALTH_CALL_BOUND_MS);
    return checks.coordinator;
  }

  /** The coordinator check once `accept` holds for it (e.g. after an election). */
  function coordinatorOnce(what: string, accept: (c: HealthCheck) => boolean, timeoutMs = 20_000): Promise<HealthCheck> {
    return eventually(what, async () => {
      const c = await coordinatorCheck();
      return accept(c) ? c : undefined;
    }, timeoutMs, 200);
  }

  it('reports 3/3 members answering and the leader while every member runs', async () => {
    const leader = cluster.members()[await cluster.leader()].name;
    const c = await coordinatorOnce('quorum 3/3', (x) => x.ok && (x.detail ?? '').includes('3/3'));
    expect(c.detail).toMatch(new RegExp(`^etcd lease store answers; quorum: 3/3 members answering, leader ${leader} \\([0-9a-f]+\\)$`));
  });

  it('counts every running member when the checking process stalls past one call deadline', async () => {
    await coordinatorOnce('quorum 3/3', (x) => x.ok && (x.detail ?? '').includes('3/3'));
    // A busy event loop (CPU starvation, a GC pause, the CLI loading) while the probe's fresh
    // connections are opening: every first answer arrives after its deadline.
    const checking = checkEtcdQuorum(cluster.endpoints(), CALL_TIMEOUT_MS);
    const until = Date.now() + CALL_TIMEOUT_MS * 1.5;
    while (Date.now() < until) { /* the stall */ }
    const q = await checking;
    expect(q.detail).toMatch(/quorum: 3\/3 members answering, leader m\d \([0-9a-f]+\)$/);
  });

  it('prints the quorum on the coordinator line of `seamless health`', async () => {
    const config = join(dir.path, 'seamless.yml');
    await writeFile(config, JSON.stringify({ dataDir: join(dir.path, 'cli-data'), seamless: { backfill } }));
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
      execFile(process.execPath, [SEAMLESS_BIN, 'health', '--config', config], { cwd: dir.path, env: { PATH: process.env.PATH } }, (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      });
    });
    expect(run.stdout).toMatch(/^\[OK\] {3}coordinator +etcd lease store answers; quorum: 3\/3 members answering, leader m\d \([0-9a-f]+\)$/m);
    expect(run.code, run.stdout + run.stderr).toBe(0);
  });

  it('stays OK with 2/3 after the leader is killed, naming the member that does not answer', async () => {
    const leader = await cluster.leader();
    await cluster.kill(leader);
    const c = await coordinatorOnce('quorum 2/3 with a new leader', (x) => x.ok && (x.detail ?? '').includes('2/3'));
    expect(c.detail).toMatch(/quorum: 2\/3 members answering, leader m\d \([0-9a-f]+\); not answering: m\d$/);
    expect(c.detail).toContain(`not answering: ${cluster.members()[leader].name}`);
  });

  it('fails with no quorum once a second member is killed, and recovers when both come back', async () => {
    const down = cluster.members().filter((m) => !m.running).map((m) => m.index);
    const second = cluster.members().find((m) => m.running)?.index ?? 0;
    await cluster.kill(second);
    const failed = await coordinatorOnce('no quorum', (x) => !x.ok, 15_000);
    expect(failed.detail).toMatch(/no quorum: 1\/3 members answering \(2 needed\); not answering: m\d, m\d$/);

    for (const index of [...down, second]) await cluster.restart(index);
    const back = await coordinatorOnce('quorum 3/3 again', (x) => x.ok && (x.detail ?? '').includes('3/3'), 30_000);
    expect(back.detail).toMatch(/^etcd lease store answers; quorum: 3\/3 members answering, leader m\d/);
  });
});
