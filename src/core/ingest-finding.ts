/**
 * `IngestFinding`: one row-level finding met when an upstream batch was stored (duplicates
 * dropped, misaligned rows, …). A plain record shared by the two ports that carry it: storage's
 * `BarStore.write` stores a batch's findings in the batch's transaction, and conformance's
 * `IngestFindingStore` reads them back into reports. It lives in core so that neither port
 * folder imports the other.
 */
export interface IngestFinding {
  readonly nodeId: string;
  readonly intervalMs: number;
  readonly flag: 'duplicate_ts' | 'misaligned_ts' | 'invalid_timestamp' | 'unsorted_ts' | 'future_ts';
  /** The (first) affected bar's ts, on the grid when it can be. */
  readonly ts: number;
  readonly count: number;
  readonly at: number;
  readonly detail: string;
}
