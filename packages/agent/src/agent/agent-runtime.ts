import {
  type Backoff,
  type Credentials,
  computeRenewalTime,
  createBackoff,
  isMtlsError,
  MtlsError,
} from '@mtlskit/core';
import { type Deferred, deferred } from '../lib/deferred.js';
import type { CredentialStore, StoredIdentity } from '../store/credential-store.js';
import type { AgentCounters, AgentEvents } from './agent-types.js';
import { type Attempt, BackendClient } from './backend-client.js';
import { Lifecycle } from './lifecycle.js';
import type { ResolvedAgentConfig } from './resolved-config.js';
import { Scheduler, type Task } from './scheduler.js';

/** Emits an agent event to its listeners. */
export type Emit = <K extends keyof AgentEvents>(event: K, payload: AgentEvents[K]) => void;

/**
 * The state an agent's parts share: configuration, life cycle, scheduler, transport, the
 * identity in service and the bookkeeping behind `status()`. The parts (enrollment,
 * renewal, heartbeat, expiry, revocation, accept) are functions of this object; the public
 * `MtlsAgent` is a facade over it.
 */
export class AgentRuntime {
  readonly c: ResolvedAgentConfig;
  readonly emit: Emit;
  readonly life: Lifecycle;
  readonly scheduler: Scheduler;
  readonly backend: BackendClient;
  current: Credentials | undefined;
  stored: StoredIdentity | undefined;
  agentId: string | undefined;
  renewAfterHint: Date | undefined;
  ready: Deferred<Credentials> = deferred();
  closing: Promise<void> | undefined;
  /** Aborted when the agent closes. */
  readonly abort = new AbortController();
  readonly inflight = new Set<Promise<unknown>>();

  renewing: Promise<Credentials> | undefined;
  /** The renewal attempt in flight, aborted when the certificate expires under it. */
  renewAttempt: Attempt | undefined;
  enrolling: Promise<void> | undefined;
  enrollDone: Deferred<void> | undefined;
  enrollAttempt: Attempt | undefined;
  enrollReason: 'initial' | 'reenroll' = 'initial';
  readonly renewBackoff: Backoff;
  readonly heartbeatBackoff: Backoff;
  readonly enrollBackoff: Backoff;
  expiringSent = 0;

  lastHeartbeatAt: Date | undefined;
  lastRenewalAt: Date | undefined;
  lastError: { code: string; message: string; at: Date } | undefined;
  requiredAction: string | undefined;
  readonly counters: AgentCounters = {
    enrollments: 0,
    enrollmentFailures: 0,
    renewals: 0,
    renewalFailures: 0,
    heartbeats: 0,
    heartbeatFailures: 0,
  };
  readonly updateWaiters = new Set<() => void>();
  releaseLock: (() => Promise<void>) | undefined;

  constructor(config: ResolvedAgentConfig, emit: Emit, run: (task: Task) => void) {
    this.c = config;
    this.emit = emit;
    this.life = new Lifecycle((from, to) => emit('state', { from, to }));
    this.scheduler = new Scheduler({
      clock: config.clock,
      wallClockCheckMs: config.wallClockCheckMs,
      keepAlive: config.keepProcessAlive,
      run,
    });
    this.backend = new BackendClient(config, (p) => this.track(p));
    const r = config.renewal;
    this.renewBackoff = createBackoff({
      initialDelayMs: r.initialDelayMs,
      maxDelayMs: r.maxDelayMs,
      remainingFraction: r.remainingFraction,
      notAfter: () => this.current?.notAfter,
      random: r.random,
      clock: config.clock,
    });
    this.heartbeatBackoff = createBackoff({
      initialDelayMs: Math.min(1000, config.heartbeat.intervalMs),
      maxDelayMs: config.heartbeat.intervalMs,
      random: r.random,
      clock: config.clock,
    });
    this.enrollBackoff = createBackoff({
      initialDelayMs: r.initialDelayMs,
      maxDelayMs: r.maxDelayMs,
      random: r.random,
      clock: config.clock,
    });
    config.storeWarnings.sink = (w) => this.warn(w);
  }

  get store(): CredentialStore {
    return this.c.store;
  }

  /** Keeps a promise in the set `close()` waits for. */
  track<T>(p: Promise<T>): void {
    const q = p.then(
      () => undefined,
      () => undefined,
    );
    this.inflight.add(q);
    void q.finally(() => this.inflight.delete(q));
  }

  wakeUpdates(): void {
    const waiters = [...this.updateWaiters];
    this.updateWaiters.clear();
    for (const w of waiters) w();
  }

  noteError(err: MtlsError): void {
    this.lastError = { code: err.code, message: err.message, at: new Date(this.c.clock.now()) };
  }

  /** Something an operator should fix that does not stop the agent: a log line and a `warning` event. */
  warn(w: MtlsError): void {
    this.c.log('warn', w.message, { code: w.code });
    this.emit('warning', w);
  }

  throwIfClosed(): void {
    if (this.closing !== undefined) throw closedError();
  }

  async storeCall<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (isMtlsError(e)) throw e;
      throw new MtlsError(
        'ERR_MTLS_STORAGE',
        `The credential store failed to ${op}; check the state directory's disk and permissions.`,
        { cause: e },
      );
    }
  }

  toError(e: unknown, what: string): MtlsError {
    if (isMtlsError(e)) return e;
    const message = this.c.redactor.string(e instanceof Error ? e.message : String(e));
    return new MtlsError(
      'ERR_MTLS_ENROLLMENT_FAILED',
      `The ${what} step of strategy "${this.c.strategy.name}" failed: ${message}`,
      { details: { strategy: this.c.strategy.name } },
    );
  }

  hasInstallToken(): boolean {
    return this.c.installToken !== undefined || this.c.installTokenFile !== undefined;
  }

  /** An install token is configured, or the strategy authenticates with a credential of its own. */
  canEnrollAgain(): boolean {
    return this.hasInstallToken() || this.c.strategy.needsInstallToken === false;
  }

  /** Puts an identity in service and (re)arms renewal, expiry and heartbeat. */
  install(credentials: Credentials, stored: StoredIdentity, fresh = false): void {
    this.current = credentials;
    this.stored = stored;
    this.agentId = stored.agentId;
    this.requiredAction = undefined;
    this.c.redactor.addKey(credentials.privateKeyPem);
    const now = this.c.clock.now();
    const r = this.c.renewal;
    // Backends backdate notBefore (clock skew allowance). For a certificate just received,
    // the lifetime that counts starts now: otherwise a short-lived certificate could be
    // "due" on arrival and renew in a loop.
    const from = fresh
      ? Math.min(Math.max(credentials.notBefore.getTime(), now), credentials.notAfter.getTime() - 1)
      : credentials.notBefore.getTime();
    const renewAt = computeRenewalTime(
      { notBefore: from, notAfter: credentials.notAfter },
      {
        fraction: r.fraction,
        jitter: r.jitter,
        random: r.random,
        now,
        hints: { renewAfter: this.renewAfterHint },
      },
    ).getTime();
    const lifetime = credentials.notAfter.getTime() - credentials.notBefore.getTime();
    this.scheduler.cancel('enroll');
    this.scheduler.schedule('renew', renewAt);
    this.scheduler.schedule('expiring', credentials.notAfter.getTime() - r.expiringFraction * lifetime);
    this.scheduler.schedule('expired', credentials.notAfter.getTime());
    if (this.c.heartbeat.enabled && !this.scheduler.has('heartbeat')) {
      const j = this.c.heartbeat.jitter;
      const factor = 1 + j * (2 * r.random() - 1);
      this.scheduler.schedule('heartbeat', now + Math.max(50, this.c.heartbeat.intervalMs * factor));
    }
    if (!this.life.final) this.life.set('active');
    this.emit('update', credentials);
    if (!this.ready.settled) this.ready.resolve(credentials);
    this.wakeUpdates();
  }
}

/** The error of every call after `close()`. */
export function closedError(): MtlsError {
  return new MtlsError('ERR_MTLS_AGENT_CLOSED', 'The agent was closed; create a new one to continue.');
}

/** The error of a call given up through its `signal`. */
export function abortedError(what: string, reason: unknown): MtlsError {
  return new MtlsError('ERR_MTLS_ABORTED', `${what} was aborted by its signal.`, { cause: reason });
}
