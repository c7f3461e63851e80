/**
 * The built dashboard page (web/, built by Vite into web/dist: scripts/build-web.mjs) as files
 * the gateway serves. This module sits two levels under the package root, as the CLI bundles do
 * (.cli-build/<hash>/main.mjs, .test-build/<run>/main.mjs), so `../../web/dist/` names the same
 * directory from the sources and from a bundle. Files are read when asked for (the page may be
 * built after the gateway started: bin/seamless.js builds it when missing), never at import time.
 *
 * A name is served only if it is one plain file name (letters, digits, `.`, `_`, `-`, not
 * starting with a dot) directly inside the directory asked for: no separator, no `..`, no
 * dot-file, so no request reaches outside web/dist whatever its encoding.
 */
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where web/dist is, from this module (two levels under the package root, in sources and bundles). */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/** Assets' names carry their content hash (Vite): a year, and never revalidated. */
export const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** The page itself names the current assets: always revalidated. */
export const PAGE_CACHE_CONTROL = 'no-cache';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;

export interface DashboardFile {
  readonly body: Buffer;
  readonly contentType: string;
}

export interface DashboardFiles {
  /** The directory served (web/dist unless a test names another). */
  readonly dir: string;
  /** index.html, or undefined when the page is not built. */
  page(): Promise<DashboardFile | undefined>;
  /** A file of assets/, or undefined when the name is not a plain file name or no such file exists. */
  asset(name: string): Promise<DashboardFile | undefined>;
}

/** Whether `name` is one plain file name (no separator, no `..`, no leading dot). */
export function isSafeAssetName(name: string): boolean {
  return SAFE_NAME.test(name) && !name.includes('..');
}

function contentType(name: string): string {
  return CONTENT_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';
}

/** A missing file is absence (undefined); any other read failure is an error for the caller. */
async function readIfPresent(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw error;
  }
}

export function createDashboardFiles(dir: string = DEFAULT_DASHBOARD_DIR): DashboardFiles {
  return {
    dir,
    async page() {
      const body = await readIfPresent(join(dir, 'index.html'));
      return body === undefined ? undefined : { body, contentType: CONTENT_TYPES['.html'] };
    },
    async asset(name) {
      if (!isSafeAssetName(name)) return undefined;
      const body = await readIfPresent(join(dir, 'assets', name));
      return body === undefined ? undefined : { body, contentType: contentType(name) };
    },
  };
}
