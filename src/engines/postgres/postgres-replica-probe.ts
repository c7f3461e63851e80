/**
 * The probe of the read router (postgres-read-routing.ts): the primary's WAL position, then the
 * standby's replay position and lag, two single-row queries. LSNs travel as the numeric distance
 * from 0/0 (exact as text, read as bigint). A server at `storage.readUrl` that is not in recovery
 * (say, a standby promoted after a failover, which no longer follows this primary) is refused:
 * reading it could show data the primary does not have.
 */
import { StorageEngineError } from '../../storage/index.js';
import type { PgDatabase } from './postgres-database.js';
import { ENGINE } from './postgres-errors.js';
import type { ReplicaPosition, ReplicaProbe } from './postgres-read-routing.js';

const PRIMARY_SQL = "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::text AS lsn";
// When every WAL record received is replayed and the primary has nothing newer, the lag is 0 (decided below).
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
      const primaryLsn = await primary.query('replicaProbe', async (client) => {
        const { rows } = await client.query<{ lsn: string }>({ name: 'seamless_replica_primary_lsn', text: PRIMARY_SQL });
        return BigInt(rows[0].lsn);
      });
      const row = await standby.query('replicaProbe', async (client) => (await client.query<StandbyRow>({ name: 'seamless_replica_standby_position', text: STANDBY_SQL })).rows[0]);
      if (!row.recovery || row.replay === null) {
        throw new StorageEngineError(ENGINE, 'replicaProbe', `${standby.where} is not a standby in recovery (promoted?): storage.readUrl must name a hot standby of storage.url`);
      }
      const replayLsn = BigInt(row.replay);
      // Behind without a replayed transaction since the standby started: how far is unknown, so "too far".
      const lagMs = replayLsn >= primaryLsn ? 0 : Math.max(0, row.since_ms ?? Number.POSITIVE_INFINITY);
      return { primaryLsn, replayLsn, lagMs };
    },
  };
}
