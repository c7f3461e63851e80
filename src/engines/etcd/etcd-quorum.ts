/**
 * The quorum of the etcd cluster behind a lease store, for health checks: which members answer,
 * out of how many, and which leader they agree on.
 *
 * Every configured endpoint is asked for its Status and the MemberList at once, each through a
 * client of its own that lives for this one check (a load-balanced client would hide which
 * member answered, and a reused one would keep a dead member's open circuit breaker for seconds
 * after it came back). Members whose client URLs were not configured are asked directly. Quorum
 * holds when a majority of the voting members answer and the leader they name is one of them.
 * Every call carries the deadline; the check never rejects. A member that does not answer in
 * the first round is asked once more, with a fresh deadline, before it counts as down: the
 * deadline of a fresh connection runs while the process is busy (CPU starvation, a GC pause, the
 * CLI loading), and one late answer must not report a running member as "not answering".
 */
import type { IMember, IStatusResponse } from 'etcd3';
import type { LeaseStoreQuorum } from '../../backfill/index.js';
import { openEtcdClient } from './etcd-client.js';

interface Answer {
  readonly status: IStatusResponse | undefined;
  readonly members: readonly IMember[] | undefined;
}

/** Status (and, when `withMembers`, MemberList) of the one member at `url`. */
async function ask(url: string, timeoutMs: number, withMembers: boolean): Promise<Answer> {
  // One absolute deadline for both calls and the client's own retries.
  const deadline = Date.now() + timeoutMs;
  const client = openEtcdClient([url], timeoutMs);
  try {
    const [status, list] = await Promise.all([
      client.maintenance.status({ deadline }).catch(() => undefined), // down or unreachable: counted as not answering
      withMembers ? client.cluster.memberList({}, { deadline }).catch(() => undefined) : undefined, // another endpoint may answer
    ]);
    return { status, members: list?.members };
  } finally {
    client.close();
  }
}

/** `8e9e05c52164694d`, as etcdctl prints member ids (etcd3 gives them as decimal strings). */
function hexId(id: string): string {
  return /^\d+$/.test(id) ? BigInt(id).toString(16) : id;
}

/** The leader most answering members name (ids `0` mean "no leader known"). */
function namedLeader(statuses: readonly IStatusResponse[]): string | undefined {
  const votes = new Map<string, number>();
  for (const s of statuses) if (s.leader !== '0' && s.leader !== '') votes.set(s.leader, (votes.get(s.leader) ?? 0) + 1);
  let best: string | undefined;
  let most = 0;
  for (const [id, n] of votes) if (n > most) { best = id; most = n; }
  return best;
}

/** Asks the cluster behind `endpoints` for its quorum; settles within about 2 × `timeoutMs` (two rounds at most). */
export async function checkEtcdQuorum(endpoints: readonly string[], timeoutMs: number): Promise<LeaseStoreQuorum> {
  const first = await Promise.all(endpoints.map((url) => ask(url, timeoutMs, true)));
  const statuses = new Map<string, IStatusResponse>();
  const heard = new Set<string>();
  const note = (url: string, a: Answer): void => {
    if (a.status) { statuses.set(a.status.header.member_id, a.status); heard.add(url); }
  };
  first.forEach((a, i) => note(endpoints[i], a));
  let members = first.find((a) => a.members !== undefined)?.members;
  // Second round: configured endpoints that did not answer, and members not configured at all.
  const again = endpoints.filter((url) => !heard.has(url));
  const unheard = (members ?? []).filter((m) => !statuses.has(m.ID) && m.clientURLs.length > 0 && !endpoints.includes(m.clientURLs[0])).map((m) => m.clientURLs[0]);
  const retry = [...again, ...unheard];
  const second = await Promise.all(retry.map((url) => ask(url, timeoutMs, members === undefined)));
  second.forEach((a, i) => note(retry[i], a));
  members ??= second.find((a) => a.members !== undefined)?.members;
  if (members === undefined) {
    const total = endpoints.length;
    return {
      ok: false, members: total, answering: 0, quorum: Math.floor(total / 2) + 1, leader: undefined,
      detail: `no quorum: no etcd member answers (${endpoints.join(', ')})`,
    };
  }

  const voting = members.filter((m) => !m.isLearner);
  const answering = voting.filter((m) => statuses.has(m.ID));
  const quorum = Math.floor(voting.length / 2) + 1;
  const leaderId = namedLeader(answering.map((m) => statuses.get(m.ID)).filter((s): s is IStatusResponse => s !== undefined));
  const leaderMember = answering.find((m) => m.ID === leaderId);
  const leader = leaderMember ? { id: hexId(leaderMember.ID), name: leaderMember.name } : undefined;
  const ok = answering.length >= quorum && leader !== undefined;
  const down = voting.filter((m) => !statuses.has(m.ID)).map((m) => m.name || hexId(m.ID));
  const count = `${answering.length}/${voting.length} members answering`;
  const detail = ok
    ? `quorum: ${count}, leader ${leader.name} (${leader.id})`
    : `no quorum: ${count}${answering.length < quorum ? ` (${quorum} needed)` : ', no leader elected'}`;
  return { ok, members: voting.length, answering: answering.length, quorum, leader, detail: down.length > 0 ? `${detail}; not answering: ${down.join(', ')}` : detail };
}
