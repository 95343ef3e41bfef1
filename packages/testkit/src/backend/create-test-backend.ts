import { type CertificateAuthority, type Clock, type KeyAlgorithm, MtlsError } from '@mtlskit/core';
import { startBackendServer } from '../lib/backend-server.js';
import type { BackendFaults } from './backend-faults.js';
import type {
  AgentRecord,
  AllocationRecord,
  AllocationTokenInput,
  BackendPaths,
  InstallTokenRecord,
  RequestLogEntry,
} from './types.js';

/**
 * Options of {@link createTestBackend}.
 *
 * @example
 * ```ts
 * const options: CreateTestBackendOptions = { certificateLifetimeMs: 5_000, clock: new FakeClock() };
 * ```
 */
export interface CreateTestBackendOptions {
  /** Lifetime of the client certificates it issues (register, renew, allocate). Default 1 h. Minimum 1000. */
  certificateLifetimeMs?: number;
  /** How long a minted install token can be used. Default 15 min. */
  tokenTtlMs?: number;
  /** The bearer token of the admin calls. Default: 32 random bytes, base64url. */
  adminToken?: string;
  /**
   * When set (between 0 and 1), register and renew answers carry `renew_after` at this
   * fraction of the certificate's lifetime. Default: no hint.
   */
  renewAfterFraction?: number;
  /** The backend's clock (token expiry, certificate dates). Default `systemClock`. */
  clock?: Clock;
  /** Bearer tokens accepted by the allocate and cert calls. Default none (see {@link TestBackend.mintAllocationToken}). */
  allocationTokens?: readonly AllocationTokenInput[];
  /**
   * The answer to a register with a token that a different key already used:
   * `'conflict'` (default) is `409 TOKEN_ALREADY_USED`; `'invalid'` is the same
   * `401 INVALID_INSTALL_TOKEN` as an unknown token, so that no caller, race loser or
   * not, can tell a used token from a wrong one.
   */
  tokenReuse?: 'conflict' | 'invalid';
  /**
   * How far `notBefore` of issued client certificates lies before the issuing time, for
   * clients whose clock runs a little behind. Default: a tenth of `certificateLifetimeMs`,
   * at most 60 s.
   */
  backdateMs?: number;
  /** Key type of the CA, the server certificate and allocated keys. Default `'ECDSA-P256'`. */
  keyAlgorithm?: KeyAlgorithm;
  /** Common name of the backend CA when it makes its own. Default `'mtlskit testkit CA'`. */
  caCommonName?: string;
  /**
   * A CA to use instead of a new one (to share one CA between backends, or to keep its key
   * in the test). Its validity must cover both the real time and the backend clock.
   * Default: a new P-256 CA valid from a day before now for ten years.
   */
  ca?: CertificateAuthority;
  /** Other URL paths for the calls. Default: those of docs/protocol.md. */
  paths?: Partial<BackendPaths>;
  /** Largest accepted request body. Default 64 KiB. */
  maxBodyBytes?: number;
}

/**
 * Options of {@link TestBackend.mintInstallToken}.
 *
 * @example
 * ```ts
 * const token = backend.mintInstallToken({ serviceName: 'billing', ttlMs: 60_000 });
 * ```
 */
export interface MintInstallTokenOptions {
  /** The `service_name` the token is bound to. */
  serviceName: string;
  /** The `service_type` the token is bound to. Default `'agent'`. */
  serviceType?: 'agent' | 'controller';
  /** When set, a register must send this `controller_name`. Default: not bound. */
  controllerName?: string;
  /** Default the backend's `tokenTtlMs`. */
  ttlMs?: number;
}

/**
 * A running reference backend; see {@link createTestBackend}.
 *
 * @example
 * ```ts
 * const backend: TestBackend = await createTestBackend();
 * try {
 *   // …
 * } finally {
 *   await backend.close();
 * }
 * ```
 */
export interface TestBackend {
  /** `https://127.0.0.1:<port>`, without a trailing slash. */
  readonly url: string;
  readonly port: number;
  /** The backend CA: agents pin it as their trust anchor; it issues the server and client certificates. */
  readonly caPem: string;
  /** The bearer token of the admin calls. A secret: never shown by `util.inspect` or JSON. */
  readonly adminToken: string;
  /** The URL paths of the calls. */
  readonly paths: Readonly<BackendPaths>;
  /** Fault injection. */
  readonly faults: BackendFaults;
  /** Registered identities, oldest first (snapshots). */
  readonly agents: readonly AgentRecord[];
  /** Successful registrations (a replayed answer to a retry does not count). */
  readonly registrations: number;
  /** Every call: method, path, status and error code only. */
  readonly requests: readonly RequestLogEntry[];
  /** Minted install tokens, without their secrets. */
  readonly installTokens: readonly InstallTokenRecord[];
  /** Certificates handed out by the allocate and cert calls. */
  readonly allocations: readonly AllocationRecord[];
  /** Unexpected failures behind `500` answers (a bug in the backend or the test). */
  readonly internalErrors: readonly Error[];
  /** Backend time in ms: the clock plus `faults.clockOffsetMs`. */
  now(): number;
  /** Mints an install token `<id>.<secret>` (only its hash is kept). Same as the admin call. */
  mintInstallToken(options: MintInstallTokenOptions): string;
  /** Adds an allocation token `<id>.<secret>` for `owner`, optionally limited to some pools. */
  mintAllocationToken(options: { owner: string; pools?: readonly string[] }): string;
  /** One identity by service id or agent id. */
  agent(serviceIdOrAgentId: string): AgentRecord | undefined;
  /**
   * Revokes the identities with this service id or agent id: their renew and heartbeat
   * calls get `403 IDENTITY_REVOKED`. Throws `ERR_MTLS_TESTKIT_UNKNOWN_IDENTITY` when none match.
   */
  revoke(serviceIdOrAgentId: string): void;
  /** Stops listening and destroys every open connection. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a reference backend of the mtlskit enrollment protocol (docs/protocol.md): a
 * real HTTPS server on 127.0.0.1 (ephemeral port, HTTP/1.1) with its own dev CA, which
 * mints install tokens, registers agents, renews their certificates, takes heartbeats,
 * allocates certificates and revokes identities, with fault injection for the unhappy
 * paths. Meant for tests: everything lives in memory and ends with `close()`.
 *
 * @example
 * ```ts
 * import { createTestBackend } from '@mtlskit/testkit';
 * const backend = await createTestBackend({ certificateLifetimeMs: 5_000 });
 * const installToken = backend.mintInstallToken({ serviceName: 'billing' });
 * // point the agent at backend.url, pin backend.caPem, give it installToken …
 * backend.faults.rateLimit('renew', { retryAfterMs: 1000 });
 * expect(backend.agents[0]?.lastHeartbeat?.status).toBe('healthy');
 * await backend.close();
 * ```
 */
export async function createTestBackend(options: CreateTestBackendOptions = {}): Promise<TestBackend> {
  if (options === null || typeof options !== 'object')
    throw new MtlsError('ERR_MTLS_INVALID_ARGUMENT', 'createTestBackend: options must be an object.');
  // Every other option is checked by createRegistrationService, which the backend runs.
  return startBackendServer(options);
}
