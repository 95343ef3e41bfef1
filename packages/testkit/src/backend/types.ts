import type {
  AllocationRecord as ServerAllocationRecord,
  RequestLogEntry as ServerRequestLogEntry,
  RouteName as ServerRouteName,
  ServicePaths,
} from '@mtlskit/server';

/**
 * The calls of the protocol, as named in fault injection and the request log.
 *
 * @example
 * ```ts
 * const route: RouteName = 'renew';
 * backend.faults.rateLimit(route);
 * ```
 */
export type RouteName = ServerRouteName;

/**
 * The URL paths of the calls. Defaults follow docs/protocol.md.
 *
 * @example
 * ```ts
 * const backend = await createTestBackend({ paths: { register: '/enroll' } });
 * console.log(backend.paths.renew); // '/api/v1/renew'
 * ```
 */
export type BackendPaths = ServicePaths;

/**
 * The last heartbeat an agent sent.
 *
 * @example
 * ```ts
 * expect(backend.agent('agent-1')?.lastHeartbeat?.status).toBe('healthy');
 * ```
 */
export interface HeartbeatRecord {
  /** When the backend received it (backend time, clock offset included). */
  readonly receivedAt: Date;
  readonly status: 'healthy' | 'degraded' | 'unhealthy';
  /** The `timestamp` the agent sent, verbatim. */
  readonly timestamp: string | number;
  readonly metrics: {
    readonly cpu_usage?: number;
    readonly memory_usage?: number;
    readonly disk_usage?: number;
  };
}

/**
 * A registered agent as the backend sees it (a snapshot: later changes do not show here).
 *
 * @example
 * ```ts
 * const [agent] = backend.agents;
 * expect(agent?.renewals).toBe(3);
 * ```
 */
export interface AgentRecord {
  readonly serviceId: string;
  /** `metadata.agent_id` of the register call. */
  readonly agentId: string;
  readonly serviceName: string;
  readonly serviceType: 'agent' | 'controller';
  readonly controllerName: string | undefined;
  /** The `metadata` object of the register call. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** `'csr'` when the backend signed the agent's CSR, `'certificate'` when it pinned an agent-supplied certificate. */
  readonly mode: 'csr' | 'certificate';
  readonly registeredAt: Date;
  /** SHA-256 fingerprint (OpenSSL colon form) of the newest certificate. */
  readonly certificateFingerprint: string;
  /** Fingerprints of every certificate this identity was given or registered, oldest first. */
  readonly certificateFingerprints: readonly string[];
  readonly notAfter: Date;
  readonly renewals: number;
  readonly heartbeats: number;
  readonly lastHeartbeat: HeartbeatRecord | undefined;
  readonly revoked: boolean;
}

/**
 * One line of `TestBackend.requests`: never a body, header, token or key.
 *
 * @example
 * ```ts
 * const dropped = backend.requests.filter((r) => r.dropped);
 * ```
 */
export type RequestLogEntry = ServerRequestLogEntry;

/**
 * An install token as the backend keeps it: no secret, only what tests need to look at.
 *
 * @example
 * ```ts
 * expect(backend.installTokens.every((t) => t.used)).toBe(true);
 * ```
 */
export interface InstallTokenRecord {
  /** The public half of `<id>.<secret>`. */
  readonly id: string;
  readonly serviceName: string;
  readonly serviceType: 'agent' | 'controller';
  readonly controllerName: string | undefined;
  readonly expiresAt: Date;
  readonly used: boolean;
  /** The service id the token registered, once it was used. */
  readonly serviceId: string | undefined;
}

/**
 * A certificate handed out by the allocate or cert call.
 *
 * @example
 * ```ts
 * expect(backend.allocations[0]?.commonName).toMatch(/^alloc:/);
 * ```
 */
export type AllocationRecord = ServerAllocationRecord;

/**
 * An allocation (bearer) token the backend accepts on the allocate and cert calls.
 *
 * @example
 * ```ts
 * await createTestBackend({ allocationTokens: [{ token: 'tok1.s3cret', owner: 'alice', pools: ['gpu'] }] });
 * ```
 */
export interface AllocationTokenInput {
  /**
   * The bearer token. In the form `<id>.<secret>` the id is what goes into the allocate
   * certificate's CN (`alloc:<id>`); a token without a dot is its own id, which then ends
   * up in the certificate (the convention of gateways that match `CN=alloc:<token>`).
   */
  readonly token: string;
  /** Whose token it is: the CN of certificates from the cert call. */
  readonly owner: string;
  /** Pools this token may allocate from. Default: any pool. */
  readonly pools?: readonly string[];
}
