/**
 * The series every healthy deployment exports once it has served a read that backfilled:
 * `seamless health --prometheus URL` asks that Prometheus for each of them, and the scrape test
 * (test/integration/prometheus-scrape.test.ts) finds them on a real Prometheus. Names are as
 * Prometheus stores them (histograms by their `_count` series); each belongs to a metric of
 * metrics.ts (test/unit/observability/expected-series.test.ts checks that).
 */
export const EXPECTED_SERIES = Object.freeze([
  /** Every HTTP request of a gateway or coordinator (also the lease API). */
  'seamless_requests_total',
  'seamless_request_duration_seconds_count',
  /** Every read of the read path, by strategy and outcome. */
  'seamless_fetch_duration_seconds_count',
  /** Rows of reads, by where they came from (cache, storage, backfill, live). */
  'seamless_rows_served_total',
  /** Shards ended, by outcome, on whichever process fetched them. */
  'seamless_backfill_shards_total',
] as const);

export type ExpectedSeries = (typeof EXPECTED_SERIES)[number];
