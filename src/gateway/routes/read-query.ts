/**
 * What the read routes share: the query of GET /v1/bars and GET /v1/bars/estimate past the node
 * (`READ_QUERY`: range, format, strategy, flags, world, domain, as-of, align, fill), and one mapping
 * of a read's fields, from that query or from POST /v1/bars/query's body, to the provider's request.
 */
import { DOMAINS, STRATEGIES } from '../../provider/index.js';
import type { FetchRequest } from '../../provider/index.js';
import { booleanQuery, enumQuery, optionalQuery, requiredQuery } from '../route-schemas.js';

export const FORMATS = ['json', 'csv', 'arrow'] as const;

/** The read's query parameters after the node (in the order their 400s are checked). */
export const READ_QUERY = {
  interval: requiredQuery('interval', '1m'),
  start: requiredQuery('start', '2024-01-01T00:00:00Z'),
  end: requiredQuery('end', '2024-01-02T00:00:00Z'),
  format: enumQuery(FORMATS),
  strategy: enumQuery(STRATEGIES),
  partial_ok: booleanQuery,
  include_building: booleanQuery,
  as_of: optionalQuery,
  world: optionalQuery,
  domain: enumQuery(DOMAINS),
  align: optionalQuery,
  fill: optionalQuery,
};

/** A read's fields with the names of POST /v1/bars/query's body (the provider's, but world, domain, asOf flat). */
export interface ReadFields extends Pick<FetchRequest, 'interval' | 'start' | 'end' | 'strategy' | 'partialOk' | 'includeBuilding' | 'align' | 'fill'> {
  readonly world?: string;
  readonly domain?: (typeof DOMAINS)[number];
  readonly asOf?: string | number;
}

interface ReadQueryFields extends Omit<ReadFields, 'partialOk' | 'includeBuilding' | 'asOf'> {
  readonly partial_ok?: boolean;
  readonly include_building?: boolean;
  readonly as_of?: string;
}

/** The query's snake_case parameters under the body's names. */
export function readFieldsOfQuery(q: ReadQueryFields): ReadFields {
  return { ...q, partialOk: q.partial_ok, includeBuilding: q.include_building, asOf: q.as_of };
}

/** The range of a read and the shape of its buckets (all an estimate takes). */
export function readRange(f: ReadFields): Pick<FetchRequest, 'interval' | 'start' | 'end' | 'align' | 'fill'> {
  return {
    interval: f.interval, start: f.start, end: f.end,
    ...(f.align !== undefined ? { align: f.align } : {}),
    ...(f.fill !== undefined ? { fill: f.fill } : {}),
  };
}

/** The provider's request for a read's fields (no node, signal or caller: the route adds those). */
export function readRequest(f: ReadFields): Omit<FetchRequest, 'nodeId'> {
  return {
    ...readRange(f),
    strategy: f.strategy,
    partialOk: f.partialOk,
    includeBuilding: f.includeBuilding,
    context: {
      ...(f.world !== undefined ? { worldId: f.world } : {}),
      ...(f.domain !== undefined ? { domain: f.domain } : {}),
      ...(f.asOf !== undefined ? { asOf: f.asOf } : {}),
    },
  };
}
