/**
 * Errors the read path raises beyond core's catalogue.
 */
import { NotFoundError, formatInterval } from '../core/index.js';

/** No dataset (nodeId, interval) is configured or stored. Code `not_found` (404). */
export class UnknownDatasetError extends NotFoundError {
  constructor(readonly nodeId: string, readonly intervalMs: number) {
    super('dataset', `${nodeId} ${formatInterval(intervalMs)}`, { field: 'node', nodeId, interval: formatInterval(intervalMs) });
    this.message = `node: no dataset "${nodeId}" with interval ${formatInterval(intervalMs)} is configured or stored (GET /v1/datasets lists them)`;
    this.name = 'UnknownDatasetError';
  }
}
