/**
 * The governance document `<docsDir>/operations/schema_registry_governance.md`, kept in step
 * with the audit log: after each audited change the registry hands it the whole log, and the
 * entries whose sequence number is past the last section already in the file are appended (the
 * file is created with its header when missing). It is append-only: existing text is never
 * rewritten, and an entry that could not be written (a full disk) is appended at the next sync.
 * The one place in `schema` that touches the file system.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GovernanceDocumentError } from './errors.js';
import { renderGovernanceEntry, renderGovernanceHeader } from './governance-log.js';
import type { AuditEntry } from './schema-types.js';

/** Where the document lives under the docs directory. */
export const GOVERNANCE_DOCUMENT_PATH = join('operations', 'schema_registry_governance.md');

export interface GovernanceDocument {
  readonly path: string;
  /** Appends the entries not yet in the file (by sequence); returns how many were appended. */
  sync(entries: readonly AuditEntry[]): Promise<number>;
}

/** Section headings `## <seq>. …`: the sequence numbers already written. */
const SECTION = /^## (\d+)\. /gm;

function lastWrittenSeq(text: string): number {
  let last = 0;
  for (const m of text.matchAll(SECTION)) last = Math.max(last, Number(m[1]));
  return last;
}

/** The document at `<docsDir>/operations/schema_registry_governance.md`. */
export function createGovernanceDocument(docsDir: string): GovernanceDocument {
  const path = join(docsDir, GOVERNANCE_DOCUMENT_PATH);
  const fail = (what: string, err: unknown): GovernanceDocumentError =>
    new GovernanceDocumentError(path, `${what}: ${(err as NodeJS.ErrnoException).code ?? String(err)} (the audit log has the entry; it is appended at the next change or \`seamless schema audit --export\`)`, { cause: err });
  return {
    path,
    async sync(entries) {
      let existing: string | undefined;
      try {
        existing = await readFile(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fail('cannot read it', err);
      }
      const after = existing === undefined ? 0 : lastWrittenSeq(existing);
      let text = existing === undefined ? renderGovernanceHeader() : '';
      // A file whose last line lacks its newline gets one before the next section.
      if (existing !== undefined && existing.length > 0 && !existing.endsWith('\n')) text += '\n';
      let appended = 0;
      for (const e of entries) {
        if (e.seq <= after) continue;
        text += renderGovernanceEntry(e);
        appended++;
      }
      if (appended === 0 && existing !== undefined) return 0;
      try {
        await mkdir(dirname(path), { recursive: true });
        await appendFile(path, text, 'utf8');
      } catch (err) {
        throw fail('cannot append to it', err);
      }
      return appended;
    },
  };
}
