export { BackendFaults, type BadRenewal, type StatusFaultOptions } from './backend/backend-faults.js';
export {
  type CreateTestBackendOptions,
  createTestBackend,
  type MintInstallTokenOptions,
  type TestBackend,
} from './backend/create-test-backend.js';
export type {
  AgentRecord,
  AllocationRecord,
  AllocationTokenInput,
  BackendPaths,
  HeartbeatRecord,
  InstallTokenRecord,
  RequestLogEntry,
  RouteName,
} from './backend/types.js';
export { type CreateTestPkiOptions, createTestPki, type TestPki } from './pki/create-test-pki.js';
