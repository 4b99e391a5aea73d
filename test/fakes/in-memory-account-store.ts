// The node runs the in-memory store itself without a data dir; tests keep the fake's name for it.
export { MemoryAccountStore as InMemoryAccountStore } from '../../src/adapters/storage/memory-account-store.js';
