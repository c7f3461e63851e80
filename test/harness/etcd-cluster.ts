/**
 * A throwaway N-member etcd cluster on free loopback ports, data in a temp dir, for integration
 * tests and benches. Uses the Debian `etcd` binary (package etcd-server; scripts/system-packages.txt
 * makes `npm run test:all` install it); `etcdAvailable()` lets callers skip when it is absent.
 *
 * Every member process is registered in a module-level set that an `exit` / SIGINT / SIGTERM hook
 * kills, so a failing test (or a bench that throws) never leaves etcd processes behind; `stop()`
 * kills all members and removes the temp dir.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, trackChild, trackDir, untrackDir } from './leftovers.js';
import { Etcd3 } from 'etcd3';

export const ETCD_BINARY = '/usr/bin/etcd';

export interface EtcdMemberInfo {
  readonly index: number;
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly running: boolean;
  /** The member's process id while it runs. */
  readonly pid: number | undefined;
}

export interface EtcdCluster {
  /** Client URLs of all members (running or not), in member order. */
  endpoints(): string[];
  members(): readonly EtcdMemberInfo[];
  /** Index of the member the running members agree is leader; waits up to `timeoutMs` for one. */
  leader(timeoutMs?: number): Promise<number>;
  /** Sends `signal` (default SIGKILL) to a member and waits for the process to exit. */
  kill(member: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped member again on its data dir and ports; waits until it answers status. */
  restart(member: number): Promise<void>;
  /** Waits until a quorum answers a linearizable read (a leader exists). */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Kills every member and removes the temp dir; idempotent. */
  stop(): Promise<void>;
}

export interface EtcdClusterOptions {
  readonly size?: number;
  readonly binary?: string;
  /** Raft heartbeat / election timeout in ms (etcd defaults 100 / 1000). */
  readonly heartbeatMs?: number;
  readonly electionMs?: number;
  readonly startTimeoutMs?: number;
}

/** True when the etcd server binary is installed (tests and benches skip otherwise). */
export function etcdAvailable(binary = ETCD_BINARY): boolean {
  return existsSync(binary);
}

interface Member {
  readonly index: number;
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  readonly logFile: string;
  process: ChildProcess | undefined;
}

function until(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function logTail(file: string): string {
  try { return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n'); } catch { return '(no log)'; }
}

/** Starts an N-member (default 3) cluster and waits until it has a leader. */
export async function startEtcdCluster(options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
  const size = options.size ?? 3;
  const binary = options.binary ?? ETCD_BINARY;
  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  const root = await mkdtemp(join(tmpdir(), 'seamless-etcd-'));
  trackDir(root);
  const members: Member[] = [];
  for (let i = 0; i < size; i++) {
    const [clientPort, peerPort] = [await freePort(), await freePort()];
    members.push({
      index: i, name: `m${i}`, clientUrl: `http://127.0.0.1:${clientPort}`, peerUrl: `http://127.0.0.1:${peerPort}`,
      dataDir: join(root, `m${i}.etcd`), logFile: join(root, `m${i}.log`), process: undefined,
    });
  }
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const token = `seamless-${process.pid}-${Date.now()}`;

  const launch = (m: Member): void => {
    const fd = openSync(m.logFile, 'a');
    const args = [
      '--name', m.name, '--data-dir', m.dataDir,
      '--listen-client-urls', m.clientUrl, '--advertise-client-urls', m.clientUrl,
      '--listen-peer-urls', m.peerUrl, '--initial-advertise-peer-urls', m.peerUrl,
      '--initial-cluster', initialCluster, '--initial-cluster-state', 'new', '--initial-cluster-token', token,
      '--heartbeat-interval', String(options.heartbeatMs ?? 100), '--election-timeout', String(options.electionMs ?? 1000),
      '--logger', 'zap', '--log-level', 'warn',
    ];
    const child = spawn(binary, args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    trackChild(child);
    m.process = child;
  };

  // Status of one member, or undefined when it does not answer within `ms`.
  const status = async (m: Member, ms = 500): Promise<{ id: string; leader: string } | undefined> => {
    const client = new Etcd3({ hosts: [m.clientUrl], defaultCallOptions: () => ({ deadline: Date.now() + ms }) });
    try {
      const s = await client.maintenance.status();
      return { id: s.header.member_id, leader: s.leader };
    } catch {
      return undefined; // not up yet, or down: the callers poll
    } finally {
      client.close();
    }
  };

  const running = (m: Member): boolean => m.process !== undefined && m.process.exitCode === null && m.process.signalCode === null;

  const leader = async (timeoutMs = 10_000): Promise<number> => {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const up = members.filter(running);
      const statuses = await Promise.all(up.map((m) => status(m)));
      for (let i = 0; i < up.length; i++) {
        const s = statuses[i];
        if (s !== undefined && s.leader !== '0' && s.leader === s.id) return up[i].index;
      }
      await until(100);
    }
    throw new Error(`etcd cluster: no leader within ${timeoutMs} ms`);
  };

  const waitHealthy = async (timeoutMs = startTimeoutMs): Promise<void> => {
    const end = Date.now() + timeoutMs;
    const client = new Etcd3({ hosts: members.filter(running).map((m) => m.clientUrl), defaultCallOptions: () => ({ deadline: Date.now() + 1000 }) });
    try {
      for (;;) {
        try {
          await client.get('/seamless-harness/health');
          return;
        } catch (error) {
          if (Date.now() > end) {
            throw new Error(`etcd cluster not healthy within ${timeoutMs} ms:\n${members.map((m) => `${m.name}: ${logTail(m.logFile)}`).join('\n')}`, { cause: error });
          }
          await until(100);
        }
      }
    } finally {
      client.close();
    }
  };

  const kill = async (index: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const child = members[index].process;
    if (child === undefined || !running(members[index])) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  };

  const restart = async (index: number): Promise<void> => {
    const m = members[index];
    if (running(m)) return;
    launch(m);
    const end = Date.now() + startTimeoutMs;
    while ((await status(m)) === undefined) {
      if (!running(m)) throw new Error(`etcd member ${m.name} exited on restart:\n${logTail(m.logFile)}`);
      if (Date.now() > end) throw new Error(`etcd member ${m.name} did not answer within ${startTimeoutMs} ms`);
      await until(100);
    }
  };

  // A quorum answers before the last member has joined: wait until every member runs, answers
  // and names the same leader, so a test's first check never sees a member still starting (a
  // member that exited, e.g. its port taken, fails the start with its log).
  const allJoined = async (): Promise<void> => {
    const end = Date.now() + startTimeoutMs;
    for (;;) {
      const exited = members.find((m) => !running(m));
      if (exited !== undefined) throw new Error(`etcd member ${exited.name} exited at start:\n${logTail(exited.logFile)}`);
      const statuses = await Promise.all(members.map((m) => status(m)));
      const leaders = new Set(statuses.map((s) => s?.leader));
      if (leaders.size === 1 && statuses[0] !== undefined && statuses[0].leader !== '0') return;
      if (Date.now() > end) throw new Error(`etcd cluster: not every member joined within ${startTimeoutMs} ms`);
      await until(100);
    }
  };

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(members.map((m) => kill(m.index)));
    await rm(root, { recursive: true, force: true });
    untrackDir(root);
  };

  try {
    for (const m of members) launch(m);
    await waitHealthy();
    await allJoined();
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    endpoints: () => members.map((m) => m.clientUrl),
    members: () => members.map((m) => ({ index: m.index, name: m.name, clientUrl: m.clientUrl, peerUrl: m.peerUrl, running: running(m), pid: running(m) ? m.process?.pid : undefined })),
    leader,
    kill,
    restart,
    waitHealthy,
    stop,
  };
}
