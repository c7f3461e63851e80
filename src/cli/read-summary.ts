/**
 * The summary a table read ends with: the whole truth of the metadata, not only the headline.
 * First line: rows, coverage (as metadata states it), sources, cache, fingerprint, `partial`;
 * then, when there is something to say, one line each for the missing and failed ranges, the
 * downgrade, the backfill job still running, the building bar, the conformance findings with
 * their counts, the report URI, and the findings' messages (indented).
 */
import { formatTime } from '../core/index.js';
import type { ReadMetadata } from '../provider/index.js';
import { formatPercent } from './output.js';

/** How many missing ranges and finding messages the summary lists before `… and N more`. */
export const MAX_SUMMARY_ITEMS = 5;

interface Warning {
  readonly flag: string;
  readonly level: string;
  readonly message: string;
}

export function readSummaryLines(m: ReadMetadata): string[] {
  const s = m.sources;
  const head = [
    `${m.rows} rows`,
    `coverage ${formatPercent(m.coverageRatio)}`,
    `sources cache=${s.cache} storage=${s.storage} backfill=${s.backfill} live=${s.live}`,
    `cacheHit ${m.cacheHit}`,
    `fingerprint ${m.fingerprint}`,
  ];
  if (m.partial) head.push('partial');
  const lines = [head.join(' · ')];
  if (m.missingRanges.length > 0) lines.push(missingLine(m));
  for (const f of m.failedRanges.slice(0, MAX_SUMMARY_ITEMS)) {
    lines.push(`failed [${formatTime(f.start)}, ${formatTime(f.end)}) after ${f.attempts} attempt(s): ${f.reason}`);
  }
  if (m.failedRanges.length > MAX_SUMMARY_ITEMS) lines.push(`… and ${m.failedRanges.length - MAX_SUMMARY_ITEMS} more failed range(s)`);
  if (m.downgraded) lines.push(`downgraded (${m.downgradeMode ?? 'unknown mode'}): ${m.downgradeReason ?? 'no reason given'}`);
  if (m.backfill !== null && m.backfill.state !== 'completed') {
    lines.push(`backfill ${m.backfill.jobId} ${m.backfill.state} (${formatPercent(m.backfill.completionRatio)} done)`);
  }
  // Remote answers of older gateways have no `building`.
  if (m.versions) {
    const v = m.versions;
    lines.push(`as of ${m.asOf === null ? '?' : formatTime(m.asOf)}: ${v.ids.length === 0 ? 'nothing stored then' : `version(s) ${v.ids.join(', ')}, newest committed ${v.newestAt === null ? 'before versioning' : formatTime(v.newestAt)}`}`);
  }
  if (m.building) lines.push(`last row is the building bar of ${formatTime(m.building.ts)} (not closed)`);
  if (m.conformance !== null) lines.push(...conformanceLines(m.conformance));
  // Remote answers of older gateways have no `resample` or `filled`.
  if (m.resample) {
    const r = m.resample;
    lines.push(`derived from ${r.baseInterval} bars (${r.baseRows} read)${r.align === null ? '' : `, aligned to ${r.align}`}: ${r.buckets} bucket(s), ${r.partialBuckets} partial`);
  }
  if (m.filled) lines.push(`filled ${m.filled.bars} bar(s) (fill=${m.filled.mode})`);
  return lines;
}

function missingLine(m: ReadMetadata): string {
  // A derived answer reports its missing ranges in base bars.
  const barMs = m.resample ? m.resample.baseIntervalMs : m.intervalMs;
  let bars = 0;
  for (const r of m.missingRanges) bars += Math.round((r.end - r.start) / barMs);
  const shown = m.missingRanges.slice(0, MAX_SUMMARY_ITEMS).map((r) => `[${formatTime(r.start)}, ${formatTime(r.end)})`);
  const more = m.missingRanges.length > MAX_SUMMARY_ITEMS ? ` … and ${m.missingRanges.length - MAX_SUMMARY_ITEMS} more` : '';
  return `missing ${bars} ${m.resample ? `${m.resample.baseInterval} ` : ''}bar(s) in ${m.missingRanges.length} range(s): ${shown.join(' ')}${more}`;
}

function conformanceLines(c: NonNullable<ReadMetadata['conformance']>): string[] {
  const flags = Object.entries(c.flags).filter(([, n]) => n > 0).sort((a, b) => a[0].localeCompare(b[0]));
  const warnings = c.warnings.filter(isWarning);
  if (flags.length === 0 && warnings.length === 0 && c.reportUri === null) return [];
  const errors = warnings.filter((w) => w.level === 'error').length;
  const counts = flags.map(([k, n]) => `${k}=${n}`).join(' ');
  const lines = [errors > 0
    ? `conformance: ${errors} error finding(s): ${counts} · served anyway (partial_ok or shadow mode)`
    : `conformance: ${warnings.length} finding(s): ${counts}`];
  if (c.reportUri !== null) lines.push(`report ${c.reportUri}`);
  for (const w of warnings.slice(0, MAX_SUMMARY_ITEMS)) lines.push(`  ${w.level} ${w.message}`);
  if (warnings.length > MAX_SUMMARY_ITEMS) lines.push(`  … and ${warnings.length - MAX_SUMMARY_ITEMS} more finding(s)`);
  return lines;
}

/** Warnings travel as `unknown` in metadata (their shape belongs to conformance); print what has one. */
function isWarning(w: unknown): w is Warning {
  if (typeof w !== 'object' || w === null) return false;
  const o = w as Record<string, unknown>;
  return typeof o.flag === 'string' && typeof o.level === 'string' && typeof o.message === 'string';
}
