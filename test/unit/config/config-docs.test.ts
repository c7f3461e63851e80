import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { ENV_KEYS } from '../../../src/config/internal.js';

const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');

/** Leaf keys of the resolved default configuration, as dotted paths (records and arrays are one key). */
function leafKeys(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  if (prefix === 'sources' || prefix === 'auth.keys') return [prefix];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => leafKeys(v, prefix ? `${prefix}.${k}` : k));
}

describe('configuration reference (docs/configuration.md)', () => {
  const keys = leafKeys(loadConfig({ env: {} }).config);

  it.each(keys)('documents the key %s', (key) => {
    const documented = key === 'sources' ? '`sources.<name>`' : key === 'datasets' ? '`datasets[]`' : `\`${key}\``;
    expect(doc).toContain(documented);
  });

  it.each(Object.entries(ENV_KEYS))('documents %s as %s', (name, key) => {
    expect(doc).toMatch(new RegExp(`\\| \`${name}\` \\| \`${key.replace(/\./g, '\\.')}\` \\|`));
  });
});
