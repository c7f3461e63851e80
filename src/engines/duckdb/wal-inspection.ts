/**
 * Looks at the write-ahead log a stopped process left next to the database file, before DuckDB
 * opens (and replays, then removes) it. DuckDB replays a torn log up to the tear and drops the
 * rest without a word, so committed writes after the tear are lost silently; this says so.
 *
 * The check reads only entry headers: the log (storage version 2, DuckDB ≥ 1.1) starts with an
 * 8-byte version entry (`64 00 62 65 00 02 ff ff`), then each entry is `[u64 size][u64 checksum]
 * [size bytes]`. A whole log ends exactly at its last entry; a torn one does not. Cost: one
 * 16-byte read per entry (a log holds at most ~16 MiB before DuckDB checkpoints it).
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { WalFinding } from '../../storage/index.js';

const VERSION_ENTRY = Buffer.from([0x64, 0x00, 0x62, 0x65, 0x00, 0x02, 0xff, 0xff]);
const HEADER_BYTES = 16;

export function inspectWal(databasePath: string): WalFinding | undefined {
  if (databasePath === ':memory:') return undefined;
  const walPath = `${databasePath}.wal`;
  let bytes: number;
  try {
    bytes = statSync(walPath).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (bytes === 0) return undefined;
  const fd = openSync(walPath, 'r');
  try {
    const head = Buffer.alloc(HEADER_BYTES);
    if (readSync(fd, head, 0, VERSION_ENTRY.length, 0) < VERSION_ENTRY.length || !head.subarray(0, VERSION_ENTRY.length).equals(VERSION_ENTRY)) {
      return { bytes, entries: 0, tornAt: undefined, message: `write-ahead log ${walPath} (${bytes} bytes) left by an unclean stop has a format this check does not know; DuckDB replays it` };
    }
    let offset = VERSION_ENTRY.length;
    let entries = 0;
    while (offset < bytes) {
      const got = readSync(fd, head, 0, HEADER_BYTES, offset);
      const size = got === HEADER_BYTES ? head.readBigUInt64LE(0) : -1n;
      if (size < 0n || BigInt(offset + HEADER_BYTES) + size > BigInt(bytes)) {
        return {
          bytes, entries, tornAt: offset,
          message: `write-ahead log ${walPath} is torn at byte ${offset} of ${bytes} (after ${entries} whole entries): DuckDB replays up to the tear and drops the rest; unless the process was killed in the middle of that write (then it was never committed), writes committed after it are lost: re-backfill the ranges written last before the stop`,
        };
      }
      offset += HEADER_BYTES + Number(size);
      entries++;
    }
    return { bytes, entries, tornAt: undefined, message: `write-ahead log ${walPath} (${bytes} bytes, ${entries} entries, whole) left by an unclean stop is replayed` };
  } finally {
    closeSync(fd);
  }
}
