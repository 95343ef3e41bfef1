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
export {
  type CreateTestWorkloadApiOptions,
  createTestWorkloadApi,
  type TestWorkloadApi,
  type WorkloadApiCall,
  type WorkloadApiFaults,
} from './workload-api/create-test-workload-api.js';
export type { TestSvidInput } from './workload-api/svid-message.js';
