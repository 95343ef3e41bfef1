import { inspect } from 'node:util';
import { type CredentialSource, type Credentials, MtlsError } from '@mtlskit/core';
import { createMtlsDispatcher, type MtlsDispatcher } from '@mtlskit/node-adapter';
import { EventEmitter } from 'eventemitter3';
import type { fetch as undiciFetch } from 'undici';
import { deferred } from '../lib/deferred.js';
import { AgentRuntime, abortedError, closedError } from './agent-runtime.js';
import type { AgentCallOptions, AgentEvents, AgentState, AgentStatus } from './agent-types.js';
import { boot } from './boot.js';
import { abortEnrollment, enrollAttempt } from './enrollment.js';
import { onExpired, onExpiring } from './expiry.js';
import { heartbeat } from './heartbeat.js';
import { startRenewal } from './renewal.js';
import type { ResolvedAgentConfig } from './resolved-config.js';
import { revokedError } from './revocation.js';
import type { Task } from './scheduler.js';

export type { ResolvedAgentConfig } from './resolved-config.js';

/**
 * Listener arguments of {@link AgentEvents}, the type parameter of the agent's
 * `eventemitter3` emitter.
 *
 * @example
 * ```ts
 * import type { AgentEventListeners } from '@mtlskit/agent';
 * type RenewedArgs = AgentEventListeners['renewed']; // [payload: { credentials, previousGeneration }]
 * ```
 */
export type AgentEventListeners = { [K in keyof AgentEvents]: [payload: AgentEvents[K]] };

/**
 * An mTLS agent: enrolls once, keeps its identity valid (renewal with backoff, recovery
 * ladder on expiry), heartbeats, and hands the current identity to HTTPS clients and
 * servers as a `CredentialSource`. Created with {@link createAgent}. A typed
 * `eventemitter3` emitter of {@link AgentEvents}; a listener that throws is logged and the
 * others still run, and `error` without a listener never throws.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:https';
 * import { createAgent } from '@mtlskit/agent';
 * import { attachCredentials } from '@mtlskit/node-adapter';
 * const agent = createAgent({ backendUrl, trustAnchors, installTokenFile, serviceName: 'billing', stateDir });
 * agent.on('state', ({ from, to }) => console.log(`agent ${from} -> ${to}`));
 * await agent.start({ signal: AbortSignal.timeout(60_000) });
 * const res = await agent.fetch('https://ledger.internal:8443/v1/ping'); // client side
 * attachCredentials(createServer(handler), agent);                        // server side
 * ```
 */
export class MtlsAgent extends EventEmitter<AgentEventListeners> implements CredentialSource {
  readonly #rt: AgentRuntime;
  #starting: Promise<Credentials> | undefined;
  #dispatcher: MtlsDispatcher | undefined;

  /** @internal Use {@link createAgent}. */
  constructor(config: ResolvedAgentConfig) {
    super();
    this.#rt = new AgentRuntime(
      config,
      (event, payload) => this.#emitSafely(event, payload),
      (task) => this.#run(task),
    );
  }

  /** The life-cycle state. */
  get state(): AgentState {
    return this.#rt.life.state;
  }

  /** Name of the enrollment strategy. */
  get strategy(): string {
    return this.#rt.c.strategy.name;
  }

  /**
   * Takes the state directory's lock (`ERR_MTLS_STATE_LOCKED` when another agent holds
   * it), loads the identity from the store, or enrolls when there is none (or it expired
   * and an install token is configured), then starts renewal and heartbeats. Resolves with
   * the identity; transient backend failures are retried with backoff meanwhile
   * (`enrollment-failed` events), permanent ones (invalid token, untrusted server…) reject.
   * `signal` gives up (an unreachable backend): the enrollment stops, the agent returns to
   * `idle` and the promise rejects with `ERR_MTLS_ABORTED`. Calling it again while it runs
   * returns the same enrollment.
   */
  start(options: AgentCallOptions = {}): Promise<Credentials> {
    const rt = this.#rt;
    if (rt.closing !== undefined) return Promise.reject(closedError());
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(abortedError('start()', signal.reason));
    if (this.#starting === undefined) {
      if (rt.ready.settled && rt.current === undefined) rt.ready = deferred();
      const run = boot(rt).then(
        () => rt.ready.promise,
        (e: unknown) => {
          const err = rt.toError(e, 'start');
          this.#starting = undefined;
          if (!rt.ready.settled) rt.ready.reject(err);
          throw err;
        },
      );
      this.#starting = run;
    }
    const starting = this.#starting;
    if (signal === undefined) return starting;
    return new Promise<Credentials>((resolve, reject) => {
      const onAbort = (): void => {
        const err = abortedError('start()', signal.reason);
        if (rt.current === undefined) {
          rt.enrollAttempt?.abort(err);
          abortEnrollment(rt, err);
        }
        reject(err);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      starting.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /**
   * The current identity. Throws `ERR_MTLS_NO_CREDENTIALS` before the first one,
   * `ERR_MTLS_REVOKED` after revocation, and `ERR_MTLS_IDENTITY_EXPIRED` (with what to do)
   * once it expired, unless `allowExpiredCredentials` is set.
   */
  current(): Credentials {
    const rt = this.#rt;
    if (rt.life.state === 'revoked') throw revokedError(undefined);
    const c = rt.current;
    if (c === undefined) {
      throw new MtlsError(
        'ERR_MTLS_NO_CREDENTIALS',
        'The agent has no identity yet; await agent.start() (or agent.ready()) first.',
      );
    }
    if (this.#expired(c) && !rt.c.allowExpiredCredentials) {
      throw new MtlsError(
        'ERR_MTLS_IDENTITY_EXPIRED',
        `The agent's certificate (generation ${c.generation}) expired at ${c.notAfter.toISOString()}. ${rt.requiredAction ?? 'Check the renewal-failed events; the agent keeps trying to recover.'}`,
        { details: { generation: c.generation, notAfter: c.notAfter.toISOString(), state: rt.life.state } },
      );
    }
    return c;
  }

  /**
   * The current identity, or `undefined` when there is none (before start, after
   * revocation, after expiry unless `allowExpiredCredentials`).
   */
  credentials(): Credentials | undefined {
    const rt = this.#rt;
    const c = rt.current;
    if (rt.life.state === 'revoked' || c === undefined) return undefined;
    return this.#expired(c) && !rt.c.allowExpiredCredentials ? undefined : c;
  }

  /** Resolves with the first identity (it does not start the agent). */
  ready(): Promise<Credentials> {
    return this.#rt.ready.promise;
  }

  /**
   * Renews now (or joins the renewal in progress). Resolves with the new identity; on
   * failure rejects and the normal retry schedule continues. `signal` gives up waiting
   * (and stops the attempt when this call started it) with `ERR_MTLS_ABORTED`.
   */
  renewNow(options: AgentCallOptions = {}): Promise<Credentials> {
    const rt = this.#rt;
    const signal = options.signal;
    if (rt.closing !== undefined) return Promise.reject(closedError());
    if (signal?.aborted) return Promise.reject(abortedError('renewNow()', signal.reason));
    let p = rt.renewing;
    if (p === undefined) {
      if (rt.current === undefined || !rt.life.usable) {
        return Promise.reject(
          new MtlsError(
            'ERR_MTLS_NO_CREDENTIALS',
            `The agent cannot renew in state "${rt.life.state}"; it needs an active identity (await start()).`,
          ),
        );
      }
      rt.scheduler.cancel('renew');
      p = startRenewal(rt, signal);
      return p;
    }
    if (signal === undefined) return p;
    const joined = p;
    return new Promise<Credentials>((resolve, reject) => {
      const onAbort = (): void => reject(abortedError('renewNow()', signal.reason));
      signal.addEventListener('abort', onAbort, { once: true });
      joined.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** A snapshot for dashboards and health endpoints; contains no secrets. */
  status(): AgentStatus {
    const rt = this.#rt;
    return {
      state: rt.life.state,
      strategy: rt.c.strategy.name,
      agentId: rt.agentId,
      serviceId: rt.stored?.serviceId,
      generation: rt.current?.generation ?? 0,
      notBefore: rt.current?.notBefore,
      notAfter: rt.current?.notAfter,
      nextRenewalAt: rt.scheduler.at('renew'),
      nextHeartbeatAt: rt.scheduler.at('heartbeat'),
      lastHeartbeatAt: rt.lastHeartbeatAt,
      lastRenewalAt: rt.lastRenewalAt,
      lastError: rt.lastError,
      requiredAction: rt.requiredAction,
      counters: { ...rt.counters },
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
    const rt = this.#rt;
    let last = 0;
    for (;;) {
      const c = rt.current;
      if (c !== undefined && c.generation > last && rt.life.state !== 'revoked') {
        last = c.generation;
        yield c;
        continue;
      }
      if (rt.closing !== undefined || rt.life.state === 'revoked') return;
      await new Promise<void>((resolve) => {
        rt.updateWaiters.add(resolve);
      });
    }
  }

  /**
   * Stops every timer, aborts backend calls in progress, waits for them to settle, closes
   * connection pools and releases the state directory's lock. Idempotent; the stored
   * identity is kept.
   */
  close(): Promise<void> {
    const rt = this.#rt;
    if (rt.closing !== undefined) return rt.closing;
    rt.closing = (async () => {
      rt.life.set('closed');
      rt.scheduler.stop();
      rt.abort.abort(closedError());
      if (!rt.ready.settled) rt.ready.reject(closedError());
      // An enrollment waiting for its next retry would otherwise never settle start().
      if (rt.enrollDone !== undefined && !rt.enrollDone.settled) rt.enrollDone.reject(closedError());
      rt.wakeUpdates();
      await Promise.allSettled([...rt.inflight]);
      const pools: Promise<unknown>[] = [rt.backend.close()];
      if (this.#dispatcher !== undefined) pools.push(this.#dispatcher.close());
      await Promise.allSettled(pools);
      if (rt.releaseLock !== undefined) await rt.releaseLock();
      rt.releaseLock = undefined;
      rt.wakeUpdates();
    })();
    return rt.closing;
  }

  [inspect.custom](): string {
    const s = this.status();
    return `MtlsAgent { state: '${s.state}', strategy: '${s.strategy}', generation: ${s.generation}, notAfter: ${s.notAfter?.toISOString() ?? 'none'} }`;
  }

  toJSON(): AgentStatus {
    return this.status();
  }

  #expired(c: Credentials): boolean {
    return this.#rt.life.state === 'expired' || c.notAfter.getTime() <= this.#rt.c.clock.now();
  }

  #run(task: Task): void {
    const rt = this.#rt;
    switch (task) {
      case 'enroll':
        rt.track(enrollAttempt(rt));
        return;
      case 'renew':
        if (rt.renewing === undefined && rt.life.state === 'active')
          void startRenewal(rt).catch(() => undefined);
        return;
      case 'heartbeat':
        rt.track(heartbeat(rt));
        return;
      case 'expiring':
        onExpiring(rt);
        return;
      case 'expired':
        onExpired(rt);
        return;
    }
  }

  /** Every listener runs even if one throws (the throw is logged); `once` listeners are dropped first. */
  #emitSafely<K extends keyof AgentEvents>(event: K, payload: AgentEvents[K]): void {
    const fns = this.listeners(event) as ((p: AgentEvents[K]) => void)[];
    for (const fn of fns) {
      this.removeListener(event, fn as never, undefined, true);
      try {
        fn.call(this, payload);
      } catch (e) {
        this.#rt.c.log('error', `a listener of "${String(event)}" threw`, { error: e });
      }
    }
  }
}
