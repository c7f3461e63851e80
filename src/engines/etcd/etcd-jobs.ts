/**
 * Job records of the etcd lease store: `jobs/<id>` plus the `jobs-by-time/<createdAt>-<id>` index
 * that jobs() reads newest first (see etcd-lease-store.ts for the layout). Each function is one
 * attempt under the caller's deadline; the store wraps it in its retry and error translation.
 */
import type { Etcd3, IRequestOp, IResponseHeader } from 'etcd3';
import type { JobRecord } from '../../backfill/index.js';
import { decodeJob, encodeJob, prefixEnd } from './etcd-records.js';
import type { EtcdKeys } from './etcd-records.js';

export interface JobAccess {
  readonly client: Etcd3;
  readonly keys: EtcdKeys;
  /** Records the revision of a response (the store's watch start point). */
  readonly note: (header: IResponseHeader) => void;
}

/**
 * Creates or replaces a job: a compare on the job key's mod_revision, re-read from the else branch
 * on a lost race; a replaced job with another createdAt loses its old index entry. Answers false
 * after `rounds` lost races.
 */
export async function putJob(access: JobAccess, job: JobRecord, rounds: number, deadline: number): Promise<boolean> {
  const { client, keys } = access;
  const jobKey = Buffer.from(keys.job(job.id));
  const value = encodeJob(job);
  let existing = (await client.kv.range({ key: jobKey }, { deadline })).kvs[0];
  for (let round = 0; round < rounds; round++) {
    const ops: IRequestOp[] = [
      { request_put: { key: jobKey, value } },
      { request_put: { key: Buffer.from(keys.jobIndex(job.createdAt, job.id)), value } },
    ];
    if (existing !== undefined) {
      const old = decodeJob(existing.value, keys.job(job.id));
      if (old.createdAt !== job.createdAt) ops.push({ request_delete_range: { key: Buffer.from(keys.jobIndex(old.createdAt, old.id)) } });
    }
    const res = await client.kv.txn({
      compare: [{ key: jobKey, target: 'Mod', result: 'Equal', mod_revision: existing?.mod_revision ?? 0 }],
      success: ops,
      failure: [{ request_range: { key: jobKey } }],
    }, { deadline });
    access.note(res.header);
    if (res.succeeded) return true;
    existing = res.responses[0].response_range.kvs[0];
  }
  return false;
}

export async function getJob(access: JobAccess, id: string, deadline: number): Promise<JobRecord | undefined> {
  const res = await access.client.kv.range({ key: Buffer.from(access.keys.job(id)) }, { deadline });
  access.note(res.header);
  const kv = res.kvs[0];
  return kv === undefined ? undefined : decodeJob(kv.value, access.keys.job(id));
}

/** Newest createdAt first; within one millisecond, newest created (create_revision) first. */
export async function listJobs(access: JobAccess, limit: number, deadline: number): Promise<JobRecord[]> {
  const { client, keys } = access;
  const key = Buffer.from(keys.jobIndexPrefix);
  const res = await client.kv.range({ key, range_end: prefixEnd(key), sort_order: 'Descend', sort_target: 'Key', limit }, { deadline });
  access.note(res.header);
  const kvs = res.kvs;
  const last = kvs[kvs.length - 1];
  if (res.more && last !== undefined) {
    // The limit may cut a millisecond whose jobs are ordered by create_revision, not by id:
    // read that whole millisecond at the same revision.
    const ms = Buffer.from(keys.jobIndex(decodeJob(last.value, last.key.toString('utf8')).createdAt, ''));
    const tie = await client.kv.range({ key: ms, range_end: prefixEnd(ms), revision: res.header.revision }, { deadline });
    const have = new Set(kvs.map((kv) => kv.key.toString('latin1')));
    for (const kv of tie.kvs) if (!have.has(kv.key.toString('latin1'))) kvs.push(kv);
  }
  const jobs = kvs.map((kv) => ({ job: decodeJob(kv.value, kv.key.toString('utf8')), created: Number(kv.create_revision) }));
  jobs.sort((a, b) => (b.job.createdAt - a.job.createdAt) || (b.created - a.created));
  return jobs.slice(0, limit).map((j) => j.job);
}
