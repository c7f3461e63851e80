/**
 * Health, live feeds and upstreams: the checks of `/healthz` (storage, coordinator, registry,
 * feeds…), the upstream exchanges' requests by outcome and rate-limit answers (`/metrics`), their
 * shared budgets where this gateway coordinates them (`GET /v1/upstreams`, scope `worker`; a
 * gateway without a lease store does not serve it), and each live feed's connection state.
 */
import type { Api } from '../api.js';
import { byId, el, fmtError, fmtInt, setRows } from '../dom.js';
import { ApiError, KeyRefusedError } from '../errors.js';
import { sumBy } from '../metrics-text.js';
import type { Sample } from '../metrics-text.js';

export const HEALTH_METRICS = [
  'seamless_upstream_requests_total', 'seamless_upstream_rate_limited_total',
  'seamless_live_connected', 'seamless_live_reconnects_total',
] as const;

interface Health { status: string; checks: Record<string, { ok: boolean; detail?: string }> }
interface Budget { upstream: string; requests_per_second: number; burst: number; paused_for_ms: number; waiting: number; granted: number; pauses: number }

export interface HealthPanel {
  load(samples: readonly Sample[]): Promise<void>;
}

export function createHealthPanel(api: Api): HealthPanel {
  const checks = byId<HTMLUListElement>('health-checks');
  const upstreams = byId<HTMLTableElement>('upstreams').tBodies[0];
  const feeds = byId<HTMLTableElement>('feeds').tBodies[0];

  async function budgets(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    try {
      const answer = await api.get<{ upstreams: Budget[] }>('/v1/upstreams', {}, { optional: true });
      for (const b of answer.upstreams) {
        const paused = b.paused_for_ms > 0 ? ` · paused ${Math.ceil(b.paused_for_ms / 1000)} s` : '';
        out.set(b.upstream, `${b.requests_per_second} req/s, burst ${b.burst} · ${fmtInt(b.granted)} granted, ${b.waiting} waiting, ${b.pauses} pause(s)${paused}`);
      }
    } catch (error) {
      // Not served here (no lease store: 404) or not for this key (scope worker: 403): no budgets to show.
      if (!(error instanceof ApiError || error instanceof KeyRefusedError)) throw error;
    }
    return out;
  }

  return {
    async load(samples) {
      let health: Health;
      try {
        const res = await fetch('/healthz', { headers: { accept: 'application/json' } });
        health = await res.json() as Health;
      } catch (error) {
        checks.replaceChildren(el('li', { class: 'failing' }, `gateway: ${fmtError(error)}`));
        return;
      }
      checks.replaceChildren(...Object.entries(health.checks).map(([name, c]) =>
        el('li', { class: c.ok ? 'ok' : 'failing', 'data-check': name }, `${c.ok ? '✓' : '✗'} ${name}`, c.detail ? el('small', { class: 'muted' }, ` ${c.detail}`) : null)));
      const requests = new Map<string, Map<string, number>>();
      for (const s of samples) {
        if (s.name !== 'seamless_upstream_requests_total') continue;
        const up = s.labels.upstream ?? '?';
        const byOutcome = requests.get(up) ?? new Map<string, number>();
        byOutcome.set(s.labels.outcome ?? '?', (byOutcome.get(s.labels.outcome ?? '?') ?? 0) + s.value);
        requests.set(up, byOutcome);
      }
      const limited = sumBy(samples, 'seamless_upstream_rate_limited_total', 'upstream');
      const budget = await budgets();
      const names = [...new Set([...requests.keys(), ...limited.keys(), ...budget.keys()])].sort();
      setRows(upstreams, names.map((name) => {
        const outcomes = [...(requests.get(name) ?? new Map<string, number>())].map(([o, n]) => `${o} ${fmtInt(n)}`).join(', ');
        return el('tr', { 'data-upstream': name }, el('td', {}, name), el('td', {}, outcomes || '-'),
          el('td', { class: 'num' }, fmtInt(limited.get(name) ?? 0)), el('td', {}, budget.get(name) ?? '-'));
      }), 'no upstream request yet', 4);
      const connected = sumBy(samples, 'seamless_live_connected', 'feed');
      const reconnects = sumBy(samples, 'seamless_live_reconnects_total', 'feed');
      setRows(feeds, [...connected].map(([feed, up]) => el('tr', { 'data-feed': feed, 'data-state': up > 0 ? 'connected' : 'disconnected' },
        el('td', {}, feed), el('td', { class: up > 0 ? 'ok' : 'failing' }, up > 0 ? 'connected' : 'disconnected'), el('td', { class: 'num' }, fmtInt(reconnects.get(feed) ?? 0)))), 'no live feed configured', 3);
      byId('health-panel').dataset.loaded = String(Date.now());
    },
  };
}
