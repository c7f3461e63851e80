/**
 * Rate figures of a request log (arrival times in ms): what a shared budget of `rate` requests
 * per second with `burst` achieved, and by how much it ever exceeded `burst + rate·t` in a window.
 */

export interface RateFigures {
  readonly requests: number;
  /** From the first to the last arrival, minus `excludeMs` (a pause the upstream asked for). */
  readonly spanMs: number;
  /** Sustained rate: requests beyond the initial burst per second of span. */
  readonly achievedPerSecond: number;
  /** max over windows [a_i, a_j] of (j − i + 1) − (burst + rate·(a_j − a_i)/1000); ≤ 0 means never exceeded. */
  readonly worstExcess: number;
  /** Most requests in any 1-second window. */
  readonly maxPerSecond: number;
}

export function rateFigures(arrivals: readonly number[], rate: { readonly requestsPerSecond: number; readonly burst: number }, excludeMs = 0): RateFigures {
  const a = [...arrivals].sort((x, y) => x - y);
  const n = a.length;
  const spanMs = n > 1 ? a[n - 1] - a[0] - excludeMs : 0;
  let worstExcess = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const excess = (j - i + 1) - (rate.burst + rate.requestsPerSecond * (a[j] - a[i]) / 1000);
      if (excess > worstExcess) worstExcess = excess;
    }
  }
  let maxPerSecond = 0;
  for (let i = 0, j = 0; j < n; j++) {
    while (a[j] - a[i] > 1000) i++;
    maxPerSecond = Math.max(maxPerSecond, j - i + 1);
  }
  return {
    requests: n,
    spanMs,
    achievedPerSecond: spanMs > 0 ? (n - Math.min(n, rate.burst)) / (spanMs / 1000) : 0,
    worstExcess,
    maxPerSecond,
  };
}

export function describeRate(label: string, f: RateFigures, rate: { readonly requestsPerSecond: number; readonly burst: number }): string {
  return `${label}: ${f.requests} requests in ${(f.spanMs / 1000).toFixed(2)} s → ${f.achievedPerSecond.toFixed(2)} req/s `
    + `(${(100 * f.achievedPerSecond / rate.requestsPerSecond).toFixed(1)} % of R = ${rate.requestsPerSecond}); `
    + `busiest second ${f.maxPerSecond} (limit ${rate.burst} + ${rate.requestsPerSecond}); `
    + `worst excess over burst + R·t in any window ${f.worstExcess.toFixed(2)} requests`
    + ` (= ${Math.max(0, 1000 * f.worstExcess / rate.requestsPerSecond).toFixed(1)} ms of jitter)`;
}
