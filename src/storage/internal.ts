// The internal door of storage, for tests and benches only (ARCHITECTURE.md §2): the names they
// check that no other folder of src/ needs. No folder of src/ imports it.
export { mergeCoverage, overlayCoverage } from './coverage-algebra.js';
