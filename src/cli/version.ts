/**
 * The package's version for `seamless --version`, read from package.json beside src/ when the
 * program is built (not at import time).
 */
import { readFileSync } from 'node:fs';
import { InternalError } from '../core/index.js';

const PACKAGE_JSON = new URL('../../package.json', import.meta.url);

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new InternalError(`${PACKAGE_JSON.pathname} has no version`);
  return pkg.version;
}
