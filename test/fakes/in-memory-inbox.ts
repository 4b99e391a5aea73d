export { MemoryInbox as InMemoryInbox } from '../../src/adapters/storage/memory-inbox.js';
