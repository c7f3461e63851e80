/**
 * The coverage heatmap: one cell per UTC day of a dataset and interval, from
 * `GET /v1/datasets/condition`, coloured by what storage holds for the day: `stored` (every
 * closed bar stored, or stored and known empty), `known-empty`, `partial` (some stored),
 * `pending` (a backfill job is on it, or the day has not closed), `failed` (its backfill
 * failed), `missing`. Each cell carries `data-date` and `data-state` and the condition's reason
 * as its title. `refresh()` is called again as backfill events land.
 */
import type { Api } from '../api.js';
import type { ConditionAnswer, DayEntry } from '../api-types.js';
import { coalesced } from '../coalesce.js';
import { el, fmtError, fmtInt } from '../dom.js';

export type CellState = 'stored' | 'known-empty' | 'partial' | 'pending' | 'failed' | 'missing';

export type HeatmapQuery = {
  readonly node: string;
  readonly interval: string;
  /** First day (YYYY-MM-DD) and the day after the last. */
  readonly start: string;
  readonly end: string;
};

export function cellState(day: DayEntry): CellState {
  const { closed, stored, knownEmpty, failed } = day.bars;
  if (closed > 0 && stored + knownEmpty === closed) return stored > 0 ? 'stored' : 'known-empty';
  if (day.condition === 'pending') return 'pending';
  if (failed > 0) return 'failed';
  if (stored + knownEmpty > 0) return 'partial';
  return 'missing';
}

export interface Heatmap {
  show(query: HeatmapQuery): Promise<void>;
  refresh(): Promise<void>;
  readonly query: HeatmapQuery | undefined;
}

export function createHeatmap(api: Api, container: HTMLElement): Heatmap {
  let current: HeatmapQuery | undefined;

  async function load(): Promise<void> {
    const query = current;
    if (query === undefined) return;
    try {
      const answer = await api.get<ConditionAnswer>('/v1/datasets/condition', query);
      if (query !== current) return;
      container.dataset.node = query.node;
      container.dataset.interval = query.interval;
      container.replaceChildren(...answer.days.map((day) => {
        const state = cellState(day);
        const { stored, knownEmpty, failed, missing, closed } = day.bars;
        const title = `${day.date}: ${state} — ${fmtInt(stored)} stored, ${fmtInt(knownEmpty)} known empty, ${fmtInt(failed)} failed, ${fmtInt(missing)} missing of ${fmtInt(closed)} closed bars. ${day.reason}`;
        return el('div', { class: `cell ${state}`, 'data-date': day.date, 'data-state': state, title }, el('span', {}, day.date.slice(8)));
      }));
      container.dataset.loaded = String(Date.now());
    } catch (error) {
      container.replaceChildren(el('p', { class: 'error' }, `coverage: ${fmtError(error)}`));
    }
  }

  /** One load at a time; a refresh asked for during a load runs once after it. */
  const refresh = coalesced(load);

  return {
    get query() { return current; },
    async show(query) {
      current = query;
      await refresh();
    },
    refresh,
  };
}
