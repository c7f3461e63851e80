/**
 * SLA status per policy (`GET /v1/sla`): each policy of the gateway's `seamless.sla.dir`, its
 * mode, the datasets and intervals it governs, and the violations counted since the gateway
 * started, by phase: `ok`, or `violated` with the phases.
 */
import type { Api } from '../api.js';
import { byId, el, fmtInt, setRows } from '../dom.js';

interface PolicyStatus {
  readonly name: string;
  readonly mode: string;
  readonly onViolation: string;
  readonly datasets: readonly { readonly node: string; readonly interval: string }[];
  readonly violations: { readonly total: number; readonly byPhase: Readonly<Record<string, number>> };
  readonly status: 'ok' | 'violated';
  readonly runbook: string;
}

export interface SlaPanel {
  load(): Promise<void>;
}

export function createSlaPanel(api: Api): SlaPanel {
  const tbody = byId<HTMLTableElement>('sla').tBodies[0];
  return {
    async load() {
      const { dir, policies } = await api.get<{ dir: string | null; policies: PolicyStatus[] }>('/v1/sla');
      const rows = policies.map((p) => {
        const phases = Object.entries(p.violations.byPhase).map(([phase, n]) => `${phase} ×${fmtInt(n)}`).join(', ');
        const governs = p.datasets.map((d) => `${d.node} ${d.interval}`).join(', ');
        return el('tr', { 'data-policy': p.name, 'data-state': p.status, title: `runbook: ${p.runbook}` },
          el('td', {}, p.name, el('br'), el('small', { class: 'muted' }, `${p.mode}, on violation ${p.onViolation}`)),
          el('td', {}, governs === '' ? '-' : governs),
          el('td', { class: 'num' }, fmtInt(p.violations.total)),
          el('td', { class: `state ${p.status}` }, p.status === 'ok' ? 'ok' : `violated: ${phases}`));
      });
      setRows(tbody, rows, dir === null ? 'no SLA policies (seamless.sla.dir is not set; docs/sla.md)' : 'no policy in seamless.sla.dir', 4);
    },
  };
}
