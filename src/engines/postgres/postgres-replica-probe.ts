/**
 * The probe of the read router (postgres-read-routing.ts): the primary's WAL insert and flush
 * positions, then the standby's replay position and lag, two single-row queries. LSNs travel as the numeric distance
 * from 0/0 (exact as text, read as bigint). A server at `storage.readUrl` that is not in recovery
 * (say, a standby promoted after a failover, which no longer follows this primary) is refused:
 * reading it could show data the primary does not have.
 */
import { StorageEngineError } from '../../storage/index.js';
import type { PgDatabase } from './postgres-database.js';
import { ENGINE } from './postgres-errors.js';
import type { ReplicaPosition, ReplicaProbe } from './postgres-read-routing.js';

// The insert position marks this process's writes: with synchronous_commit off a COMMIT returns
// before its record is written out, so only the insert position is surely past it (the write
// position pg_current_wal_lsn() is not). The flush position is what the standby can have: it is
// caught up (lag 0) once it has replayed that. (The insert position can sit a page header past
// the last record, never reached until the next record: a write mark then keeps its dataset on
// the primary a little longer, which is safe; the lag does not use it.)
const PRIMARY_SQL = `SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::text AS insert,
  (pg_current_wal_flush_lsn() - '0/0'::pg_lsn)::text AS flush`;
// The standby's replay position, and the age of the last transaction it replayed (on its clock).
const STANDBY_SQL = `SELECT pg_is_in_recovery() AS recovery,
  (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::text AS replay,
  (extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000)::float8 AS since_ms`;

interface StandbyRow {
  readonly recovery: boolean;
  readonly replay: string | null;
  readonly since_ms: number | null;
}

export function createReplicaProbe(primary: PgDatabase, standby: PgDatabase): ReplicaProbe {
  return {
    async position(): Promise<ReplicaPosition> {
      // The primary first: a standby at or past this LSN has everything committed before the probe started.
      const [primaryLsn, flushLsn] = await primary.query('replicaProbe', async (client) => {
        const { rows } = await client.query<{ insert: string; flush: string }>({ name: 'seamless_replica_primary_lsn', text: PRIMARY_SQL });
        return [BigInt(rows[0].insert), BigInt(rows[0].flush)] as const;
      });
      const row = await standby.query('replicaProbe', async (client) => (await client.query<StandbyRow>({ name: 'seamless_replica_standby_position', text: STANDBY_SQL })).rows[0]);
      if (!row.recovery || row.replay === null) {
        throw new StorageEngineError(ENGINE, 'replicaProbe', `${standby.where} is not a standby in recovery (promoted?): storage.readUrl must name a hot standby of storage.url`);
      }
      const replayLsn = BigInt(row.replay);
      // Behind without a replayed transaction since the standby started: how far is unknown, so "too far".
      const lagMs = replayLsn >= flushLsn ? 0 : Math.max(0, row.since_ms ?? Number.POSITIVE_INFINITY);
      return { primaryLsn, replayLsn, lagMs };
    },
  };
}
