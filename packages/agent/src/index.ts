export type {
  AgentCallOptions,
  AgentCounters,
  AgentEvents,
  AgentHeartbeatOptions,
  AgentRenewalOptions,
  AgentState,
  AgentStatus,
  CreateAgentOptions,
  HeartbeatMetrics,
  LoggerLike,
  RetryEvent,
} from './agent/agent-types.js';
export { createAgent } from './agent/create-agent.js';
export { type AgentEventListeners, MtlsAgent } from './agent/mtls-agent.js';
export {
  type AllocationEnrollmentOptions,
  allocationEnrollment,
} from './enrollment/allocation-enrollment.js';
export { type CfsslEnrollmentOptions, cfsslEnrollment } from './enrollment/cfssl-enrollment.js';
export type {
  AgentMetadata,
  BackendAnswer,
  EnrollmentContext,
  EnrollmentResult,
  EnrollmentStrategy,
  PostJsonOptions,
} from './enrollment/enrollment-strategy.js';
export { idempotencyKey, idempotencyKeyOfCsr } from './enrollment/idempotency-key.js';
export {
  type InstallTokenEnrollmentOptions,
  installTokenEnrollment,
} from './enrollment/install-token-enrollment.js';
export { AGENT_ERROR_CODES, type AgentErrorCode } from './errors/agent-error-codes.js';
export { AGENT_CHANNELS } from './observability/agent-channels.js';
export type {
  CredentialStore,
  PendingKey,
  StoredIdentity,
  StoredRevocation,
} from './store/credential-store.js';
export { FileStore, type FileStoreOptions } from './store/file-store.js';
export { MemoryStore, type MemoryStoreOptions } from './store/memory-store.js';
