// The internal door of sla, for tests and benches only (ARCHITECTURE.md §2): the names they
// check that no other folder of src/ needs. No folder of src/ imports it.
export { parseSlaPolicy } from './parse-policy.js';
export { globsOverlap } from './glob.js';
