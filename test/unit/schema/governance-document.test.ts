import { appendFile, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../../src/core/internal.js';
import { GOVERNANCE_DOCUMENT_PATH, createSchemaRegistry } from '../../../src/schema/index.js';
import { GOVERNANCE_LOG_TITLE, createMemoryRegistryStore } from '../../../src/schema/internal.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { HOUR, T0, V1 } from './harness.js';

const dirs: { remove: () => Promise<void> }[] = [];
afterEach(async () => { for (const d of dirs.splice(0)) await d.remove(); });

async function registryWithDocs() {
  const dir = await tempDir();
  dirs.push(dir);
  const registry = createSchemaRegistry({
    store: createMemoryRegistryStore(), clock: createManualClock(T0), docsDir: dir.path,
    defaults: { compatibility: 'BACKWARD', validationMode: 'canary', canaryWindowMs: 48 * HOUR },
  });
  return { registry, file: join(dir.path, GOVERNANCE_DOCUMENT_PATH) };
}

describe('governance document', () => {
  it('appends the promotion entry to <docsDir>/operations/schema_registry_governance.md when the deciding approval lands', async () => {
    const { registry, file } = await registryWithDocs();
    await registry.register('s', V1, 'seamless');
    const { id } = await registry.requestPromotion('s', { requestedBy: 'alice', changeRequest: 'CR-7' });
    await registry.approve(id, 'alice');
    expect(await readFile(file, 'utf8')).not.toContain('— promotion —');
    await registry.approve(id, 'bob');
    const md = await readFile(file, 'utf8');
    expect(md.startsWith(`# ${GOVERNANCE_LOG_TITLE}\n`)).toBe(true);
    expect(md).toMatch(/## 2\. .* — promotion — s\n/);
    expect(md).toContain('| approvers | alice, bob |');
    expect(md).toContain('| change request | CR-7 |');
  });

  it('never rewrites what the file holds: later entries are appended after it, each once', async () => {
    const { registry, file } = await registryWithDocs();
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, '# Schema registry governance log\n\nHand-kept history before Seamless.\n');
    await registry.register('s', V1, 'seamless');
    await appendFile(file, 'an operator note');
    await registry.setCompatibility('s', 'NONE', 'alice');
    const md = await readFile(file, 'utf8');
    expect(md.startsWith('# Schema registry governance log\n\nHand-kept history before Seamless.\n## 1. ')).toBe(true);
    expect(md).toContain('an operator note\n## 2. ');
    expect(md.match(/^## 1\. /gm)).toHaveLength(1);
  });
});
