import { describe, expect, it } from 'vitest';
import { GOVERNANCE_LOG_TITLE, renderGovernanceLog } from '../../../src/schema/internal.js';
import type { AuditEntry } from '../../../src/schema/index.js';
import { HOUR, T0, V1, harness } from './harness.js';

describe('governance log', () => {
  it('renders a promotion entry as a section with a table of its fields and ISO times', async () => {
    const { registry, clock } = harness();
    await registry.register('seamless-ohlcv', V1, 'seamless');
    const { id } = await registry.requestPromotion('seamless-ohlcv', { requestedBy: 'alice', changeRequest: 'CR-7' });
    await registry.approve(id, 'alice');
    clock.advance(HOUR);
    await registry.approve(id, 'bob');
    const entries = await registry.audit();
    const promotion = entries.find((e) => e.action === 'promotion');
    const md = renderGovernanceLog(entries);

    expect(md.startsWith(`# ${GOVERNANCE_LOG_TITLE}\n`)).toBe(true);
    expect(md).toContain('append-only');
    expect(md).toContain(`## 2. ${new Date(T0 + HOUR).toISOString()} — promotion — seamless-ohlcv`);
    expect(md).toContain('| approvers | alice, bob |');
    expect(md).toContain('| change request | CR-7 |');
    expect(md).toContain(`| bundle SHA-256 | \`${promotion?.bundleSha}\` |`);
    expect(md).toContain('| canary window | 48h (172800000 ms) |');
    expect(md).toContain('| canary failures in window | 0 |');
    expect(md).toContain(`| time (UTC) | ${new Date(T0 + HOUR).toISOString()} |`);
    expect(md.match(/^## /gm)).toHaveLength(entries.length);
  });

  it('keeps table rows intact when a value holds pipes or line breaks', () => {
    const entry: AuditEntry = {
      seq: 1, at: T0, action: 'mode_change', subject: 'a|b', version: undefined, bundleSha: 'sha256:00', approvers: [],
      changeRequest: undefined, canaryWindowMs: undefined, canaryFailures: undefined, actor: 'ops', detail: 'line one\nline | two',
    };
    const md = renderGovernanceLog([entry]);
    expect(md).toContain('| detail | line one line \\| two |');
    expect(md).toContain('| version | — |');
  });

  it('says so when there are no entries yet', () => {
    expect(renderGovernanceLog([])).toContain('No entries yet');
  });
});
