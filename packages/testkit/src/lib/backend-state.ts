import type { AgentRecord, AllocationRecord, HeartbeatRecord, RequestLogEntry } from '../backend/types.js';

/** One certificate an identity may authenticate with. */
export interface KnownCertificate {
  readonly agent: AgentState;
  readonly fingerprint: string;
  readonly notBefore: number;
  readonly notAfter: number;
}

/** The mutable record behind an {@link AgentRecord}. */
export interface AgentState {
  readonly serviceId: string;
  readonly agentId: string;
  readonly serviceName: string;
  readonly serviceType: 'agent' | 'controller';
  readonly controllerName: string | undefined;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly mode: 'csr' | 'certificate';
  readonly registeredAt: number;
  readonly certificates: KnownCertificate[];
  renewals: number;
  heartbeats: number;
  lastHeartbeat: HeartbeatRecord | undefined;
  revoked: boolean;
}

// Bounded so that a long soak test against one backend does not grow without end.
const MAX_LOG = 10_000;

/** Everything the backend stores: identities, the certificates they use, logs. */
export class BackendState {
  readonly agents = new Map<string, AgentState>();
  readonly byFingerprint = new Map<string, KnownCertificate>();
  readonly requests: RequestLogEntry[] = [];
  readonly allocations: AllocationRecord[] = [];
  readonly internalErrors: Error[] = [];
  registrations = 0;

  addAgent(
    agent: Omit<AgentState, 'certificates' | 'renewals' | 'heartbeats' | 'lastHeartbeat' | 'revoked'>,
  ): AgentState {
    const state: AgentState = {
      ...agent,
      certificates: [],
      renewals: 0,
      heartbeats: 0,
      lastHeartbeat: undefined,
      revoked: false,
    };
    this.agents.set(state.serviceId, state);
    return state;
  }

  addCertificate(agent: AgentState, fingerprint: string, notBefore: Date, notAfter: Date): void {
    const known = { agent, fingerprint, notBefore: notBefore.getTime(), notAfter: notAfter.getTime() };
    agent.certificates.push(known);
    this.byFingerprint.set(fingerprint, known);
  }

  /** Identities whose service id or agent id is `id`. */
  find(id: string): AgentState[] {
    const bySid = this.agents.get(id);
    if (bySid) return [bySid];
    return [...this.agents.values()].filter((a) => a.agentId === id);
  }

  log(entry: RequestLogEntry): void {
    if (this.requests.length >= MAX_LOG) this.requests.shift();
    this.requests.push(entry);
  }
}

/** A frozen copy of an agent for the public API. */
export function snapshotAgent(a: AgentState): AgentRecord {
  const last = a.certificates.at(-1);
  return Object.freeze({
    serviceId: a.serviceId,
    agentId: a.agentId,
    serviceName: a.serviceName,
    serviceType: a.serviceType,
    controllerName: a.controllerName,
    metadata: Object.freeze({ ...a.metadata }),
    mode: a.mode,
    registeredAt: new Date(a.registeredAt),
    certificateFingerprint: last?.fingerprint ?? '',
    certificateFingerprints: Object.freeze(a.certificates.map((c) => c.fingerprint)),
    notAfter: new Date(last?.notAfter ?? 0),
    renewals: a.renewals,
    heartbeats: a.heartbeats,
    lastHeartbeat: a.lastHeartbeat,
    revoked: a.revoked,
  });
}
