/**
 * The datasets panel: the catalog (`GET /v1/datasets`) with each interval's coverage summary,
 * and the controls of the heatmap below it (dataset, interval, days). Clicking a dataset shows
 * its coverage. The default days: the stored range of the dataset's first interval (at most the
 * last 62 days of it), else the last 14 days.
 */
import type { Api } from '../api.js';
import type { Dataset } from '../api-types.js';
import { byId, el, fmtInt, fmtTime, setRows } from '../dom.js';
import type { Heatmap } from './heatmap.js';

const DAY = 86_400_000;
const MAX_DEFAULT_DAYS = 62;

export interface DatasetsPanel {
  /** Loads the catalog; the first load also shows the heatmap of the first dataset. */
  load(): Promise<readonly Dataset[]>;
  readonly datasets: readonly Dataset[];
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function defaultDays(dataset: Dataset, interval: string, now: number): { start: string; end: string } {
  const cov = dataset.coverage.find((c) => c.interval === interval);
  if (cov?.firstBar != null && cov.lastBar != null) {
    const end = Math.floor(cov.lastBar / DAY) * DAY + DAY;
    const start = Math.max(Math.floor(cov.firstBar / DAY) * DAY, end - MAX_DEFAULT_DAYS * DAY);
    return { start: day(start), end: day(end) };
  }
  const end = Math.floor(now / DAY) * DAY + DAY;
  return { start: day(end - 14 * DAY), end: day(end) };
}

function options(select: HTMLSelectElement, values: readonly string[], keep: string): void {
  select.replaceChildren(...values.map((v) => el('option', { value: v }, v)));
  if (values.includes(keep)) select.value = keep;
}

export function createDatasetsPanel(api: Api, heatmap: Heatmap): DatasetsPanel {
  const tbody = byId<HTMLTableElement>('datasets').tBodies[0];
  const nodeSelect = byId<HTMLSelectElement>('heatmap-node');
  const intervalSelect = byId<HTMLSelectElement>('heatmap-interval');
  const startInput = byId<HTMLInputElement>('heatmap-start');
  const endInput = byId<HTMLInputElement>('heatmap-end');
  let datasets: readonly Dataset[] = [];

  const selected = (): Dataset | undefined => datasets.find((d) => d.nodeId === nodeSelect.value);
  function pick(nodeId: string): void {
    nodeSelect.value = nodeId;
    const dataset = selected();
    if (dataset === undefined) return;
    options(intervalSelect, dataset.intervals, intervalSelect.value);
    const days = defaultDays(dataset, intervalSelect.value, Date.now());
    startInput.value = days.start;
    endInput.value = days.end;
  }
  function show(): void {
    void heatmap.show({ node: nodeSelect.value, interval: intervalSelect.value, start: startInput.value, end: endInput.value });
  }
  nodeSelect.addEventListener('change', () => { pick(nodeSelect.value); show(); });
  intervalSelect.addEventListener('change', () => {
    const dataset = selected();
    if (dataset === undefined) return;
    const days = defaultDays(dataset, intervalSelect.value, Date.now());
    startInput.value = days.start;
    endInput.value = days.end;
    show();
  });
  byId<HTMLFormElement>('heatmap-form').addEventListener('submit', (event) => {
    event.preventDefault();
    show();
  });

  function row(d: Dataset): HTMLTableRowElement {
    const sum = (f: (c: Dataset['coverage'][number]) => number): number => d.coverage.filter((c) => c.derivedFrom === null).reduce((n, c) => n + f(c), 0);
    const last = Math.max(...d.coverage.map((c) => c.lastBar ?? -1));
    const tr = el('tr', { 'data-node': d.nodeId, class: 'clickable', title: d.description ?? '' },
      el('td', {}, d.nodeId), el('td', {}, d.intervals.join(', ')), el('td', {}, d.source ?? '(import only)'),
      el('td', {}, d.slaPolicy ?? '-'), el('td', { class: 'num' }, fmtInt(sum((c) => c.barsStored))),
      el('td', { class: 'num' }, fmtInt(sum((c) => c.knownEmptyBars))), el('td', { class: 'num' }, fmtInt(sum((c) => c.failedBars))),
      el('td', {}, last < 0 ? '-' : fmtTime(last)));
    tr.addEventListener('click', () => { pick(d.nodeId); show(); });
    return tr;
  }

  return {
    get datasets() { return datasets; },
    async load() {
      const first = datasets.length === 0;
      datasets = (await api.get<{ datasets: Dataset[] }>('/v1/datasets')).datasets;
      setRows(tbody, datasets.map(row), 'no datasets configured', 8);
      options(nodeSelect, datasets.map((d) => d.nodeId), nodeSelect.value);
      if (first && datasets.length > 0) {
        pick(datasets[0].nodeId);
        show();
      }
      return datasets;
    },
  };
}
