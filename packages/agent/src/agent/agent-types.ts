import type { Clock, Credentials, KeyAlgorithm, MtlsError } from '@mtlskit/core';
import type { EnrollmentStrategy } from '../enrollment/enrollment-strategy.js';
import type { LoggerLike } from '../lib/agent-logger.js';
import type { HeartbeatMetrics } from '../lib/system-metrics.js';
import type { CredentialStore } from '../store/credential-store.js';

export type { LoggerLike } from '../lib/agent-logger.js';
export type { HeartbeatMetrics } from '../lib/system-metrics.js';

/** Life-cycle states of an {@link MtlsAgent}. */
export type AgentState = 'idle' | 'enrolling' | 'active' | 'renewing' | 'expired' | 'revoked' | 'closed';

/** Renewal options. */
export interface AgentRenewalOptions {
  /** Share of the lifetime after which to renew. Default `2/3`. */
  fraction?: number;
  /** Largest share of the lifetime taken off the renewal point at random. Default `0.1`. */
  jitter?: number;
  /** First retry delay ceiling, ms. Default `1000`. */
  initialDelayMs?: number;
  /** Largest retry delay ceiling, ms. Default `300_000`. */
  maxDelayMs?: number;
  /** A retry never waits longer than this share of the time left before expiry. Default `0.1`. */
  remainingFraction?: number;
  /** `expiring` fires when this share of the lifetime is left and no renewal succeeded. Default `0.2`. */
  expiringFraction?: number;
  /**
   * When the certificate expired anyway: try to enroll again with the configured install
   * token (if any) before emitting `reenrollment-required`. Default `true`.
   */
  reenrollOnExpiry?: boolean;
  /** Random source in [0, 1) for jitter (tests). Default `Math.random`. */
  random?: () => number;
}

/** Heartbeat options. */
export interface AgentHeartbeatOptions {
  /** Default `true`; `false` when no `backendUrl` is given (a strategy with its own server). */
  enabled?: boolean;
  /** Interval between heartbeats, ms. Default `60_000`. */
  intervalMs?: number;
  /** Each interval is shortened or lengthened by up to this share at random. Default `0.1`. */
  jitter?: number;
  /** Path of the heartbeat call. Default `'/api/v1/agent/heartbeat'`. */
  path?: string;
  /** The reported status. Default `() => 'healthy'`. */
  status?: () => 'healthy' | 'degraded' | 'unhealthy' | Promise<'healthy' | 'degraded' | 'unhealthy'>;
  /** The reported metrics. Default: CPU, memory and disk usage read from the OS. */
  metrics?: () => HeartbeatMetrics | Promise<HeartbeatMetrics>;
  /** File system whose usage is reported as `disk_usage`. Default `stateDir`, else `/`. */
  diskPath?: string;
}

/** Options of {@link createAgent}. */
export interface CreateAgentOptions {
  /**
   * Base URL of the backend, `https:` (see `dangerouslyAllowInsecureHttp`). Required, unless
   * the `enrollment` strategy brings its own server (`strategy.backendUrl`, e.g.
   * `cfsslEnrollment`); heartbeats are then off by default, as there is no backend to send them to.
   */
  backendUrl?: string | URL;
  /** PEM of the CA(s) the backend's server certificate must chain to; the only roots trusted. Required. */
  trustAnchors: string;
  /** base64 SHA-256 of the backend's SPKI (or several): narrows trust to those keys. Default: none. */
  spkiPin?: string | readonly string[];
  /** The one-time install token. A secret. Use this or `installTokenFile`. */
  installToken?: string;
  /** File holding the install token, read only when enrollment needs it. */
  installTokenFile?: string;
  /** `service_name` of the register call; also the CSR's CN. Required. */
  serviceName: string;
  /** Default `'agent'`. */
  serviceType?: 'agent' | 'controller';
  /** `controller_name` of the register call. Default: none. */
  controllerName?: string;
  /**
   * Merged into the register call's `metadata`. Defaults: `version` `'0.0.0'`, `environment`
   * `NODE_ENV` or `'production'`, `hostname` `os.hostname()`, `platform` `<os>-<arch>`;
   * `agent_id` is always the agent's own.
   */
  metadata?: Record<string, unknown>;
  /** Where the identity is kept. One of `store` / `stateDir` is required. */
  store?: CredentialStore;
  /** Directory for a `FileStore` (0700, files 0600). */
  stateDir?: string;
  /** How the identity is obtained and renewed. Default `installTokenEnrollment()`. */
  enrollment?: EnrollmentStrategy;
  /** Algorithm of generated keys. Default `'ECDSA-P256'`. */
  keyAlgorithm?: KeyAlgorithm;
  renewal?: AgentRenewalOptions;
  heartbeat?: AgentHeartbeatOptions;
  /** Time source and timers. Default `systemClock`. */
  clock?: Clock;
  /** console- or pino-shaped logger. Default: silent. Secrets are always redacted. */
  logger?: LoggerLike;
  /**
   * Total deadline of one backend call (connect, headers and the whole body), ms; for
   * renew and heartbeat it never exceeds the time left on the certificate in use.
   * Default `30_000`.
   */
  requestTimeoutMs?: number;
  /** Largest backend answer accepted, bytes; a larger one is refused while it streams. Default `1_048_576` (1 MiB). */
  maxResponseBytes?: number;
  /**
   * A started agent's timers keep the Node process alive (a process whose only job is the
   * agent does not exit). Set `false` to embed the agent in a process that should exit on
   * its own when its other work is done. Default `true`.
   */
  keepProcessAlive?: boolean;
  /**
   * After the certificate expired (state `expired`), `current()` still returns it and
   * `credentials()` still hands it out, for callers that prefer a stale identity to none.
   * Default `false`: `current()` throws `ERR_MTLS_IDENTITY_EXPIRED` with what to do.
   */
  allowExpiredCredentials?: boolean;
  /** TLS connect timeout of backend calls, ms. Default `10_000`. */
  connectTimeoutMs?: number;
  /** A new certificate may start this far in the future before it counts as clock skew, ms. Default `300_000`. */
  maxClockSkewMs?: number;
  /**
   * The wall clock is re-checked at least this often so that sleeps and clock jumps do not
   * delay a renewal, ms. Default `300_000`.
   */
  wallClockCheckMs?: number;
  /**
   * Allow an `http:` backendUrl: the install token and every identity then travel in clear
   * text. For local experiments only. Default `false`.
   */
  dangerouslyAllowInsecureHttp?: boolean;
}

/** Counters of {@link AgentStatus}. */
export interface AgentCounters {
  enrollments: number;
  enrollmentFailures: number;
  renewals: number;
  renewalFailures: number;
  heartbeats: number;
  heartbeatFailures: number;
}

/** A snapshot of the agent, safe to log or serve as JSON (no secrets). */
export interface AgentStatus {
  state: AgentState;
  strategy: string;
  agentId: string | undefined;
  serviceId: string | undefined;
  generation: number;
  notBefore: Date | undefined;
  notAfter: Date | undefined;
  nextRenewalAt: Date | undefined;
  nextHeartbeatAt: Date | undefined;
  lastHeartbeatAt: Date | undefined;
  lastRenewalAt: Date | undefined;
  lastError: { code: string; message: string; at: Date } | undefined;
  /** In `expired` or `revoked`: what an operator must do, in words. */
  requiredAction: string | undefined;
  counters: AgentCounters;
}

/**
 * Options of {@link MtlsAgent.start} and {@link MtlsAgent.renewNow}.
 *
 * @example
 * ```ts
 * await agent.start({ signal: AbortSignal.timeout(60_000) }); // give up on an unreachable backend
 * ```
 */
export interface AgentCallOptions {
  /** Gives up waiting (and stops the attempt this call started); rejects with `ERR_MTLS_ABORTED`. */
  signal?: AbortSignal;
}

/** Payload of `renewal-failed` and `enrollment-failed`. */
export interface RetryEvent {
  /** 1 for the first failure in a row. */
  attempt: number;
  nextRetryAt: Date;
  cause: MtlsError;
}

/** Events of {@link MtlsAgent}. */
export interface AgentEvents {
  /** A new validated identity is in service (after enroll, renew or load). */
  update: Credentials;
  /** A failure that needs attention (not emitted for transient, retried failures). */
  error: MtlsError;
  enrolled: { credentials: Credentials; serviceId: string | undefined; reenrollment: boolean };
  'enrollment-failed': RetryEvent;
  renewed: { credentials: Credentials; previousGeneration: number };
  'renewal-failed': RetryEvent;
  expiring: { generation: number; notAfter: Date; remainingMs: number };
  expired: { generation: number; notAfter: Date };
  heartbeat: { at: Date; generation: number; status: 'healthy' | 'degraded' | 'unhealthy' };
  'heartbeat-failed': { attempt: number; nextAttemptAt: Date; cause: MtlsError };
  revoked: { cause: MtlsError };
  'reenrollment-required': { reason: string; cause: MtlsError | undefined };
  state: { from: AgentState; to: AgentState };
  /** Something an operator should fix that did not stop the agent (loose file modes, …). */
  warning: MtlsError;
}
