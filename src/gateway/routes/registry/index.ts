// The door of the registry routes: the `/registry` plugin and its Confluent error mapping.
export { registryRoutes, REGISTRY_PREFIX } from './registry-routes.js';
export { confluentError, CONFLUENT_CODES, CONFLUENT_CONTENT_TYPE } from './confluent-errors.js';

export type { ConfluentErrorBody } from './confluent-errors.js';
