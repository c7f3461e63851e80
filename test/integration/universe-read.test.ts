// Universe reads through a real gateway (in process, demo datasets): POST /v1/bars/query and
// GET /v1/bars with node repeated or universe=NAME, in JSON, CSV and Arrow, with failures per dataset.
import { DataType, tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { gatewayForSuite } from '../helpers/in-process-gateway.js';

const BTC = 'ohlcv:demo:BTC-USD';
const ETH = 'ohlcv:demo:ETH-USD';
const DEFECTS = 'ohlcv:demo:DEFECTS';
const HOUR = { interval: '1m', start: '2024-01-01T00:00:00Z', end: '2024-01-01T01:00:00Z' };
const HOUR_QS = 'interval=1m&start=2024-01-01T00:00:00Z&end=2024-01-01T01:00:00Z';

interface UniverseJson {
  data: Record<string, (string | number)[]>;
  metadata: { rows: number; failed: string[]; datasetCount: number; datasets: Record<string, { rows?: number; fingerprint?: string; error?: { code: string; message: string; details: Record<string, unknown> } }> };
}
interface ErrorJson { error: { code: string; message: string; details: Record<string, unknown> } }

describe('universe reads over HTTP', () => {
  const gateway = gatewayForSuite((dataDir) => ({ overrides: { dataDir, universes: { 'crypto-majors': [BTC, ETH] } } }));
  const post = (body: unknown, accept?: string) => fetch(`${gateway.url}/v1/bars/query`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...(accept ? { accept } : {}) }, body: JSON.stringify(body),
  });

  it('answers many datasets as one long JSON answer, each span equal to its single read', async () => {
    const res = await post({ nodes: [ETH, BTC], ...HOUR });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-seamless-datasets')).toBe('2');
    const body = await res.json() as UniverseJson;
    expect(Object.keys(body.data)).toEqual(['node', 'ts', 'open', 'high', 'low', 'close', 'volume']);
    expect(body.data.node).toEqual([...Array<string>(60).fill(ETH), ...Array<string>(60).fill(BTC)]);
    expect(body.metadata).toMatchObject({ rows: 120, failed: [], datasetCount: 2 });
    const single = await (await fetch(`${gateway.url}/v1/bars?node=${BTC}&${HOUR_QS}`)).json() as { data: Record<string, number[]>; metadata: { fingerprint: string } };
    expect(body.data.close.slice(60)).toEqual(single.data.close);
    expect(body.metadata.datasets[BTC]).toMatchObject({ rows: 60, fingerprint: single.metadata.fingerprint });
  });

  it('answers GET /v1/bars with node repeated, and a single node exactly as before', async () => {
    const many = await (await fetch(`${gateway.url}/v1/bars?node=${BTC}&node=${ETH}&${HOUR_QS}`)).json() as UniverseJson;
    expect(many.metadata.rows).toBe(120);
    expect(many.data.node[0]).toBe(BTC);
    const one = await (await fetch(`${gateway.url}/v1/bars?node=${BTC}&${HOUR_QS}`)).json() as { data: Record<string, number[]>; metadata: Record<string, unknown> };
    expect(Object.keys(one.data)).toEqual(['ts', 'open', 'high', 'low', 'close', 'volume']);
    expect(one.metadata).toMatchObject({ nodeId: BTC, rows: 60 });
  });

  it('derives coarser intervals and fills per dataset, each span equal to its single read; a bad fill or align is one 400', async () => {
    const qs = 'interval=1h&start=2024-01-01T00:00:00Z&end=2024-01-01T03:00:00Z&fill=prev';
    const many = await (await fetch(`${gateway.url}/v1/bars?node=${BTC}&node=${ETH}&${qs}`)).json() as UniverseJson & { metadata: { datasets: Record<string, { resample?: { baseInterval: string } }> } };
    expect(many.metadata.rows).toBe(6);
    expect(many.metadata.datasets[BTC].resample?.baseInterval).toBe('1m');
    const single = await (await fetch(`${gateway.url}/v1/bars?node=${ETH}&${qs}`)).json() as { data: Record<string, number[]> };
    expect(many.data.open.slice(3)).toEqual(single.data.open);
    const badFill = await post({ nodes: [BTC, ETH], ...HOUR, fill: 'sideways' });
    expect(badFill.status).toBe(400);
    expect((await badFill.json() as ErrorJson).error.details).toMatchObject({ field: 'fill' });
    const badZone = await fetch(`${gateway.url}/v1/bars?node=${BTC}&node=${ETH}&interval=1d&start=2024-01-01&end=2024-01-03&align=Mars/Olympus`);
    expect(badZone.status).toBe(400);
    expect((await badZone.json() as ErrorJson).error.details).toMatchObject({ field: 'align' });
  });

  it('reads a configured universe by name, and refuses an unknown name naming universe', async () => {
    const named = await (await fetch(`${gateway.url}/v1/bars?universe=crypto-majors&${HOUR_QS}`)).json() as UniverseJson;
    expect(Object.keys(named.metadata.datasets)).toEqual([BTC, ETH]);
    const unknown = await post({ universe: 'nope', ...HOUR });
    expect(unknown.status).toBe(400);
    const err = await unknown.json() as ErrorJson;
    expect(err.error).toMatchObject({ code: 'invalid_request', details: { field: 'universe' } });
    expect(err.error.message).toContain('crypto-majors');
  });

  it('serves Arrow with node as a dictionary column, and CSV with a leading node column', async () => {
    const arrow = await post({ nodes: [BTC, ETH], ...HOUR, format: 'arrow' });
    expect(arrow.headers.get('content-type')).toBe('application/vnd.apache.arrow.stream');
    const table = tableFromIPC(new Uint8Array(await arrow.arrayBuffer()));
    expect(table.numRows).toBe(120);
    expect(DataType.isDictionary(table.schema.fields[0].type)).toBe(true);
    const nodes = table.getChild('node')?.toArray() as string[];
    expect(nodes[0]).toBe(BTC);
    expect(nodes[119]).toBe(ETH);
    const meta = JSON.parse(table.schema.metadata.get('seamless.metadata') ?? '{}') as UniverseJson['metadata'];
    expect(meta.rows).toBe(120);
    const csv = await (await post({ nodes: [BTC, ETH], ...HOUR }, 'text/csv')).text();
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toBe('node,ts,open,high,low,close,volume');
    expect(lines).toHaveLength(121);
    expect(lines[61].startsWith(`${ETH},`)).toBe(true);
  });

  it('reports a blocked and an unknown dataset in their own metadata and answers the good one', async () => {
    const res = await post({ nodes: [BTC, DEFECTS, 'ohlcv:demo:NOPE'], ...HOUR });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-seamless-failed-datasets')).toBe('2');
    const body = await res.json() as UniverseJson;
    expect(body.metadata.failed).toEqual([DEFECTS, 'ohlcv:demo:NOPE']);
    expect(body.metadata.datasets[DEFECTS].error?.code).toBe('conformance_blocked');
    expect(body.metadata.datasets['ohlcv:demo:NOPE'].error).toMatchObject({ code: 'not_found' });
    expect(body.data.node).toEqual(Array<string>(60).fill(BTC));
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toContain('seamless_universe_datasets_total{outcome="failed",code="conformance_blocked"}');
  });

  it('fails the whole read with allOrNothing (and all_or_nothing), with the first error and the failed nodes', async () => {
    const res = await post({ nodes: [BTC, 'ohlcv:demo:NOPE'], ...HOUR, allOrNothing: true });
    expect(res.status).toBe(404);
    const err = await res.json() as ErrorJson;
    expect(err.error).toMatchObject({ code: 'not_found', details: { node: 'ohlcv:demo:NOPE', failedNodes: ['ohlcv:demo:NOPE'] } });
    const get = await fetch(`${gateway.url}/v1/bars?node=${BTC}&node=ohlcv:demo:NOPE&${HOUR_QS}&all_or_nothing=true`);
    expect(get.status).toBe(404);
  });

  it('refuses 10,001 node ids, a repeated node, a bad field and both nodes and universe, naming the field', async () => {
    const many = Array.from({ length: 10_001 }, (_, i) => `ohlcv:demo:X${i}`);
    const cases: [unknown, string][] = [
      [{ nodes: many, ...HOUR }, 'nodes'],
      [{ nodes: [BTC, BTC], ...HOUR }, 'nodes[1]'],
      [{ nodes: [], ...HOUR }, 'nodes'],
      [{ ...HOUR }, 'nodes'],
      [{ nodes: [BTC], ...HOUR, format: 'xml' }, 'format'],
      [{ nodes: [BTC], ...HOUR, interval: '7q' }, 'interval'],
      [{ nodes: [BTC], ...HOUR, colour: 'red' }, 'colour'],
      [{ nodes: [BTC], universe: 'crypto-majors', ...HOUR }, 'universe'],
    ];
    for (const [body, field] of cases) {
      const res = await post(body);
      expect(res.status, field).toBe(400);
      const err = await res.json() as ErrorJson;
      expect(err.error.code).toBe('invalid_request');
      expect(err.error.details.field, JSON.stringify(err.error)).toBe(field);
    }
    const twice = await fetch(`${gateway.url}/v1/bars?node=${BTC}&node=${BTC}&${HOUR_QS}`);
    expect(((await twice.json()) as ErrorJson).error.details.field).toBe('node[1]');
  });
});
