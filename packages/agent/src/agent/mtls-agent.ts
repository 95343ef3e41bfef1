import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { inspect } from 'node:util';
import {
  type Backoff,
  type Clock,
  type ClockTimer,
  type CredentialSource,
  type Credentials,
  computeRenewalTime,
  createBackoff,
  createCsr,
  exportPrivateKeyPem,
  generateKeyPair,
  importPrivateKey,
  isMtlsError,
  type KeyAlgorithm,
  type KeyPair,
  keyMatchesCertificate,
  MAX_TIMER_DELAY,
  MtlsError,
  parseCertificates,
} from '@mtlskit/core';
import { createMtlsDispatcher, type MtlsDispatcher } from '@mtlskit/node-adapter';
import { type Dispatcher, fetch as undiciFetch } from 'undici';
import type {
  AgentMetadata,
  EnrollmentContext,
  EnrollmentResult,
  EnrollmentStrategy,
} from '../enrollment/enrollment-strategy.js';
import { idempotencyKey } from '../enrollment/idempotency-key.js';
import type { Log } from '../lib/agent-logger.js';
import { type BackendCall, httpError, isRetryable, retryAfterOf } from '../lib/backend-errors.js';
import { type BackendTls, createBackendDispatcher, sendBackendRequest } from '../lib/backend-http.js';
import { channels } from '../lib/channels.js';
import { makeCredentials } from '../lib/make-credentials.js';
import type { Redactor } from '../lib/redactor.js';
import { readSystemMetrics } from '../lib/system-metrics.js';
import { TypedEmitter } from '../lib/typed-emitter.js';
import { validateResult } from '../lib/validate-result.js';
import type { CredentialStore, StoredIdentity } from '../store/credential-store.js';
import type {
  AgentCounters,
  AgentEvents,
  AgentHeartbeatOptions,
  AgentRenewalOptions,
  AgentState,
  AgentStatus,
} from './agent-types.js';

type Task = 'enroll' | 'renew' | 'heartbeat' | 'expiring' | 'expired';
type HeartbeatStatus = 'healthy' | 'degraded' | 'unhealthy';

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
  strategy: EnrollmentStrategy;
  keyAlgorithm: KeyAlgorithm;
  renewal: Required<Omit<AgentRenewalOptions, 'random'>> & { random: () => number };
  heartbeat: Required<Omit<AgentHeartbeatOptions, 'metrics' | 'status'>> &
    Pick<AgentHeartbeatOptions, 'metrics' | 'status'>;
  clock: Clock;
  log: Log;
  redactor: Redactor;
  requestTimeoutMs: number;
  maxClockSkewMs: number;
  wallClockCheckMs: number;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
  settled: boolean;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A rejected ready() nobody awaits must not become an unhandled rejection.
  promise.catch(() => undefined);
  const d: Deferred<T> = {
    promise,
    settled: false,
    resolve: (v) => {
      d.settled = true;
      resolve(v);
    },
    reject: (e) => {
      d.settled = true;
      reject(e);
    },
  };
  return d;
}

const MIN_RETRY_MS = 50;

/**
 * An mTLS agent: enrolls once, keeps its identity valid (renewal with backoff, recovery
 * ladder on expiry), heartbeats, and hands the current identity to HTTPS clients and
 * servers as a `CredentialSource`. Created with {@link createAgent}.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:https';
 * import { createAgent } from '@mtlskit/agent';
 * import { attachCredentials } from '@mtlskit/node-adapter';
 * const agent = createAgent({ backendUrl, trustAnchors, installTokenFile, serviceName: 'billing', stateDir });
 * agent.on('state', ({ from, to }) => console.log(`agent ${from} -> ${to}`));
 * await agent.start();
 * const res = await agent.fetch('https://ledger.internal:8443/v1/ping'); // client side
 * attachCredentials(createServer(handler), agent);                        // server side
 * ```
 */
export class MtlsAgent extends TypedEmitter<AgentEvents> implements CredentialSource {
  readonly #c: ResolvedAgentConfig;
  #state: AgentState = 'idle';
  #current: Credentials | undefined;
  #stored: StoredIdentity | undefined;
  #agentId: string | undefined;
  #renewAfterHint: Date | undefined;
  #ready = deferred<Credentials>();
  #starting: Promise<Credentials> | undefined;
  #closing: Promise<void> | undefined;
  readonly #abort = new AbortController();

  readonly #deadlines = new Map<Task, number>();
  #timer: ClockTimer | undefined;
  #timerDue: number | undefined;
  readonly #inflight = new Set<Promise<unknown>>();

  #renewing: Promise<Credentials> | undefined;
  #enrolling: Promise<void> | undefined;
  #enrollReason: 'initial' | 'reenroll' = 'initial';
  readonly #renewBackoff: Backoff;
  readonly #heartbeatBackoff: Backoff;
  readonly #enrollBackoff: Backoff;
  #expiringSent = 0;

  #serverTls: Dispatcher | undefined;
  #mtls: { generation: number; dispatcher: Dispatcher } | undefined;
  #dispatcher: MtlsDispatcher | undefined;
  readonly #updateWaiters = new Set<() => void>();

  #lastHeartbeatAt: Date | undefined;
  #lastRenewalAt: Date | undefined;
  #lastError: { code: string; message: string; at: Date } | undefined;
  readonly #counters: AgentCounters = {
    enrollments: 0,
    enrollmentFailures: 0,
    renewals: 0,
    renewalFailures: 0,
    heartbeats: 0,
    heartbeatFailures: 0,
  };

  /** @internal Use {@link createAgent}. */
  constructor(config: ResolvedAgentConfig) {
    super();
    this.#c = config;
    const r = config.renewal;
    const expiry = (): Date | undefined => this.#current?.notAfter;
    this.#renewBackoff = createBackoff({
      initialDelayMs: r.initialDelayMs,
      maxDelayMs: r.maxDelayMs,
      remainingFraction: r.remainingFraction,
      notAfter: expiry,
      random: r.random,
      clock: config.clock,
    });
    this.#heartbeatBackoff = createBackoff({
      initialDelayMs: Math.min(1000, config.heartbeat.intervalMs),
      maxDelayMs: config.heartbeat.intervalMs,
      random: r.random,
      clock: config.clock,
    });
    this.#enrollBackoff = createBackoff({
      initialDelayMs: r.initialDelayMs,
      maxDelayMs: r.maxDelayMs,
      random: r.random,
      clock: config.clock,
    });
  }

  /** The life-cycle state. */
  get state(): AgentState {
    return this.#state;
  }

  /** Name of the enrollment strategy. */
  get strategy(): string {
    return this.#c.strategy.name;
  }

  /**
   * Loads the identity from the store, or enrolls when there is none (or it expired and an
   * install token is configured), then starts renewal and heartbeats. Resolves with the
   * identity; transient backend failures are retried with backoff meanwhile
   * (`enrollment-failed` events), permanent ones (invalid token, untrusted server…) reject.
   * Calling it again returns the same promise.
   */
  start(): Promise<Credentials> {
    if (this.#closing !== undefined) return Promise.reject(closedError());
    if (this.#starting !== undefined) return this.#starting;
    if (this.#ready.settled && this.#current === undefined) this.#ready = deferred();
    const run = this.#boot().then(
      () => this.#ready.promise,
      (e: unknown) => {
        const err = this.#toError(e, 'start');
        this.#starting = undefined;
        if (!this.#ready.settled) this.#ready.reject(err);
        throw err;
      },
    );
    this.#starting = run;
    return run;
  }

  /** The current identity; throws `ERR_MTLS_NO_CREDENTIALS` before the first one (and `ERR_MTLS_REVOKED` after revocation). */
  current(): Credentials {
    if (this.#state === 'revoked') {
      throw new MtlsError('ERR_MTLS_REVOKED', "This agent's identity was revoked; it is no longer used.");
    }
    if (this.#current === undefined) {
      throw new MtlsError(
        'ERR_MTLS_NO_CREDENTIALS',
        'The agent has no identity yet; await agent.start() (or agent.ready()) first.',
      );
    }
    return this.#current;
  }

  /** The current identity, or `undefined` when there is none (before start, after revocation). */
  credentials(): Credentials | undefined {
    return this.#state === 'revoked' ? undefined : this.#current;
  }

  /** Resolves with the first identity (it does not start the agent). */
  ready(): Promise<Credentials> {
    return this.#ready.promise;
  }

  /**
   * Renews now (or joins the renewal in progress). Resolves with the new identity; on
   * failure rejects and the normal retry schedule continues.
   */
  renewNow(): Promise<Credentials> {
    if (this.#closing !== undefined) return Promise.reject(closedError());
    if (this.#renewing !== undefined) return this.#renewing;
    if (this.#current === undefined || (this.#state !== 'active' && this.#state !== 'renewing')) {
      return Promise.reject(
        new MtlsError(
          'ERR_MTLS_NO_CREDENTIALS',
          `The agent cannot renew in state "${this.#state}"; it needs an active identity (await start()).`,
        ),
      );
    }
    this.#deadlines.delete('renew');
    return this.#startRenewal();
  }

  /** A snapshot for dashboards and health endpoints; contains no secrets. */
  status(): AgentStatus {
    const at = (t: Task): Date | undefined => {
      const v = this.#deadlines.get(t);
      return v === undefined ? undefined : new Date(v);
    };
    return {
      state: this.#state,
      strategy: this.#c.strategy.name,
      agentId: this.#agentId,
      serviceId: this.#stored?.serviceId,
      generation: this.#current?.generation ?? 0,
      notBefore: this.#current?.notBefore,
      notAfter: this.#current?.notAfter,
      nextRenewalAt: at('renew'),
      nextHeartbeatAt: at('heartbeat'),
      lastHeartbeatAt: this.#lastHeartbeatAt,
      lastRenewalAt: this.#lastRenewalAt,
      lastError: this.#lastError,
      counters: { ...this.#counters },
    };
  }

  /**
   * An undici dispatcher that always presents the current identity (one connection pool
   * per generation; old ones drain). Created on first use; closed by {@link MtlsAgent.close}.
   */
  get dispatcher(): MtlsDispatcher {
    if (this.#dispatcher === undefined) this.#dispatcher = createMtlsDispatcher(this);
    return this.#dispatcher;
  }

  /** undici `fetch` through {@link MtlsAgent.dispatcher} (never the global dispatcher). */
  fetch(
    input: Parameters<typeof undiciFetch>[0],
    init?: Parameters<typeof undiciFetch>[1],
  ): ReturnType<typeof undiciFetch> {
    return this.dispatcher.fetch(input, init);
  }

  /**
   * Yields the current identity (if any) and then every new one, until the agent closes.
   *
   * @example
   * ```ts
   * for await (const c of agent.updates()) server.setSecureContext(toContext(c));
   * ```
   */
  async *updates(): AsyncGenerator<Credentials, void, undefined> {
    let last = 0;
    for (;;) {
      const c = this.#current;
      if (c !== undefined && c.generation > last && this.#state !== 'revoked') {
        last = c.generation;
        yield c;
        continue;
      }
      if (this.#closing !== undefined || this.#state === 'revoked') return;
      await new Promise<void>((resolve) => {
        this.#updateWaiters.add(resolve);
      });
    }
  }

  /**
   * Stops every timer, aborts backend calls in progress, waits for them to settle and
   * closes connection pools. Idempotent; the stored identity is kept.
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closing = (async () => {
      this.#setState('closed');
      this.#deadlines.clear();
      this.#clearTimer();
      this.#abort.abort();
      if (!this.#ready.settled) this.#ready.reject(closedError());
      // An enrollment waiting for its next retry would otherwise never settle start().
      if (this.#enrollDone !== undefined && !this.#enrollDone.settled) this.#enrollDone.reject(closedError());
      this.#wakeUpdates();
      await Promise.allSettled([...this.#inflight]);
      const pools: Promise<unknown>[] = [];
      if (this.#dispatcher !== undefined) pools.push(this.#dispatcher.close());
      if (this.#serverTls !== undefined) pools.push(this.#serverTls.close());
      if (this.#mtls !== undefined) pools.push(this.#mtls.dispatcher.close());
      await Promise.allSettled(pools);
      this.#wakeUpdates();
    })();
    return this.#closing;
  }

  [inspect.custom](): string {
    const s = this.status();
    return `MtlsAgent { state: '${s.state}', strategy: '${s.strategy}', generation: ${s.generation}, notAfter: ${s.notAfter?.toISOString() ?? 'none'} }`;
  }

  toJSON(): AgentStatus {
    return this.status();
  }

  // ---------------------------------------------------------------- life cycle

  async #boot(): Promise<void> {
    const stored = await this.#storeCall('load', () => this.#c.store.load());
    this.#throwIfClosed();
    if (stored !== undefined) {
      this.#stored = stored;
      this.#agentId = stored.agentId;
      const usable = await this.#usableStored(stored);
      if (usable !== undefined) {
        this.#install(usable, stored);
        this.#c.log('info', 'loaded the stored identity', {
          generation: usable.generation,
          notAfter: usable.notAfter.toISOString(),
        });
        return;
      }
    }
    // No identity (or an expired one): enroll, as the recovery ladder would.
    if (stored !== undefined && !this.#canEnrollAgain()) {
      this.#setState('expired');
      const err = new MtlsError(
        'ERR_MTLS_REENROLLMENT_REQUIRED',
        'The stored identity expired and no install token is configured; provide a new install token (installToken or installTokenFile) to enroll again.',
      );
      this.emitEvent('reenrollment-required', { reason: 'expired-without-install-token', cause: err });
      throw err;
    }
    await this.#runEnrollment(stored === undefined ? 'initial' : 'reenroll');
  }

  /** A stored identity that is still usable, or `undefined` when it expired. */
  async #usableStored(stored: StoredIdentity): Promise<Credentials | undefined> {
    let leaf: ReturnType<typeof parseCertificates>[number] | undefined;
    let matches = false;
    try {
      leaf = parseCertificates(stored.certificateChainPem)[0];
      matches = leaf !== undefined && (await keyMatchesCertificate(stored.privateKeyPem, leaf));
    } catch {
      matches = false;
    }
    if (leaf === undefined || !matches) {
      throw new MtlsError(
        'ERR_MTLS_STORAGE',
        `The stored identity (generation ${stored.generation}) is unreadable or its key does not match its certificate; remove the state directory to enroll again.`,
        { details: { generation: stored.generation } },
      );
    }
    if (leaf.notAfter.getTime() <= this.#c.clock.now()) {
      this.#c.log('warn', 'the stored identity expired', { notAfter: leaf.notAfter.toISOString() });
      return undefined;
    }
    this.#renewAfterHint = stored.renewAfter === undefined ? undefined : new Date(stored.renewAfter);
    return makeCredentials({
      certificateChainPem: stored.certificateChainPem,
      privateKeyPem: stored.privateKeyPem,
      trustAnchorsPem: stored.trustAnchorsPem,
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
      generation: stored.generation,
    });
  }

  /** Runs enrollment attempts (retrying transient failures through the scheduler) until one succeeds or fails for good. */
  #runEnrollment(reason: 'initial' | 'reenroll'): Promise<void> {
    if (this.#enrolling !== undefined) return this.#enrolling;
    this.#enrollReason = reason;
    this.#enrollBackoff.reset();
    this.#setState('enrolling');
    const done = deferred<void>();
    this.#enrollDone = done;
    this.#enrolling = done.promise.finally(() => {
      this.#enrolling = undefined;
      this.#enrollDone = undefined;
    });
    this.#track(this.#enrollAttempt());
    return this.#enrolling;
  }

  #enrollDone: Deferred<void> | undefined;

  async #enrollAttempt(): Promise<void> {
    const done = this.#enrollDone;
    if (done === undefined) return;
    if (this.#closing !== undefined) {
      done.reject(closedError());
      return;
    }
    const reason = this.#enrollReason;
    const strategy = this.#c.strategy;
    channels.enrollment.publish({ phase: 'start', strategy: strategy.name, reason });
    try {
      const { key, keyPem, agentId } = await this.#pendingKey('enroll');
      const ctx = await this.#context('enroll', key, agentId);
      const result = await strategy.enroll(ctx);
      this.#throwIfClosed();
      const credentials = await this.#accept(result, keyPem, 'register');
      this.#counters.enrollments++;
      this.#enrollBackoff.reset();
      channels.enrollment.publish({
        phase: 'success',
        strategy: strategy.name,
        reason,
        generation: credentials.generation,
        notAfter: credentials.notAfter,
      });
      this.#c.log('info', reason === 'initial' ? 'enrolled' : 're-enrolled', {
        generation: credentials.generation,
        serviceId: this.#stored?.serviceId,
        notAfter: credentials.notAfter.toISOString(),
      });
      this.emitEvent('enrolled', {
        credentials,
        serviceId: this.#stored?.serviceId,
        reenrollment: reason === 'reenroll',
      });
      done.resolve();
    } catch (e) {
      const err = this.#toError(e, 'enrollment');
      this.#counters.enrollmentFailures++;
      this.#noteError(err);
      channels.enrollment.publish({ phase: 'failure', strategy: strategy.name, reason, error: err.toJSON() });
      if (this.#closing !== undefined) {
        done.reject(closedError());
        return;
      }
      if (!isRetryable(err)) {
        this.#c.log('error', 'enrollment failed', { error: err });
        if (reason === 'reenroll') {
          this.#setState('expired');
          this.emitEvent('reenrollment-required', { reason: 'reenrollment-refused', cause: err });
        } else {
          this.#setState('idle');
        }
        this.emitEvent('error', err);
        done.reject(err);
        return;
      }
      const delay = Math.max(MIN_RETRY_MS, this.#enrollBackoff.next({ retryAfter: retryAfterOf(err) }));
      const nextRetryAt = new Date(this.#c.clock.now() + delay);
      this.#c.log('warn', 'enrollment failed; retrying', {
        error: err,
        nextRetryAt: nextRetryAt.toISOString(),
      });
      this.emitEvent('enrollment-failed', { attempt: this.#enrollBackoff.attempt, nextRetryAt, cause: err });
      this.#schedule('enroll', nextRetryAt.getTime());
    }
  }

  #startRenewal(): Promise<Credentials> {
    const p = this.#renew().finally(() => {
      this.#renewing = undefined;
    });
    this.#renewing = p;
    // renewNow() callers get the rejection; the scheduler must not see an unhandled one.
    this.#track(p.catch(() => undefined));
    return p;
  }

  async #renew(): Promise<Credentials> {
    const previous = this.#current!;
    const strategy = this.#c.strategy;
    this.#setState('renewing');
    channels.renewal.publish({ phase: 'start', strategy: strategy.name, generation: previous.generation });
    try {
      const { key, keyPem, agentId } = await this.#pendingKey('renew');
      const ctx = await this.#context('renew', key, agentId);
      const result = await strategy.renew(ctx);
      this.#throwIfClosed();
      const credentials = await this.#accept(result, keyPem, 'renew');
      this.#counters.renewals++;
      this.#lastRenewalAt = new Date(this.#c.clock.now());
      this.#renewBackoff.reset();
      channels.renewal.publish({
        phase: 'success',
        strategy: strategy.name,
        generation: credentials.generation,
        notAfter: credentials.notAfter,
      });
      this.#c.log('info', 'renewed', {
        generation: credentials.generation,
        notAfter: credentials.notAfter.toISOString(),
      });
      this.emitEvent('renewed', { credentials, previousGeneration: previous.generation });
      return credentials;
    } catch (e) {
      const err = this.#toError(e, 'renewal');
      this.#counters.renewalFailures++;
      this.#noteError(err);
      channels.renewal.publish({ phase: 'failure', strategy: strategy.name, error: err.toJSON() });
      if (this.#closing !== undefined) throw err;
      if (err.code === 'ERR_MTLS_REVOKED') {
        this.#revoke(err);
        throw err;
      }
      if (this.#state === 'renewing') this.#setState('active');
      const now = this.#c.clock.now();
      const notAfter = this.#current?.notAfter.getTime() ?? now;
      if (now >= notAfter) {
        // The expiry task handles this one; a renewal cannot succeed with an expired certificate.
        this.#schedule('expired', now);
        throw err;
      }
      const delay = Math.max(MIN_RETRY_MS, this.#renewBackoff.next({ retryAfter: retryAfterOf(err) }));
      const nextRetryAt = new Date(Math.min(now + delay, notAfter));
      this.#c.log('warn', 'renewal failed; retrying', { error: err, nextRetryAt: nextRetryAt.toISOString() });
      if (!isRetryable(err)) this.emitEvent('error', err);
      this.emitEvent('renewal-failed', { attempt: this.#renewBackoff.attempt, nextRetryAt, cause: err });
      this.#schedule('renew', nextRetryAt.getTime());
      throw err;
    }
  }

  async #heartbeat(): Promise<void> {
    const current = this.#current;
    if (current === undefined || (this.#state !== 'active' && this.#state !== 'renewing')) return;
    const hb = this.#c.heartbeat;
    const started = this.#c.clock.now();
    try {
      const status: HeartbeatStatus = (await hb.status?.()) ?? 'healthy';
      const metrics = hb.metrics !== undefined ? await hb.metrics() : await readSystemMetrics(hb.diskPath);
      const body = {
        agent_id: this.#agentId,
        status,
        timestamp: new Date(started).toISOString(),
        metrics,
      };
      const dispatcher = this.#mtlsDispatcher();
      await this.#post(dispatcher, hb.path, body, { call: 'heartbeat' });
      this.#throwIfClosed();
      const at = new Date(this.#c.clock.now());
      this.#lastHeartbeatAt = at;
      this.#counters.heartbeats++;
      this.#heartbeatBackoff.reset();
      channels.heartbeat.publish({ phase: 'success', generation: current.generation, status, at });
      this.#c.log('debug', 'heartbeat sent', { status });
      this.emitEvent('heartbeat', { at, generation: current.generation, status });
      this.#scheduleHeartbeat(hb.intervalMs);
    } catch (e) {
      const err = this.#toError(e, 'heartbeat');
      if (this.#closing !== undefined) return;
      this.#counters.heartbeatFailures++;
      this.#noteError(err);
      channels.heartbeat.publish({ phase: 'failure', generation: current.generation, error: err.toJSON() });
      if (err.code === 'ERR_MTLS_REVOKED') {
        this.#revoke(err);
        return;
      }
      const delay = Math.max(
        MIN_RETRY_MS,
        Math.min(hb.intervalMs, this.#heartbeatBackoff.next({ retryAfter: retryAfterOf(err) })),
      );
      const nextAttemptAt = new Date(this.#c.clock.now() + delay);
      this.#c.log('warn', 'heartbeat failed', { error: err, nextAttemptAt: nextAttemptAt.toISOString() });
      this.emitEvent('heartbeat-failed', {
        attempt: this.#heartbeatBackoff.attempt,
        nextAttemptAt,
        cause: err,
      });
      if (this.#state === 'active' || this.#state === 'renewing')
        this.#schedule('heartbeat', nextAttemptAt.getTime());
    }
  }

  #onExpiring(): void {
    const c = this.#current;
    if (c === undefined || this.#expiringSent === c.generation) return;
    this.#expiringSent = c.generation;
    const remainingMs = c.notAfter.getTime() - this.#c.clock.now();
    this.#c.log('warn', 'the identity is about to expire and was not renewed yet', {
      notAfter: c.notAfter.toISOString(),
      remainingMs,
    });
    this.emitEvent('expiring', { generation: c.generation, notAfter: c.notAfter, remainingMs });
  }

  #onExpired(): void {
    const c = this.#current;
    if (c === undefined || this.#state === 'revoked' || this.#state === 'closed') return;
    if (c.notAfter.getTime() > this.#c.clock.now()) {
      this.#schedule('expired', c.notAfter.getTime());
      return;
    }
    if (this.#state === 'expired' || this.#state === 'enrolling') return;
    if (this.#renewing !== undefined) {
      // Let the renewal in flight finish; it may still bring a certificate.
      this.#schedule('expired', this.#c.clock.now() + 1000);
      return;
    }
    this.#deadlines.delete('renew');
    this.#deadlines.delete('heartbeat');
    this.#deadlines.delete('expiring');
    this.#setState('expired');
    const err = new MtlsError(
      'ERR_MTLS_IDENTITY_EXPIRED',
      `The agent's certificate (generation ${c.generation}) expired at ${c.notAfter.toISOString()} before a renewal succeeded; see the renewal-failed events for why.`,
      { details: { generation: c.generation, notAfter: c.notAfter.toISOString() } },
    );
    this.#noteError(err);
    this.#c.log('error', 'the identity expired', { notAfter: c.notAfter.toISOString() });
    this.emitEvent('expired', { generation: c.generation, notAfter: c.notAfter });
    this.emitEvent('error', err);
    if (this.#c.renewal.reenrollOnExpiry && this.#canEnrollAgain()) {
      this.#track(this.#runEnrollment('reenroll').catch(() => undefined));
      return;
    }
    this.emitEvent('reenrollment-required', {
      reason: this.#canEnrollAgain() ? 'reenroll-on-expiry-disabled' : 'expired-without-install-token',
      cause: err,
    });
  }

  #revoke(err: MtlsError): void {
    if (this.#state === 'revoked' || this.#state === 'closed') return;
    this.#deadlines.clear();
    this.#clearTimer();
    this.#setState('revoked');
    this.#c.log('error', 'the identity was revoked; the agent stopped using it', { error: err });
    const mtls = this.#mtls;
    this.#mtls = undefined;
    if (mtls !== undefined) this.#track(mtls.dispatcher.close().catch(() => undefined));
    this.emitEvent('revoked', { cause: err });
    this.emitEvent('error', err);
    this.#wakeUpdates();
  }

  // ---------------------------------------------------------------- identity

  /** Validates, persists, then swaps in a strategy's result. Bad material never replaces good. */
  async #accept(result: EnrollmentResult, keyPem: string, call: 'register' | 'renew'): Promise<Credentials> {
    if (typeof result !== 'object' || result === null || typeof result.certificateChainPem !== 'string') {
      throw new MtlsError(
        'ERR_MTLS_INVALID_RESPONSE',
        `The enrollment strategy "${this.#c.strategy.name}" returned no certificateChainPem.`,
        { details: { reason: 'missing-field', call } },
      );
    }
    const privateKeyPem = result.privateKeyPem ?? keyPem;
    this.#c.redactor.add(privateKeyPem);
    const validated = await validateResult(
      {
        certificateChainPem: result.certificateChainPem,
        privateKeyPem,
        issuerAnchorsPem: result.issuerAnchorsPem ?? this.#c.trustAnchorsPem,
      },
      this.#c.clock,
      this.#c.maxClockSkewMs,
      call,
    );
    const generation = Math.max(this.#current?.generation ?? 0, this.#stored?.generation ?? 0) + 1;
    const renewAfter = toIso(result.renewAfter);
    const identity: StoredIdentity = {
      generation,
      privateKeyPem,
      certificateChainPem: validated.certificateChainPem,
      trustAnchorsPem: result.trustAnchorsPem ?? this.#c.trustAnchorsPem,
      agentId: this.#agentId!,
      serviceId: result.serviceId ?? this.#stored?.serviceId,
      renewAfter,
      savedAt: new Date(this.#c.clock.now()).toISOString(),
    };
    await this.#storeCall('save', () => this.#c.store.save(identity));
    await this.#storeCall('clearPendingKey', () => this.#c.store.clearPendingKey()).catch((e: unknown) => {
      // The identity is saved; a stale pending key is only reused if it is still pending.
      this.#c.log('warn', 'could not clear the pending key', { error: e });
    });
    this.#stored = identity;
    this.#renewAfterHint = renewAfter === undefined ? undefined : new Date(renewAfter);
    const credentials = makeCredentials({
      certificateChainPem: identity.certificateChainPem,
      privateKeyPem,
      trustAnchorsPem: identity.trustAnchorsPem,
      notBefore: validated.notBefore,
      notAfter: validated.notAfter,
      generation,
    });
    if (this.#closing === undefined) this.#install(credentials, identity, true);
    return credentials;
  }

  /** Puts an identity in service and (re)arms renewal, expiry and heartbeat. */
  #install(credentials: Credentials, stored: StoredIdentity, fresh = false): void {
    this.#current = credentials;
    this.#stored = stored;
    this.#agentId = stored.agentId;
    const now = this.#c.clock.now();
    const r = this.#c.renewal;
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
        hints: { renewAfter: this.#renewAfterHint },
      },
    ).getTime();
    const lifetime = credentials.notAfter.getTime() - credentials.notBefore.getTime();
    this.#deadlines.delete('enroll');
    this.#schedule('renew', renewAt);
    this.#schedule('expiring', credentials.notAfter.getTime() - r.expiringFraction * lifetime);
    this.#schedule('expired', credentials.notAfter.getTime());
    if (this.#c.heartbeat.enabled && !this.#deadlines.has('heartbeat')) {
      this.#scheduleHeartbeat(this.#c.heartbeat.intervalMs);
    }
    if (this.#state !== 'revoked' && this.#state !== 'closed') this.#setState('active');
    this.emitEvent('update', credentials);
    if (!this.#ready.settled) this.#ready.resolve(credentials);
    this.#wakeUpdates();
  }

  /** The key of the attempt: a persisted pending key of the same purpose, or a new one persisted first. */
  async #pendingKey(purpose: 'enroll' | 'renew'): Promise<{ key: KeyPair; keyPem: string; agentId: string }> {
    const pending = await this.#storeCall('loadPendingKey', () => this.#c.store.loadPendingKey());
    if (
      pending !== undefined &&
      pending.purpose === purpose &&
      (purpose === 'renew' || this.#agentId === undefined || pending.agentId === this.#agentId)
    ) {
      try {
        const key = await importPrivateKey(pending.privateKeyPem);
        this.#c.redactor.add(pending.privateKeyPem);
        this.#agentId ??= pending.agentId;
        return { key, keyPem: pending.privateKeyPem, agentId: this.#agentId };
      } catch {
        this.#c.log('warn', 'the pending key is unreadable; generating a new one');
      }
    }
    const agentId = this.#agentId ?? randomUUID();
    const key = await generateKeyPair({ algorithm: this.#c.keyAlgorithm });
    const keyPem = await exportPrivateKeyPem(key);
    this.#c.redactor.add(keyPem);
    // Persisted before any request: a lost response is retried with this same key.
    await this.#storeCall('savePendingKey', () =>
      this.#c.store.savePendingKey({
        privateKeyPem: keyPem,
        agentId,
        purpose,
        createdAt: new Date(this.#c.clock.now()).toISOString(),
      }),
    );
    this.#agentId = agentId;
    return { key, keyPem, agentId };
  }

  async #context(purpose: 'enroll' | 'renew', key: KeyPair, agentId: string): Promise<EnrollmentContext> {
    const c = this.#c;
    const csrPem = await createCsr({
      key,
      subject: { commonName: c.serviceName },
      uris: [`urn:mtlskit:agent:${agentId}`],
      extendedKeyUsage: ['clientAuth'],
    });
    const dispatcher = purpose === 'enroll' ? this.#serverDispatcher() : this.#mtlsDispatcher();
    const metadata: AgentMetadata = {
      version: '0.0.0',
      environment: process.env['NODE_ENV'] ?? 'production',
      hostname: hostname(),
      platform: `${process.platform}-${process.arch}`,
      ...c.metadata,
      agent_id: agentId,
    };
    return {
      purpose,
      backendUrl: c.backendUrl,
      key,
      csrPem,
      idempotencyKey: await idempotencyKey(key),
      agentId,
      serviceName: c.serviceName,
      serviceType: c.serviceType,
      controllerName: c.controllerName,
      metadata,
      current: purpose === 'renew' ? this.#current : undefined,
      clock: c.clock,
      signal: this.#abort.signal,
      dispatcher,
      fetch: (input, init) => undiciFetch(input, { ...init, dispatcher }),
      postJson: (path, body, options) =>
        this.#post(dispatcher, path, body, { call: options?.call ?? 'custom', headers: options?.headers }),
      installToken: () => (purpose === 'enroll' ? this.#installToken() : Promise.reject(tokenOnlyOnEnroll())),
      addSecret: (secret) => c.redactor.add(secret),
    };
  }

  async #installToken(): Promise<string> {
    const c = this.#c;
    if (c.installToken !== undefined) return c.installToken;
    if (c.installTokenFile !== undefined) {
      let text: string;
      try {
        text = await readFile(c.installTokenFile, 'utf8');
      } catch (e) {
        throw new MtlsError(
          'ERR_MTLS_INSTALL_TOKEN_MISSING',
          `Cannot read installTokenFile ${c.installTokenFile} (${(e as { code?: string }).code ?? 'unreadable'}); check the path and its permissions.`,
          { cause: e },
        );
      }
      const token = text.trim();
      c.redactor.add(token);
      if (token === '') {
        throw new MtlsError(
          'ERR_MTLS_INSTALL_TOKEN_MISSING',
          `installTokenFile ${c.installTokenFile} is empty; write the install token into it.`,
        );
      }
      return token;
    }
    throw new MtlsError(
      'ERR_MTLS_INSTALL_TOKEN_MISSING',
      'The agent has no stored identity and no install token; pass installToken or installTokenFile to enroll.',
    );
  }

  #hasInstallToken(): boolean {
    return this.#c.installToken !== undefined || this.#c.installTokenFile !== undefined;
  }

  /** An install token is configured, or the strategy authenticates with a credential of its own. */
  #canEnrollAgain(): boolean {
    return this.#hasInstallToken() || this.#c.strategy.needsInstallToken === false;
  }

  // ---------------------------------------------------------------- transport

  #serverDispatcher(): Dispatcher {
    this.#serverTls ??= createBackendDispatcher(this.#c.tls);
    return this.#serverTls;
  }

  #mtlsDispatcher(): Dispatcher {
    const current = this.#current;
    if (current === undefined)
      throw new MtlsError('ERR_MTLS_NO_CREDENTIALS', 'The agent has no identity to call the backend with.');
    if (this.#mtls?.generation !== current.generation) {
      const old = this.#mtls;
      this.#mtls = {
        generation: current.generation,
        dispatcher: createBackendDispatcher(this.#c.tls, current),
      };
      if (old !== undefined) this.#track(old.dispatcher.close().catch(() => undefined));
    }
    return this.#mtls.dispatcher;
  }

  async #post(
    dispatcher: Dispatcher,
    path: string,
    body: unknown,
    options: { call: BackendCall; headers?: Record<string, string> | undefined },
  ): Promise<{ status: number; headers: Readonly<Record<string, string>>; body: unknown }> {
    const c = this.#c;
    const url = new URL(path, c.backendUrl);
    const res = await sendBackendRequest(
      dispatcher,
      url,
      {
        method: 'POST',
        body,
        ...(options.headers === undefined ? {} : { headers: options.headers }),
        signal: this.#abort.signal,
        timeoutMs: c.requestTimeoutMs,
      },
      `The ${options.call} call`,
      c.redactor,
    );
    if (res.status < 200 || res.status > 299)
      throw httpError(options.call, res, url, c.redactor, c.clock.now());
    return res;
  }

  // ---------------------------------------------------------------- scheduling

  #schedule(task: Task, at: number): void {
    if (this.#closing !== undefined) return;
    this.#deadlines.set(task, at);
    this.#arm();
  }

  #scheduleHeartbeat(intervalMs: number): void {
    const j = this.#c.heartbeat.jitter;
    const factor = 1 + j * (2 * this.#c.renewal.random() - 1);
    this.#schedule('heartbeat', this.#c.clock.now() + Math.max(MIN_RETRY_MS, intervalMs * factor));
  }

  /** One timer for every task: the earliest deadline, re-checked against the wall clock. */
  #arm(): void {
    if (this.#closing !== undefined || this.#deadlines.size === 0) {
      this.#clearTimer();
      return;
    }
    const next = Math.min(...this.#deadlines.values());
    const now = this.#c.clock.now();
    const delay = Math.max(0, Math.min(next - now, this.#c.wallClockCheckMs, MAX_TIMER_DELAY));
    const due = now + delay;
    if (this.#timer !== undefined && this.#timerDue !== undefined && this.#timerDue <= due) return;
    this.#clearTimer();
    this.#timerDue = due;
    this.#timer = this.#c.clock.setTimeout(() => this.#tick(), Math.max(1, delay), { unref: true });
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#c.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = undefined;
  }

  #tick(): void {
    this.#timer = undefined;
    this.#timerDue = undefined;
    if (this.#closing !== undefined) return;
    const now = this.#c.clock.now();
    const due = [...this.#deadlines].filter(([, at]) => at <= now).map(([t]) => t);
    for (const task of due) this.#deadlines.delete(task);
    // Expiry first: a renewal due at the same moment must see the right state.
    for (const task of due.sort((a, b) => order(a) - order(b))) this.#run(task);
    this.#arm();
  }

  #run(task: Task): void {
    switch (task) {
      case 'enroll':
        this.#track(this.#enrollAttempt());
        return;
      case 'renew':
        if (this.#renewing === undefined && this.#state === 'active')
          void this.#startRenewal().catch(() => undefined);
        return;
      case 'heartbeat':
        this.#track(this.#heartbeat());
        return;
      case 'expiring':
        this.#onExpiring();
        return;
      case 'expired':
        this.#onExpired();
        return;
    }
  }

  // ---------------------------------------------------------------- helpers

  #track<T>(p: Promise<T>): void {
    const q = p.then(
      () => undefined,
      () => undefined,
    );
    this.#inflight.add(q);
    void q.finally(() => this.#inflight.delete(q));
  }

  #setState(to: AgentState): void {
    const from = this.#state;
    if (from === to || from === 'closed') return;
    this.#state = to;
    this.emitEvent('state', { from, to });
  }

  #wakeUpdates(): void {
    const waiters = [...this.#updateWaiters];
    this.#updateWaiters.clear();
    for (const w of waiters) w();
  }

  #noteError(err: MtlsError): void {
    this.#lastError = { code: err.code, message: err.message, at: new Date(this.#c.clock.now()) };
  }

  #throwIfClosed(): void {
    if (this.#closing !== undefined) throw closedError();
  }

  async #storeCall<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (isMtlsError(e)) throw e;
      throw new MtlsError(
        'ERR_MTLS_STORAGE',
        `The credential store failed to ${op}; check the state directory's disk and permissions.`,
        {
          cause: e,
        },
      );
    }
  }

  #toError(e: unknown, what: string): MtlsError {
    if (isMtlsError(e)) return e;
    const message = this.#c.redactor.string(e instanceof Error ? e.message : String(e));
    return new MtlsError(
      'ERR_MTLS_ENROLLMENT_FAILED',
      `The ${what} step of strategy "${this.#c.strategy.name}" failed: ${message}`,
      { details: { strategy: this.#c.strategy.name } },
    );
  }

  protected override emitEvent<K extends keyof AgentEvents>(event: K, payload: AgentEvents[K]): void {
    super.emitEvent(event, payload, (e) => {
      this.#c.log('error', `a listener of "${String(event)}" threw`, { error: e });
    });
  }
}

function order(t: Task): number {
  return t === 'expired' ? 0 : t === 'expiring' ? 1 : t === 'enroll' ? 2 : t === 'renew' ? 3 : 4;
}

function toIso(v: Date | string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const d = v instanceof Date ? v : new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function closedError(): MtlsError {
  return new MtlsError('ERR_MTLS_AGENT_CLOSED', 'The agent was closed; create a new one to continue.');
}

function tokenOnlyOnEnroll(): MtlsError {
  return new MtlsError(
    'ERR_MTLS_INVALID_ARGUMENT',
    'The install token is only available to enroll(), never to renew().',
  );
}
