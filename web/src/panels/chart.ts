/**
 * The candlestick chart (lightweight-charts) of any dataset, interval and range:
 * `GET /v1/bars` (JSON, columnar, `partial_ok`) turned into the series' bars, and with `live` checked the
 * newest bars as they close (live-bars.ts). `data()` answers the bars the chart's series holds
 * (the library's own copy), which the browser tests compare with the API's answer. On opening,
 * the newest stored bars of the first dataset are drawn; with none stored, nothing is read until
 * the user asks (a read of a range backfills it).
 */
import { CandlestickSeries, createChart } from 'lightweight-charts';
import type { CandlestickData, ISeriesApi, UTCTimestamp } from 'lightweight-charts';
import type { Api } from '../api.js';
import type { BarsAnswer, Dataset } from '../api-types.js';
import { byId, el, fmtError, fmtInt } from '../dom.js';
import type { Bars, LiveBarsSource, LiveSubscription } from '../live-bars.js';

const DEFAULT_BARS = 240;

export interface ChartPanel {
  /** Fills the dataset choices; the first call also draws the first dataset. */
  setDatasets(datasets: readonly Dataset[]): void;
  draw(): Promise<void>;
  /** The series' bars: time in seconds, OHLC. */
  data(): readonly CandlestickData[];
}

function candles(bars: Bars): CandlestickData[] {
  const out: CandlestickData[] = new Array<CandlestickData>(bars.ts.length);
  for (let i = 0; i < bars.ts.length; i++) {
    out[i] = { time: (bars.ts[i] / 1000) as UTCTimestamp, open: bars.open[i], high: bars.high[i], low: bars.low[i], close: bars.close[i] };
  }
  return out;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}

export function createChartPanel(api: Api, live: LiveBarsSource): ChartPanel {
  const container = byId('chart');
  const status = byId('chart-status');
  const nodeSelect = byId<HTMLSelectElement>('chart-node');
  const intervalSelect = byId<HTMLSelectElement>('chart-interval');
  const startInput = byId<HTMLInputElement>('chart-start');
  const endInput = byId<HTMLInputElement>('chart-end');
  const liveBox = byId<HTMLInputElement>('chart-live');
  const chart = createChart(container, { autoSize: true, layout: { background: { color: '#ffffff' }, textColor: '#222' }, timeScale: { timeVisible: true, secondsVisible: false } });
  const series: ISeriesApi<'Candlestick'> = chart.addSeries(CandlestickSeries, {});
  let datasets: readonly Dataset[] = [];
  let subscription: LiveSubscription | undefined;
  /** Counts draws: only the newest one may fill the chart (an older read can answer later). */
  let drawn = 0;

  const dataset = (): Dataset | undefined => datasets.find((d) => d.nodeId === nodeSelect.value);
  function intervalMs(): number {
    const d = dataset();
    return d?.intervalsMs[d.intervals.indexOf(intervalSelect.value)] ?? 60_000;
  }
  /** Open time of the newest stored bar of the chosen dataset and interval, or null. */
  function storedLast(): number | null {
    return dataset()?.coverage.find((c) => c.interval === intervalSelect.value)?.lastBar ?? null;
  }
  /** The newest DEFAULT_BARS bars stored, or the last DEFAULT_BARS before now (live). */
  function defaultRange(): void {
    const ms = intervalMs();
    const last = storedLast();
    const end = liveBox.checked || last === null ? Math.floor(Date.now() / ms) * ms + ms : last + ms;
    startInput.value = iso(end - DEFAULT_BARS * ms);
    endInput.value = iso(end);
  }
  function pickDataset(): void {
    const d = dataset();
    if (d === undefined) return;
    const keep = intervalSelect.value;
    intervalSelect.replaceChildren(...d.intervals.map((i) => el('option', { value: i }, i)));
    intervalSelect.value = d.intervals.includes(keep) ? keep : (d.intervals.find((i) => i === '1h') ?? d.intervals[0]);
    defaultRange();
  }

  async function draw(): Promise<void> {
    const mine = ++drawn;
    subscription?.stop();
    subscription = undefined;
    // partial_ok: a chart shows what exists (a gap or a conformance finding is named in the
    // status line), where a strategy's read would be refused.
    const query = { node: nodeSelect.value, interval: intervalSelect.value, start: startInput.value, end: endInput.value, partial_ok: 'true' };
    status.textContent = 'loading…';
    try {
      const answer = await api.get<BarsAnswer>('/v1/bars', query);
      // A later draw (another range, dataset or interval chosen meanwhile) owns the chart now.
      if (mine !== drawn) return;
      series.setData(candles(answer.data));
      chart.timeScale().fitContent();
      container.dataset.node = query.node;
      container.dataset.interval = query.interval;
      container.dataset.bars = String(answer.data.ts.length);
      const flags = Object.entries(answer.metadata.conformance?.flags ?? {}).map(([flag, n]) => `${flag} ×${n}`).join(', ');
      status.textContent = `${query.node} ${query.interval}: ${fmtInt(answer.metadata.rows)} bars${answer.metadata.partial ? ` (partial: coverage ${Math.round(answer.metadata.coverageRatio * 100)} %)` : ''}${flags === '' ? '' : ` · conformance findings: ${flags}`}`;
      const n = answer.data.ts.length;
      if (liveBox.checked) {
        subscription = live.subscribe({ node: query.node, interval: query.interval, intervalMs: intervalMs(), after: n > 0 ? answer.data.ts[n - 1] : Date.parse(query.end) }, {
          onBars(bars) {
            for (const bar of candles(bars)) series.update(bar);
            container.dataset.bars = String(series.data().length);
          },
          onError(message) { status.textContent = `live: ${message}`; },
        });
      }
    } catch (error) {
      if (mine !== drawn) return;
      series.setData([]);
      container.dataset.bars = '0';
      status.textContent = `chart: ${fmtError(error)}`;
    }
  }

  nodeSelect.addEventListener('change', () => { pickDataset(); void draw(); });
  intervalSelect.addEventListener('change', () => { defaultRange(); void draw(); });
  liveBox.addEventListener('change', () => { defaultRange(); void draw(); });
  byId<HTMLFormElement>('chart-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void draw();
  });

  return {
    setDatasets(list) {
      const first = datasets.length === 0;
      datasets = list;
      const keep = nodeSelect.value;
      nodeSelect.replaceChildren(...list.map((d) => el('option', { value: d.nodeId }, d.nodeId)));
      if (list.some((d) => d.nodeId === keep)) nodeSelect.value = keep;
      if (first && list.length > 0) {
        pickDataset();
        // Drawn at once only when bars are stored: opening the page never starts a backfill.
        if (storedLast() !== null) void draw();
        else status.textContent = `no ${intervalSelect.value} bars of ${nodeSelect.value} stored yet: choose a range and press Show (reading a range backfills it)`;
      }
    },
    draw,
    data: () => series.data() as readonly CandlestickData[],
  };
}
