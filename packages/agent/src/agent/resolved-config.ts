import type { Clock, KeyAlgorithm, MtlsError } from '@mtlskit/core';
import type { EnrollmentStrategy } from '../enrollment/enrollment-strategy.js';
import type { Log } from '../lib/agent-logger.js';
import type { BackendTls } from '../lib/backend-http.js';
import type { Redactor } from '../lib/redactor.js';
import type { CredentialStore } from '../store/credential-store.js';
import type { AgentHeartbeatOptions, AgentRenewalOptions } from './agent-types.js';

/** Everything {@link createAgent} resolved from its options. @internal */
export interface ResolvedAgentConfig {
  backendUrl: URL;
  trustAnchorsPem: string;
  tls: BackendTls;
  installToken: string | undefined;
  installTokenFile: string | undefined;
  serviceName: string;
  serviceType: 'agent' | 'controller';
  controllerName: string | undefined;
  metadata: Record<string, unknown>;
  store: CredentialStore;
  /** Where a FileStore created by createAgent sends its warnings; set by the agent. */
  storeWarnings: { sink: ((w: MtlsError) => void) | undefined };
  /** The state directory, when createAgent made the store. */
  stateDir: string | undefined;
  strategy: EnrollmentStrategy;
  keyAlgorithm: KeyAlgorithm;
  renewal: Required<Omit<AgentRenewalOptions, 'random'>> & { random: () => number };
  heartbeat: Required<Omit<AgentHeartbeatOptions, 'metrics' | 'status'>> &
    Pick<AgentHeartbeatOptions, 'metrics' | 'status'>;
  clock: Clock;
  log: Log;
  redactor: Redactor;
  requestTimeoutMs: number;
  maxResponseBytes: number;
  maxClockSkewMs: number;
  wallClockCheckMs: number;
  keepProcessAlive: boolean;
  allowExpiredCredentials: boolean;
}
