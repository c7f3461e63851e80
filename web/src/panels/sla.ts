/**
 * SLA status per policy: the policies the catalog names (each dataset's `slaPolicy`), with the
 * violations counted since the gateway started (`seamless_sla_violations_total` of `/metrics`,
 * by policy, phase and mode). A policy with violations is `violated` (with the phases), one
 * without is `ok`; a policy that only appears in the metrics is listed too.
 */
import type { Dataset } from '../api-types.js';
import { byId, el, fmtInt, setRows } from '../dom.js';
import type { Sample } from '../metrics-text.js';

export const SLA_METRICS = ['seamless_sla_violations_total'] as const;

export interface SlaPanel {
  render(datasets: readonly Dataset[], samples: readonly Sample[]): void;
}

export function createSlaPanel(): SlaPanel {
  const tbody = byId<HTMLTableElement>('sla').tBodies[0];
  return {
    render(datasets, samples) {
      const policies = new Map<string, { datasets: string[]; violations: number; phases: Map<string, number> }>();
      const entry = (name: string): { datasets: string[]; violations: number; phases: Map<string, number> } => {
        let e = policies.get(name);
        if (e === undefined) policies.set(name, e = { datasets: [], violations: 0, phases: new Map() });
        return e;
      };
      for (const d of datasets) if (d.slaPolicy !== null) entry(d.slaPolicy).datasets.push(d.nodeId);
      for (const s of samples) {
        if (s.name !== 'seamless_sla_violations_total' || s.value === 0) continue;
        const e = entry(s.labels.policy ?? '(unnamed)');
        e.violations += s.value;
        const phase = `${s.labels.phase ?? '?'}${s.labels.mode === 'dry-run' ? ' (dry run)' : ''}`;
        e.phases.set(phase, (e.phases.get(phase) ?? 0) + s.value);
      }
      const rows = [...policies].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, e]) => {
        const state = e.violations > 0 ? 'violated' : 'ok';
        const detail = [...e.phases].map(([phase, n]) => `${phase} ×${fmtInt(n)}`).join(', ');
        return el('tr', { 'data-policy': name, 'data-state': state },
          el('td', {}, name), el('td', {}, e.datasets.length === 0 ? '-' : e.datasets.join(', ')),
          el('td', { class: 'num', title: detail }, fmtInt(e.violations)), el('td', { class: `state ${state}` }, state === 'ok' ? 'ok' : `violated: ${detail}`));
      });
      setRows(tbody, rows, 'no SLA policy applies to a dataset (docs/sla.md)', 4);
    },
  };
}
