/**
 * Alerts of the feeds from outside: live feed lag and disconnection, and upstream exchanges
 * answering with rate limits.
 */
import type { AlertGroup } from './alert-spec.js';
import { INTERVAL_SECONDS_RECORD } from './recording-rules.js';

const INSTANCE = 'instance="gateway-0:8080",job="seamless-gateway"';
const INSTANCE_LABELS = { instance: 'gateway-0:8080', job: 'seamless-gateway' };
/** Seconds a closed bar may arrive after its close before the feed counts as lagging. */
export const LIVE_LAG_GRACE_S = 120;

export const FEED_ALERTS: AlertGroup = {
  name: 'seamless-feeds',
  title: 'Live feeds and upstreams',
  alerts: [
    {
      alert: 'SeamlessLiveFeedLag',
      expr: `max by (node_id, interval) (seamless_live_lag_seconds)\n> on (interval) group_left ()\n(${INTERVAL_SECONDS_RECORD} + ${LIVE_LAG_GRACE_S})`,
      for: '5m',
      severity: 'ticket',
      summary: 'The live feed of {{ $labels.node_id }} {{ $labels.interval }} lags',
      description: `The newest closed live bar of {{ $labels.node_id }} {{ $labels.interval }} closed more than one interval plus ${LIVE_LAG_GRACE_S} s ago, for 5 minutes: the feed delivers late or not at all.`,
      runbook: {
        meaning: `\`seamless_live_lag_seconds\` is the time since the close of the newest closed bar the live feed delivered for a dataset. A healthy feed delivers each bar right after it closes, so the lag stays below one interval; this alert fires when it exceeds one interval plus ${LIVE_LAG_GRACE_S} s (the interval's length comes from the \`${INTERVAL_SECONDS_RECORD}\` recording rule).`,
        impact: 'Reads that reach the present wait for the live bar (up to their SLA live budget) and then answer from storage and backfill, which lags more: the freshness checks of SLA policies fail and reads are downgraded.',
        checks: [
          'Is the feed connected? `seamless health --url $GATEWAY` (the `live:FEED` checks) and `seamless_live_connected{feed="FEED"}` (SeamlessLiveFeedDisconnected).',
          'Does it deliver bars?\n  ```promql\n  sum by (feed, outcome) (rate(seamless_live_messages_total[5m]))\n  ```\n  Many `ignored` or `malformed` messages mean the mapping no longer matches what the exchange sends.',
          'Reconnects and gap recoveries: `seamless_live_reconnects_total`, `seamless_live_gap_recoveries_total{outcome}`.',
          'The `seamless.live` log lines of the feed.',
        ],
        fix: [
          'An exchange-side outage: nothing to do but wait; reads are served from backfill meanwhile, and gaps after the reconnect are backfilled and verified.',
          'A changed message format: update `live.feeds.<name>.mapping` and restart.',
          'A subscription for a symbol the exchange renamed: fix `datasets[].liveSymbol`.',
        ],
        escalation: 'Ticket to the data-platform team (#seamless-oncall); page if strategies trade on live data.',
      },
      bad: {
        name: 'the newest closed bar gets older by 10 s every minute',
        evalAt: '25m',
        series: [{ series: `seamless_live_lag_seconds{${INSTANCE},node_id="ohlcv:binance:BTC/USDT",interval="1m"}`, values: '5+10x30' }],
        fires: [{ node_id: 'ohlcv:binance:BTC/USDT', interval: '1m' }],
      },
      healthy: {
        name: 'a 1m feed within the minute and a daily feed mid-day',
        evalAt: '25m',
        series: [
          { series: `seamless_live_lag_seconds{${INSTANCE},node_id="ohlcv:binance:BTC/USDT",interval="1m"}`, values: '5 65 5 65 5 65 5 65 5 65 5 65 5 65 5 65 5 65 5 65 5 65 5 65 5 65 5 65 5' },
          { series: `seamless_live_lag_seconds{${INSTANCE},node_id="ohlcv:us-equities:ACME",interval="1d"}`, values: '40000+60x30' },
        ],
        fires: [],
      },
    },
    {
      alert: 'SeamlessLiveFeedDisconnected',
      expr: 'seamless_live_connected == 0',
      for: '2m',
      severity: 'ticket',
      summary: 'Live feed {{ $labels.feed }} on {{ $labels.instance }} is disconnected',
      description: 'Some subscription of live feed {{ $labels.feed }} on {{ $labels.instance }} has not been connected for 2 minutes; it keeps reconnecting with backoff.',
      runbook: {
        meaning: '`seamless_live_connected{feed}` is 1 while every subscription of the feed is connected. The feed reconnects by itself with backoff and jitter (`live.feeds.<name>.reconnect`); this alert says it has not succeeded for 2 minutes.',
        impact: 'No live bars: reads reaching the present are served from storage and backfill (staler); SeamlessLiveFeedLag follows.',
        checks: [
          '`seamless health --url $GATEWAY`: the `live:FEED` check says what failed.',
          'Reconnect attempts:\n  ```promql\n  sum by (feed) (increase(seamless_live_reconnects_total[15m]))\n  ```',
          'The `seamless.live` log lines (connection errors, close codes) and whether the host can reach the exchange at all.',
        ],
        fix: [
          'An exchange or network outage: wait; missed bars are backfilled after the reconnect.',
          'A changed endpoint or subscribe message: update `live.feeds.<name>.url` or `live.feeds.<name>.subscribe` and restart.',
        ],
        escalation: 'Ticket to the data-platform team (#seamless-oncall).',
      },
      bad: {
        name: 'the feed drops and does not come back',
        evalAt: '15m',
        series: [{ series: `seamless_live_connected{${INSTANCE},feed="binance"}`, values: '1x5 0x20' }],
        fires: [{ ...INSTANCE_LABELS, feed: 'binance' }],
      },
      healthy: {
        name: 'a reconnect within a minute',
        evalAt: '15m',
        series: [{ series: `seamless_live_connected{${INSTANCE},feed="binance"}`, values: '1x5 0 1x14' }],
        fires: [],
      },
    },
    {
      alert: 'SeamlessUpstreamRateLimited',
      expr: 'sum by (upstream) (increase(seamless_upstream_rate_limited_total[15m])) > 5',
      for: '5m',
      severity: 'ticket',
      summary: 'Upstream {{ $labels.upstream }} keeps answering with rate limits',
      description: 'More than 5 rate-limit answers (429 / RateLimitExceeded) from {{ $labels.upstream }} in 15 minutes: the configured request budget is above what the exchange grants.',
      runbook: {
        meaning: 'Every rate-limit answer pauses the whole upstream budget (shared by every worker) for its Retry-After. A few are normal; a steady stream means the budget (`sources.<name>.rateLimit`) is set above what the exchange grants this IP or key, or another client shares the quota.',
        impact: 'Backfill from the exchange slows down (each 429 pauses every worker), reads burn their backfill budget, and an exchange may ban the IP after repeated violations.',
        checks: [
          'Rate limits and requests:\n  ```promql\n  sum by (upstream, outcome) (rate(seamless_upstream_requests_total[5m]))\n  ```',
          'The budget and its pauses: `curl -s $GATEWAY/v1/upstreams` and `seamless health --url $GATEWAY` (the `upstream:NAME` check: budget, waiting, rate-limit pauses).',
          'Other clients of the same key or IP.',
        ],
        fix: [
          'Lower `sources.<name>.rateLimit.requestsPerSecond` (and `burst`) below the exchange\'s limit and restart; with several gateways or workers the budget is shared through the coordinator or etcd, so one value holds for all.',
        ],
        escalation: 'Ticket to the data-platform team (#seamless-oncall).',
      },
      bad: {
        name: 'a 429 every minute',
        evalAt: '20m',
        series: [{ series: `seamless_upstream_rate_limited_total{${INSTANCE},upstream="binance"}`, values: '0+1x30' }],
        fires: [{ upstream: 'binance' }],
      },
      healthy: {
        name: 'one 429',
        evalAt: '20m',
        series: [{ series: `seamless_upstream_rate_limited_total{${INSTANCE},upstream="binance"}`, values: '0x10 1x20' }],
        fires: [],
      },
    },
  ],
};
