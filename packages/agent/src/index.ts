export { idempotencyKey, idempotencyKeyOfCsr } from './enrollment/idempotency-key.js';
export type { CredentialStore, PendingKey, StoredIdentity } from './store/credential-store.js';
export { FileStore, type FileStoreOptions } from './store/file-store.js';
export { MemoryStore, type MemoryStoreOptions } from './store/memory-store.js';
