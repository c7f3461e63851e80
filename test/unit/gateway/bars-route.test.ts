/**
 * The bars route's encoding does not hold the event loop: a large read's body is encoded slice by
 * slice with the loop turning in between, so `/readyz` answers while the read is still being
 * encoded, and the bytes on the wire are exactly those of the one-shot encoders. The route runs
 * in a bare fastify app over a fake of the facade's `fetch` (our own interface) that hands back
 * an in-memory frame, so only the route's own work is measured.
 */
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createFrame, encodeColumnarJson, encodeCsv, OHLCV_SCHEMA } from '../../../src/core/index.js';
import type { Frame } from '../../../src/core/index.js';
import type { ReadMetadata } from '../../../src/provider/index.js';
import type { Seamless } from '../../../src/app/index.js';
import { barsRoutes } from '../../../src/gateway/internal.js';
import { healthRoutes } from '../../../src/gateway/internal.js';
import { STREAM_MIN_ROWS } from '../../../src/gateway/internal.js';
import { createMetrics, createTracing } from '../../../src/observability/index.js';

/** Enough rows for dozens of slices (about 100 ms of encoding in one go). */
const LARGE_ROWS = 100_000;

function ohlcvFrame(rows: number): Frame {
  const ts = new Float64Array(rows);
  const values = OHLCV_SCHEMA.columns.map(() => new Float64Array(rows));
  for (let i = 0; i < rows; i++) {
    ts[i] = 1_704_067_200_000 + i * 60_000;
    for (let c = 0; c < values.length; c++) values[c][i] = 40_000 + Math.sin(i + c) * 1_000 + i / 7;
  }
  // Values JSON has no spelling for, and one that is written `0`.
  if (rows > 3) { values[0][1] = Number.NaN; values[1][2] = Number.POSITIVE_INFINITY; values[2][3] = -0; }
  return createFrame(OHLCV_SCHEMA, ts, values);
}

function metadataOf(frame: Frame): ReadMetadata {
  const range = { start: 0, end: 1 };
  return {
    nodeId: 'ohlcv:test:ünïcode/BTC', interval: '1m', intervalMs: 60_000, strategy: 'seamless', requestedRange: range, alignedRange: range, rangeAdjusted: false,
    closedRange: range, rows: frame.length, coverageBounds: range, coverageRatio: 1, stalenessMs: null, missingRanges: [], failedRanges: [], partial: false,
    conformance: null, fingerprint: 'sha256:00', asOf: null, worldId: null, downgraded: false, downgradeMode: null, downgradeReason: null, slaViolation: null,
    backfill: null, cacheHit: true, building: null, sources: { cache: frame.length, storage: 0, backfill: 0, live: 0 }, elapsedMs: 1,
  };
}

interface TestApp {
  readonly app: FastifyInstance;
  /** Resolves when the fake read has handed its frame to the route. */
  readonly fetched: Promise<void>;
  /** Routes in the order their answers finished. */
  readonly answered: string[];
}

/** A bare app with the bars and health routes over a `fetch` that answers `frame` (and says when it did). */
async function appServing(frame: Frame): Promise<TestApp> {
  let fetchedResolve = (): void => undefined;
  const fetched = new Promise<void>((resolve) => { fetchedResolve = resolve; });
  const facade: Pick<Seamless, 'fetch' | 'tracing' | 'health' | 'storageFailure' | 'metrics'> = {
    tracing: await createTracing(),
    fetch: async () => { fetchedResolve(); return { frame, metadata: metadataOf(frame) }; },
    storageFailure: () => undefined,
    health: async () => ({}),
    metrics: createMetrics({ defaultMetrics: false }),
  };
  const app = Fastify();
  const answered: string[] = [];
  app.addHook('onResponse', async (request) => { answered.push(request.routeOptions.url ?? 'unmatched'); });
  barsRoutes(app, facade);
  healthRoutes(app, facade, () => true);
  await app.ready();
  apps.push(app);
  return { app, fetched, answered };
}

const apps: FastifyInstance[] = [];
afterEach(async () => { for (const app of apps.splice(0)) await app.close(); });

const BARS = '/v1/bars?node=ohlcv:test:BTC&interval=1m&start=0&end=60000';

describe('bars route encoding', () => {
  it('answers /readyz while a large read is still being encoded', async () => {
    const { app, fetched, answered } = await appServing(ohlcvFrame(LARGE_ROWS));
    const bars = app.inject(BARS);
    await fetched; // the read has its frame: from here on the route only encodes and sends
    // Count the loop's turns until the read is answered; on the third, a probe asks /readyz.
    let probe: Promise<{ statusCode: number }> | undefined;
    let turns = 0;
    await new Promise<void>((resolve) => {
      const turn = (): void => {
        turns++;
        if (answered.includes('/v1/bars')) { resolve(); return; }
        if (turns === 3) probe = app.inject('/readyz');
        setImmediate(turn);
      };
      setImmediate(turn);
    });
    expect((await bars).statusCode).toBe(200);
    expect(probe, `the loop turned ${turns} times while ${LARGE_ROWS} rows were encoded: no probe could be sent`).toBeDefined();
    expect((await probe)?.statusCode).toBe(200);
    expect(answered, 'the probe is answered before the read it overtook').toEqual(['/readyz', '/v1/bars']);
  });

  it('sends exactly the bytes of the one-shot JSON encoder, with their length up to STREAM_MIN_ROWS rows and chunked above', async () => {
    for (const rows of [0, 1, 5, 4_097, 70_000]) {
      const frame = ohlcvFrame(rows);
      const { app } = await appServing(frame);
      const res = await app.inject(BARS);
      const expected = Buffer.from(`{"data":${encodeColumnarJson(frame)},"metadata":${JSON.stringify(metadataOf(frame))}}`, 'utf8');
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      if (rows <= STREAM_MIN_ROWS) expect(res.headers['content-length']).toBe(String(expected.length));
      else expect([res.headers['content-length'], res.headers['transfer-encoding']]).toEqual([undefined, 'chunked']);
      expect(res.rawPayload.equals(expected), `${rows} rows`).toBe(true);
    }
  });

  it('sends exactly the bytes of the one-shot CSV encoder, with their length up to STREAM_MIN_ROWS rows and chunked above', async () => {
    for (const rows of [0, 1, 5, 4_097, 70_000]) {
      const frame = ohlcvFrame(rows);
      const { app } = await appServing(frame);
      const res = await app.inject(`${BARS}&format=csv`);
      const expected = Buffer.from(encodeCsv(frame), 'utf8');
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      if (rows <= STREAM_MIN_ROWS) expect(res.headers['content-length']).toBe(String(expected.length));
      else expect([res.headers['content-length'], res.headers['transfer-encoding']]).toEqual([undefined, 'chunked']);
      expect(res.rawPayload.equals(expected), `${rows} rows`).toBe(true);
    }
  });
});
