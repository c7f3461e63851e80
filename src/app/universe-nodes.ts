/**
 * The node ids of a universe read: given (`nodes`) or a configured universe's (`universe`, config
 * `universes`), never both; an unknown universe name is refused naming `universe` and listing the
 * configured ones.
 */
import { InvalidRequestError } from '../core/index.js';
import type { SeamlessConfig } from '../config/index.js';
import type { UniverseFetch } from '../gateway/index.js';
import type { UniverseRequest } from '../provider/index.js';

export function universeRequest(config: SeamlessConfig, request: UniverseFetch): UniverseRequest {
  if (request === null || typeof request !== 'object') throw new InvalidRequestError('request', 'must be an object');
  const { universe, nodes, ...rest } = request;
  if (universe === undefined) return { ...rest, nodes: nodes ?? [] };
  if (nodes !== undefined) throw new InvalidRequestError('universe', 'give either nodes or a universe name, not both');
  const named = Object.hasOwn(config.universes, universe) ? config.universes[universe] : undefined;
  if (named === undefined) {
    const known = Object.keys(config.universes);
    throw new InvalidRequestError('universe', `unknown universe "${universe}"; ${known.length === 0 ? 'none is configured (config key universes)' : `configured: ${known.join(', ')}`}`, { universe });
  }
  return { ...rest, nodes: named };
}
