/**
 * Alerts of data quality: conformance flag spikes, reads blocked by conformance, schema drift
 * and reads refused by a strict schema.
 */
import type { AlertGroup } from './alert-spec.js';

const DEFECTS = 'node_id="ohlcv:demo:DEFECTS",interval="1m"';
const DEFECTS_LABELS = { node_id: 'ohlcv:demo:DEFECTS', interval: '1m' };
const INSTANCE = 'instance="gateway-0:8080",job="seamless-gateway"';
const FLAGS_10M = 'sum by (node_id, interval, flag_type) (rate(seamless_conformance_flag_total[10m]))';
const FLAGS_BEFORE = 'sum by (node_id, interval, flag_type) (rate(seamless_conformance_flag_total[6h] offset 10m))';

export const DATA_ALERTS: AlertGroup = {
  name: 'seamless-data-quality',
  title: 'Conformance and schemas',
  alerts: [
    {
      alert: 'SeamlessConformanceFlagSpike',
      expr: `(\n  ${FLAGS_10M} > 3 * ${FLAGS_BEFORE}\n  or\n  ${FLAGS_10M} unless ${FLAGS_BEFORE}\n)\nand\nsum by (node_id, interval, flag_type) (increase(seamless_conformance_flag_total[10m])) >= 10`,
      for: '5m',
      severity: 'ticket',
      summary: 'Conformance flag {{ $labels.flag_type }} spikes on {{ $labels.node_id }} {{ $labels.interval }}',
      description: 'Reads of {{ $labels.node_id }} {{ $labels.interval }} found {{ $labels.flag_type }} more than 3 times as often in the last 10 minutes as in the 6 hours before (or for the first time), at least 10 findings.',
      runbook: {
        meaning: 'The conformance pipeline checks every read and counts its findings per flag (`gap`, `duplicate_ts`, `non_finite`, `ohlc_inconsistent`, `price_jump`, `dtype_mismatch`, …). A spike is a flag found far more often now than before on one dataset: the upstream started sending bad data, a new range with defects is being read, or a schema or source change altered the bars.',
        impact: 'In blocking mode the affected reads are refused with `conformance_blocked` (see SeamlessReadsBlocked); in shadow mode they are served with the findings in their metadata, and strategies may trade on bad bars.',
        checks: [
          'The newest report of the dataset: `seamless report list --node NODE --interval INTERVAL`, then `seamless report show ID`: each warning names the column, the count and the first offending bar; the regression digest says what is new.',
          'The flag over time on the Conformance quality dashboard, or:\n  ```promql\n  sum by (flag_type) (rate(seamless_conformance_flag_total{node_id="NODE"}[5m]))\n  ```',
          'Whether it comes with a source or schema change: recent `seamless schema audit` entries, deployments, and the upstream\'s status.',
          'The bars themselves: `seamless fetch --node NODE --interval INTERVAL --start START --end END --partial-ok --format csv`.',
        ],
        fix: [
          'Bad upstream data: fix or replace the source; re-backfill the range after the upstream corrected it (the archived findings stay, append-only).',
          'A range with no trades flagged as gaps: have the source report it known empty rather than silencing the check.',
          'A threshold too tight for the instrument (`price_jump`, `stale_price`): tune `seamless.conformance.priceJumpMaxAbsLogReturn` or `seamless.conformance.stalePriceMinRun`.',
        ],
        escalation: 'Ticket to the dataset owner; #seamless-oncall when strategies are refused.',
      },
      bad: {
        name: 'one gap per minute for 6 hours, then 20 per minute',
        evalAt: '420m',
        series: [{ series: `seamless_conformance_flag_total{${INSTANCE},${DEFECTS},flag_type="gap"}`, values: '0+1x400 401+20x30' }],
        fires: [{ ...DEFECTS_LABELS, flag_type: 'gap' }],
      },
      healthy: {
        name: 'the same gap rate for 7 hours',
        evalAt: '420m',
        series: [{ series: `seamless_conformance_flag_total{${INSTANCE},${DEFECTS},flag_type="gap"}`, values: '0+1x430' }],
        fires: [],
      },
    },
    {
      alert: 'SeamlessReadsBlocked',
      expr: 'sum by (node_id, interval) (increase(seamless_conformance_blocked_total[10m])) > 0',
      for: '5m',
      severity: 'ticket',
      summary: 'Reads of {{ $labels.node_id }} {{ $labels.interval }} are refused by conformance',
      description: 'Reads of {{ $labels.node_id }} {{ $labels.interval }} were refused with conformance_blocked in the last 10 minutes, for 5 minutes.',
      runbook: {
        meaning: 'In blocking mode (`seamless.conformance.mode: blocking`, the default) a read whose report has an error-level finding is refused with `conformance_blocked` (HTTP 422, with the report) unless the caller passes `partialOk`; a strict schema subject refuses non-conforming payloads the same way.',
        impact: 'Strategies reading the dataset get no bars for the affected ranges until the data is fixed or they accept partial answers.',
        checks: [
          'What blocks: `seamless report list --node NODE --interval INTERVAL` and `seamless report show ID` (the refused read\'s body carries the same report).',
          'Flags of the dataset:\n  ```promql\n  sum by (flag_type) (increase(seamless_conformance_flag_total{node_id="NODE"}[1h]))\n  ```',
          'The `seamless.conformance` log lines `read blocked by conformance` (reasons, report URI).',
          'A strict schema: `seamless schema show SUBJECT` and `seamless_schema_validation_failures_total{mode="strict"}` (SeamlessSchemaValidationRejected).',
        ],
        fix: [
          'Fix the data at its source and re-backfill the range.',
          'If the data is known to be acceptable for now: switch to shadow (`seamless.conformance.mode: shadow` or `SEAMLESS_CONFORMANCE_MODE=shadow`, restart): reads are then served with their reports; switch back after.',
          'Callers that can live with gaps: read with `partialOk`.',
        ],
        escalation: 'Ticket to the dataset owner; page #seamless-oncall when a production strategy is refused.',
      },
      bad: {
        name: 'a blocked read every minute',
        evalAt: '15m',
        series: [{ series: `seamless_conformance_blocked_total{${INSTANCE},${DEFECTS}}`, values: '0+1x30' }],
        fires: [DEFECTS_LABELS],
      },
      healthy: {
        name: 'blocked reads long ago, none now',
        evalAt: '30m',
        series: [{ series: `seamless_conformance_blocked_total{${INSTANCE},${DEFECTS}}`, values: '3x40' }],
        fires: [],
      },
    },
    {
      alert: 'SeamlessSchemaDrift',
      expr: 'sum by (subject) (increase(seamless_schema_drift_total[15m])) > 0',
      severity: 'ticket',
      summary: 'Payloads of schema subject {{ $labels.subject }} drift from the approved schema',
      description: 'Payloads of {{ $labels.subject }} had columns the approved schema does not (or lacked required ones, or changed type) in the last 15 minutes.',
      runbook: {
        meaning: 'The drift detector compares the columns observed in every payload of a subject with its approved (latest) schema: an unexpected column, a missing required column or a column of another type is drift. The source now sends something the registry does not describe.',
        impact: 'Nothing is refused by drift itself, but the payloads no longer match their contract: a canary subject records validation failures that block its promotion to strict, a strict subject refuses the reads (SeamlessSchemaValidationRejected), and consumers may read columns that are not there.',
        checks: [
          'The approved schema: `seamless schema show SUBJECT`; its history: `seamless schema audit SUBJECT`.',
          'Drift and failures of the subject:\n  ```promql\n  sum by (subject) (increase(seamless_schema_drift_total[1h]))\n  ```',
          'The observed columns: `seamless fetch --node NODE --interval INTERVAL --start START --end END --partial-ok --format csv` (header) and the report of the read (`dtype_mismatch` and missing-column warnings).',
        ],
        fix: [
          'An intended change of the source: check it (`seamless schema check SUBJECT FILE`), then register the new version (`seamless schema register SUBJECT FILE`); promote it through canary as usual.',
          'An unintended change: fix the source or its mapping, and keep the approved schema.',
        ],
        escalation: 'Ticket to the subject\'s owner (schema governance log, docs/operations/schema_registry_governance.md).',
      },
      bad: {
        name: 'every payload drifts',
        evalAt: '10m',
        series: [{ series: `seamless_schema_drift_total{${INSTANCE},subject="ohlcv"}`, values: '0+1x20' }],
        fires: [{ subject: 'ohlcv' }],
      },
      healthy: {
        name: 'drift long ago, none now',
        evalAt: '30m',
        series: [{ series: `seamless_schema_drift_total{${INSTANCE},subject="ohlcv"}`, values: '4x40' }],
        fires: [],
      },
    },
    {
      alert: 'SeamlessSchemaValidationRejected',
      expr: 'sum by (subject) (increase(seamless_schema_validation_failures_total{mode="strict"}[10m])) > 0',
      severity: 'page',
      summary: 'Reads of schema subject {{ $labels.subject }} are refused by its strict schema',
      description: 'Payloads of {{ $labels.subject }} failed strict validation in the last 10 minutes: those reads were refused with conformance_blocked (reason schema_validation).',
      runbook: {
        meaning: 'A subject in `strict` validation mode refuses every payload that does not conform to its schema (`SchemaValidationError`, `conformance_blocked` with reason `schema_validation`, even with `partialOk`). Canary failures are recorded only and do not fire this alert.',
        impact: 'Every read of the datasets of that subject fails until the payloads conform again or the subject is rolled back to canary.',
        checks: [
          'Which subject and how often:\n  ```promql\n  sum by (subject, mode) (increase(seamless_schema_validation_failures_total[15m]))\n  ```',
          'The `seamless.conformance` log lines `schema validation failed` list the violations and the report URI.',
          'The subject and its mode: `seamless schema show SUBJECT`, `seamless schema audit SUBJECT`.',
        ],
        fix: [
          'Roll the subject back to canary at once (audited): `seamless schema mode SUBJECT canary`; reads are served again with the failures recorded.',
          'Then fix the source, or register a compatible schema version, and promote again through canary.',
        ],
        escalation: 'Page the data-platform on-call (#seamless-oncall) and inform the subject\'s owner.',
      },
      bad: {
        name: 'strict validation refuses a read every minute',
        evalAt: '10m',
        series: [{ series: `seamless_schema_validation_failures_total{${INSTANCE},subject="int-volume-bars",mode="strict"}`, values: '0+1x20' }],
        fires: [{ subject: 'int-volume-bars' }],
      },
      healthy: {
        name: 'canary failures only',
        evalAt: '10m',
        series: [
          { series: `seamless_schema_validation_failures_total{${INSTANCE},subject="int-volume-bars",mode="canary"}`, values: '0+1x20' },
          { series: `seamless_schema_validation_failures_total{${INSTANCE},subject="int-volume-bars",mode="strict"}`, values: '2x20' },
        ],
        fires: [],
      },
    },
  ],
};
