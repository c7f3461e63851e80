/**
 * The drift detector: compares the columns observed in a payload with the approved schema of
 * its subject and counts drifted observations per subject. The caller increments
 * `seamless_schema_drift_total{subject}` when `drifted` is true.
 */
import type { FieldType, ParsedSchema, SchemaField } from './schema-types.js';

/** The kind of a column as decoded from a payload. */
export type ObservedKind = 'float64' | 'int64' | 'string' | 'bool';

export interface ObservedColumn {
  readonly name: string;
  readonly kind: ObservedKind;
}

export interface DriftReport {
  readonly drifted: boolean;
  readonly messages: readonly string[];
}

export interface DriftDetector {
  observe(subject: string, observed: readonly ObservedColumn[], approved: ParsedSchema): DriftReport;
  /** Drifted observations per subject since creation. */
  counts(): Record<string, number>;
}

/** Observed kinds each field type accepts: numbers cast safely among float64, int64 and timestamp. */
const ACCEPTS: Readonly<Record<FieldType, readonly ObservedKind[]>> = {
  float64: ['float64', 'int64'],
  int64: ['int64', 'float64'],
  timestamp: ['int64', 'float64'],
  string: ['string'],
  enum: ['string'],
  bool: ['bool'],
};

export function createDriftDetector(): DriftDetector {
  const drifts = new Map<string, number>();
  return {
    observe(subject, observed, approved) {
      const fields = new Map<string, SchemaField>();
      for (const f of approved.fields) fields.set(f.name, f);
      const seen = new Set<string>();
      const messages: string[] = [];
      for (const column of observed) {
        const name = JSON.stringify(column.name);
        if (seen.has(column.name)) {
          messages.push(`column ${name} is observed more than once`);
          continue;
        }
        seen.add(column.name);
        const field = fields.get(column.name);
        if (field === undefined) messages.push(`unexpected column ${name} (not in the approved schema "${approved.title}")`);
        else if (!ACCEPTS[field.type].includes(column.kind)) messages.push(`column ${name} is observed as ${column.kind} but the approved type is ${field.type}`);
      }
      for (const f of approved.fields) {
        if (f.required && !seen.has(f.name)) messages.push(`required column ${JSON.stringify(f.name)} is missing`);
      }
      const drifted = messages.length > 0;
      if (drifted) drifts.set(subject, (drifts.get(subject) ?? 0) + 1);
      return Object.freeze({ drifted, messages: Object.freeze(messages) });
    },
    counts() {
      return Object.fromEntries(drifts);
    },
  };
}
