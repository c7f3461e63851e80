/**
 * The `auth.keys` list of a YAML configuration file, edited in place through yaml's Document API
 * so comments, ordering and every other key survive. A change is validated as a whole
 * configuration before the file is replaced (write to a temporary file, then rename).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isMap, isSeq, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import { ConflictError, InvalidRequestError, NotFoundError } from '../core/index.js';
import { loadConfig } from '../config/index.js';
import type { ApiKeyConfig } from '../config/index.js';

const KEYS_PATH = ['auth', 'keys'] as const;

export interface KeyFile {
  readonly path: string;
  readonly exists: boolean;
  /** The entries as they are in the file (validated). */
  keys(): ApiKeyConfig[];
  /** Appends an entry; a name already present is a ConflictError. */
  add(entry: ApiKeyConfig): void;
  /** Removes the entry named `name`; NotFoundError when absent. */
  remove(name: string): ApiKeyConfig;
  /** Validates the whole configuration and writes it back. */
  save(): void;
}

export function openKeyFile(path: string): KeyFile {
  const exists = existsSync(path);
  const doc: Document = parseDocument(exists ? readFileSync(path, 'utf8') : '');
  if (doc.errors.length > 0) throw new InvalidRequestError('config', `${path}: ${doc.errors[0].message.split('\n')[0]}`, { file: path });
  if (doc.contents === null) doc.contents = doc.createNode({});
  if (!isMap(doc.contents)) throw new InvalidRequestError('config', `${path}: the top level must be a mapping of keys`, { file: path });

  function keys(): ApiKeyConfig[] {
    const node: unknown = doc.getIn(KEYS_PATH);
    if (node === undefined || node === null) return [];
    if (!isSeq(node)) throw new InvalidRequestError('auth.keys', `${path}: must be a list`, { file: path });
    return node.toJSON() as ApiKeyConfig[];
  }

  return {
    path,
    exists,
    keys,
    add(entry) {
      if (keys().some((k) => k.name === entry.name)) {
        throw new ConflictError(`key "${entry.name}" already exists in ${path}; revoke it first or pick another name`, { name: entry.name, file: path });
      }
      const node: unknown = doc.getIn(KEYS_PATH);
      if (isSeq(node)) {
        node.flow = false;
        node.add(doc.createNode(entry));
      } else {
        doc.setIn(KEYS_PATH, doc.createNode([entry]));
      }
    },
    remove(name) {
      const list = keys();
      const index = list.findIndex((k) => k.name === name);
      if (index < 0) throw new NotFoundError('key', name, { file: path, known: list.map((k) => k.name) });
      doc.deleteIn([...KEYS_PATH, index]);
      return list[index];
    },
    save() {
      // The same validation `serve` will apply, so a file we write always loads.
      loadConfig({ input: doc.toJS() as Record<string, unknown>, env: {} });
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, String(doc), { encoding: 'utf8', mode: 0o600 });
      renameSync(tmp, path);
    },
  };
}
