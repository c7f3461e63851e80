// The internal door of engines/etcd, for tests and benches only (ARCHITECTURE.md §2): the names they
// check that no other folder of src/ needs. No folder of src/ imports it.
export { retryUnavailable } from './etcd-retry.js';
export { checkEtcdQuorum } from './etcd-quorum.js';
