import { randomBytes } from 'node:crypto';
import {
  type CertificateAuthority,
  type Clock,
  type KeyAlgorithm,
  MtlsError,
  systemClock,
} from '@mtlskit/core';
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

const DEFAULT_PATHS: BackendPaths = {
  installTokens: '/api/v1/install-tokens',
  register: '/api/v1/register',
  renew: '/api/v1/renew',
  heartbeat: '/api/v1/agent/heartbeat',
  allocate: '/api/v1/worker/allocate',
  cert: '/api/v1/cert',
  revoke: '/api/v1/admin/revoke',
};

function invalid(message: string): MtlsError {
  return new MtlsError('ERR_MTLS_INVALID_ARGUMENT', message);
}

function positive(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min)
    throw invalid(`createTestBackend: ${name} must be a number of milliseconds ≥ ${min}.`);
  return value;
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
    throw invalid('createTestBackend: options must be an object.');
  const certificateLifetimeMs = positive(
    'certificateLifetimeMs',
    options.certificateLifetimeMs,
    3_600_000,
    1000,
  );
  const tokenTtlMs = positive('tokenTtlMs', options.tokenTtlMs, 900_000);
  const f = options.renewAfterFraction;
  if (f !== undefined && !(typeof f === 'number' && f > 0 && f < 1))
    throw invalid('createTestBackend: renewAfterFraction must be between 0 and 1 (exclusive).');
  const backdateMs =
    options.backdateMs === undefined
      ? Math.min(60_000, Math.floor(certificateLifetimeMs / 10))
      : positive('backdateMs', options.backdateMs, 0, 0);
  const adminToken = options.adminToken ?? randomBytes(32).toString('base64url');
  if (typeof adminToken !== 'string' || adminToken.length < 8 || /\s/.test(adminToken))
    throw invalid('createTestBackend: adminToken must be a string of at least 8 characters without spaces.');
  const tokenReuse = options.tokenReuse ?? 'conflict';
  if (tokenReuse !== 'conflict' && tokenReuse !== 'invalid')
    throw invalid('createTestBackend: tokenReuse must be "conflict" or "invalid".');
  const paths = { ...DEFAULT_PATHS, ...options.paths };
  for (const [k, p] of Object.entries(paths))
    if (typeof p !== 'string' || !p.startsWith('/'))
      throw invalid(`createTestBackend: paths.${k} must start with "/".`);
  if (new Set(Object.values(paths)).size !== Object.keys(paths).length)
    throw invalid('createTestBackend: two calls cannot share a path.');
  return startBackendServer({
    settings: {
      certificateLifetimeMs,
      tokenTtlMs,
      renewAfterFraction: f,
      backdateMs,
      tokenReuse,
      keyAlgorithm: options.keyAlgorithm ?? 'ECDSA-P256',
    },
    clock: options.clock ?? systemClock,
    adminToken,
    allocationTokens: options.allocationTokens ?? [],
    caCommonName: options.caCommonName ?? 'mtlskit testkit CA',
    ca: options.ca,
    paths,
    maxBodyBytes: positive('maxBodyBytes', options.maxBodyBytes, 64 * 1024),
  });
}
