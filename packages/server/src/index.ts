export { ProtocolError } from './http/protocol-error.js';
export {
  type CreateRegistrationServiceOptions,
  createRegistrationService,
} from './service/create-registration-service.js';
export {
  type MintedInstallToken,
  type MintInstallTokenOptions,
  RegistrationService,
} from './service/registration-service.js';
export type {
  AllocationRecord,
  CertificateIssuer,
  RegistrationPolicy,
  RegistrationServiceEvents,
  RenewalReplacement,
  RequestLogEntry,
  RouteName,
  ServiceHooks,
  ServicePaths,
} from './service/service-types.js';
export { createMemoryStore, MemoryStore } from './store/memory-store.js';
export { type CreateRedisStoreOptions, createRedisStore, RedisStore } from './store/redis-store.js';
export type {
  ClaimResult,
  RegistrationStore,
  StoredAllocationToken,
  StoredCertificate,
  StoredHeartbeat,
  StoredIdentity,
  StoredInstallToken,
  TokenClaim,
} from './store/registration-store.js';
export { StoreUnavailableError } from './store/store-unavailable-error.js';
