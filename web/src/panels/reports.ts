/**
 * Recent conformance reports (`GET /v1/reports`, newest first) with their findings per flag;
 * clicking one shows the whole report (`GET /v1/reports/{id}`: warnings, gaps, regression).
 */
import type { Api } from '../api.js';
import type { ReportSummary } from '../api-types.js';
import { byId, el, fmtError, fmtInt, fmtTime, setRows } from '../dom.js';

const LIMIT = 15;

export interface ReportsPanel {
  load(): Promise<void>;
}

export function createReportsPanel(api: Api): ReportsPanel {
  const tbody = byId<HTMLTableElement>('reports').tBodies[0];
  const detail = byId<HTMLPreElement>('report-detail');
  async function open(id: string): Promise<void> {
    detail.hidden = false;
    try {
      const { report } = await api.get<{ report: unknown }>(`/v1/reports/${encodeURIComponent(id)}`);
      detail.textContent = JSON.stringify(report, null, 2);
    } catch (error) {
      detail.textContent = fmtError(error);
    }
  }
  return {
    async load() {
      const { reports } = await api.get<{ reports: ReportSummary[] }>('/v1/reports', { limit: LIMIT });
      setRows(tbody, reports.map((r) => {
        const flags = Object.entries(r.flags).map(([flag, n]) => `${flag} ×${fmtInt(n)}`).join(', ');
        const tr = el('tr', { 'data-report': r.id, class: `clickable${r.hasErrors ? ' has-errors' : ''}` },
          el('td', {}, fmtTime(r.createdAt)), el('td', {}, `${r.node} ${r.interval}`), el('td', {}, r.origin),
          el('td', { class: 'num' }, fmtInt(r.rows)), el('td', {}, `${flags || 'none'}${r.regressed ? ' · regressed' : ''}`));
        tr.addEventListener('click', () => { void open(r.id); });
        return tr;
      }), 'no report with findings yet', 5);
    },
  };
}
