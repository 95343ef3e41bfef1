import { EventEmitter } from 'node:events';
import type { TLSSocket } from 'node:tls';
import type { CredentialSource, Credentials } from '@mtlskit/core';
import { MtlsError } from '@mtlskit/core';
import { Agent, buildConnector, Client, Dispatcher, Pool as UndiciPool, fetch as undiciFetch } from 'undici';
import { explainTlsFailure } from '../errors/explain-tls-failure.js';
import { authorizeServerOption, checkServerIdentityWith } from '../lib/authorize-server.js';
import { durationOption, unrefTimer } from '../lib/durations.js';
import { buildSecureContext } from '../lib/secure-context.js';
import { resolveTlsVersions, type TlsVersionOptions } from '../lib/tls-versions.js';
import type { PeerIdentity } from '../server/get-peer-identity.js';

/** Options of {@link createMtlsDispatcher}. */
export interface MtlsDispatcherOptions extends TlsVersionOptions {
  /**
   * How long an old generation may finish its in-flight requests after a swap before its
   * sockets are destroyed, in ms. Never later than the old certificate's `notAfter`.
   * Default `30_000`.
   */
  drainTimeoutMs?: number;
  /**
   * Retire connections older than this (ms) even without a credential change: a fresh
   * connection pool is started and the old one drained. Default: off.
   */
  maxConnectionAgeMs?: number;
  /**
   * Spread the move to a new generation over this many ms instead of moving every request
   * at once: during the hand-over a request goes to the new generation with a probability
   * that grows linearly from 0 to 1, otherwise to an already open connection of the old
   * one. New connections always present the new identity. This spreads the TLS handshakes
   * of a swap and keeps tail latency flat; leave it at 0 when a swap must take effect for
   * every request at once (e.g. after a revocation). Default `0`.
   */
  handoverMs?: number;
  /** Passed to every undici `Agent` (keep-alive, `connections`, timeouts…). Default `{}`. */
  agentOptions?: Omit<Agent.Options, 'connect' | 'factory'>;
  /** TLS connect timeout in ms. Default: undici's (10 s). */
  connectTimeoutMs?: number;
  /**
   * Accept any server certificate. Disables peer verification: for local experiments
   * only. Default `false`.
   */
  dangerouslySkipServerVerification?: boolean;
  /**
   * Accept the server by its verified identity instead of its host name, e.g. by SPIFFE ID:
   * `createPeerAllowList({ spiffeIds: ['spiffe://example.org/api'] })` (go-spiffe's
   * `tlsconfig.AuthorizeID`). The chain is still verified against the trust anchors; a
   * refused server fails the request with `ERR_MTLS_SERVER_NOT_AUTHORIZED`. Default: the
   * usual host-name check.
   */
  authorizeServer?: (peer: PeerIdentity) => boolean;
}

/** What {@link MtlsDispatcher} reports about one pool of connections. */
export interface DispatcherGenerationInfo {
  generation: number;
  /** `handover`: still takes some requests during `handoverMs`; `draining`: only finishes its own. */
  state: 'active' | 'handover' | 'draining';
  createdAt: Date;
}

/** Emitted (`socket`) when a new TLS connection was established. */
export interface MtlsSocketEvent {
  generation: number;
  socket: TLSSocket;
}

/**
 * The events of {@link MtlsDispatcher}, on top of undici's own (`connect`, `disconnect`,
 * `connectionError`, `drain`).
 */
export interface MtlsDispatcherEvents {
  /** New requests go to generation `to` from now on. */
  swap: (event: { from: number; to: number }) => void;
  /** A retired generation finished (or was cut at its drain deadline). */
  drained: (event: { generation: number }) => void;
  /** A new TLS connection was established. */
  socket: (event: MtlsSocketEvent) => void;
  /** Material Node could not load, or the source's own error; the old generation stays. */
  'credential-error': (error: MtlsError) => void;
}

type UndiciEvent = 'connect' | 'disconnect' | 'connectionError' | 'drain';
type AnyListener = (...args: never[]) => unknown;

interface Pool {
  readonly credentials: Credentials;
  readonly agent: Agent;
  /** Agent.close() forgets its per-origin pools, so they are kept here for the deadline. */
  readonly origins: Set<Dispatcher>;
  readonly connector: buildConnector.connector;
  readonly createdAt: number;
  deadline?: NodeJS.Timeout;
  ageTimer?: NodeJS.Timeout;
}

type AnyHandler = Dispatcher.DispatchHandler & {
  onError?: (err: Error) => void;
  onResponseError?: (controller: unknown, err: Error) => void;
};

/**
 * An undici `Dispatcher` that always presents the current identity of a
 * {@link CredentialSource}: see {@link createMtlsDispatcher}.
 *
 * @example
 * ```ts
 * const dispatcher = new MtlsDispatcher(source, { handoverMs: 500 });
 * dispatcher.on('swap', ({ from, to }) => log.info(`client identity ${from} -> ${to}`));
 * const res = await dispatcher.request({ origin: 'https://api.internal:8443', path: '/', method: 'GET' });
 * ```
 */
export class MtlsDispatcher extends Dispatcher {
  readonly #source: CredentialSource;
  readonly #drainTimeoutMs: number;
  readonly #maxAge: number | undefined;
  readonly #handoverMs: number;
  #handover: { from: Pool; startedAt: number; timer: NodeJS.Timeout } | undefined;
  readonly #agentOptions: Omit<Agent.Options, 'connect' | 'factory'>;
  readonly #versions: TlsVersionOptions;
  readonly #connectTimeoutMs: number | undefined;
  readonly #rejectUnauthorized: boolean;
  readonly #checkServerIdentity: ReturnType<typeof checkServerIdentityWith> | undefined;
  #active: Pool | undefined;
  readonly #draining = new Set<Pool>();
  #closed = false;
  readonly #starting: Promise<void>;
  readonly #onUpdate = (c: Credentials): void => this.#swap(c);
  readonly #onSourceError = (e: MtlsError): void => {
    this.#emit('credential-error', e);
  };

  constructor(source: CredentialSource, options: MtlsDispatcherOptions = {}) {
    super();
    this.#source = source;
    this.#drainTimeoutMs = durationOption('drainTimeoutMs', options.drainTimeoutMs, 30_000)!;
    this.#maxAge = durationOption('maxConnectionAgeMs', options.maxConnectionAgeMs, undefined);
    this.#handoverMs = options.handoverMs === 0 ? 0 : durationOption('handoverMs', options.handoverMs, 0)!;
    this.#connectTimeoutMs = durationOption('connectTimeoutMs', options.connectTimeoutMs, undefined);
    this.#versions = { ...resolveTlsVersions(options) } as TlsVersionOptions;
    this.#agentOptions = { ...(options.agentOptions ?? {}) };
    this.#rejectUnauthorized = options.dangerouslySkipServerVerification !== true;
    const authorizeServer = authorizeServerOption(options.authorizeServer);
    this.#checkServerIdentity = authorizeServer && checkServerIdentityWith(authorizeServer);
    source.on('update', this.#onUpdate);
    source.on('error', this.#onSourceError);
    let first: Credentials | undefined;
    try {
      first = source.current();
    } catch {
      first = undefined;
    }
    if (first !== undefined) {
      this.#swap(first);
      this.#starting = Promise.resolve();
    } else {
      this.#starting = source.ready().then(
        (c) => {
          if (this.#active === undefined || this.#active.credentials.generation < c.generation) this.#swap(c);
        },
        () => undefined,
      );
    }
  }

  /** The generation new connections use, or 0 before the source is ready. */
  get generation(): number {
    return this.#active?.credentials.generation ?? 0;
  }

  // undici types narrow Dispatcher's listeners to its own events; these add ours, typed.
  /** Listens to an mtlskit event ({@link MtlsDispatcherEvents}) or one of undici's. */
  override on<K extends keyof MtlsDispatcherEvents>(event: K, listener: MtlsDispatcherEvents[K]): this;
  override on(event: UndiciEvent, listener: AnyListener): this;
  override on(event: string, listener: AnyListener): this {
    return super.on(event as 'drain', listener as never);
  }

  /** Like {@link MtlsDispatcher.on}, once. */
  override once<K extends keyof MtlsDispatcherEvents>(event: K, listener: MtlsDispatcherEvents[K]): this;
  override once(event: UndiciEvent, listener: AnyListener): this;
  override once(event: string, listener: AnyListener): this {
    return super.once(event as 'drain', listener as never);
  }

  /** Removes a listener added with {@link MtlsDispatcher.on} or {@link MtlsDispatcher.once}. */
  override off<K extends keyof MtlsDispatcherEvents>(event: K, listener: MtlsDispatcherEvents[K]): this;
  override off(event: UndiciEvent, listener: AnyListener): this;
  override off(event: string, listener: AnyListener): this {
    return super.off(event as 'drain', listener as never);
  }

  /** The active pool and the pools still draining. */
  generations(): DispatcherGenerationInfo[] {
    const out: DispatcherGenerationInfo[] = [];
    for (const pool of this.#draining) out.push(info(pool, 'draining'));
    if (this.#handover !== undefined) out.push(info(this.#handover.from, 'handover'));
    if (this.#active !== undefined) out.push(info(this.#active, 'active'));
    return out;
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    let pool = this.#active;
    const handover = this.#handover;
    if (handover !== undefined && Math.random() * this.#handoverMs > Date.now() - handover.startedAt)
      pool = handover.from;
    if (pool !== undefined && !this.#closed)
      return pool.agent.dispatch(options, this.#wrap(handler as AnyHandler, pool));
    if (this.#closed) {
      fail(handler as AnyHandler, closedError());
      return true;
    }
    // Not ready yet: queue behind the first identity; a source that never becomes ready
    // fails the request with the source's own coded error.
    this.#starting.then(() => {
      const ready = this.#active;
      if (ready === undefined || this.#closed) {
        this.#source.ready().then(
          () => fail(handler as AnyHandler, closedError()),
          (e: unknown) => fail(handler as AnyHandler, e instanceof Error ? e : closedError()),
        );
        return;
      }
      ready.agent.dispatch(options, this.#wrap(handler as AnyHandler, ready));
    });
    return true;
  }

  /**
   * `{ ...init, dispatcher: this }` typed as the global `fetch`'s `RequestInit`, for Node's
   * own `fetch`, whose types come from the undici copy bundled in Node (so a bare
   * `{ dispatcher }` does not type-check there). Works at run time on Node 20, 22 and 24
   * when this package runs on undici 7 (tested in CI); with undici 8 Node's fetch fails
   * (`UND_ERR_INVALID_ARG`: undici 8 refuses the handlers Node's bundled undici passes), so
   * use undici 8's own `fetch` / `request` or {@link MtlsDispatcher.fetch} there.
   *
   * @example
   * ```ts
   * const res = await fetch('https://api.internal:8443/health', dispatcher.forGlobalFetch({ method: 'GET' }));
   * ```
   */
  forGlobalFetch(init: RequestInit = {}): RequestInit {
    return { ...init, dispatcher: this } as RequestInit;
  }

  /**
   * WHATWG `fetch` through this dispatcher (undici's implementation, never the global
   * one). A rejected client certificate rejects with `TypeError('fetch failed')` whose
   * `cause` is an `ERR_MTLS_PEER_REJECTED_CERTIFICATE` {@link MtlsError}.
   */
  fetch(
    input: Parameters<typeof undiciFetch>[0],
    init: Parameters<typeof undiciFetch>[1] = {},
  ): ReturnType<typeof undiciFetch> {
    return undiciFetch(input, { ...init, dispatcher: this });
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const done = this.#shutdown((agent) => agent.close());
    if (callback === undefined) return done;
    done.then(callback, callback);
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    const err = typeof a === 'function' ? null : (a ?? null);
    const callback = typeof a === 'function' ? a : b;
    const done = this.#shutdown((agent) => agent.destroy(err));
    if (callback === undefined) return done;
    done.then(callback, callback);
  }

  async #shutdown(stop: (agent: Agent) => Promise<void>): Promise<void> {
    this.#closed = true;
    this.#source.off('update', this.#onUpdate);
    this.#source.off('error', this.#onSourceError);
    if (this.#handover !== undefined) {
      clearTimeout(this.#handover.timer);
      this.#draining.add(this.#handover.from);
      this.#handover = undefined;
    }
    const pools = [...this.#draining, ...(this.#active === undefined ? [] : [this.#active])];
    this.#active = undefined;
    this.#draining.clear();
    await Promise.all(
      pools.map((p) => {
        clearTimeout(p.deadline);
        clearTimeout(p.ageTimer);
        return Promise.all([
          stop(p.agent),
          ...[...p.origins].map((d) => ((d as Agent).destroyed ? undefined : stop(d as Agent))),
        ]).catch(() => undefined);
      }),
    );
  }

  #emit(event: string, ...args: unknown[]): void {
    // undici types narrow Dispatcher's events to its own; these are ours.
    (EventEmitter.prototype.emit as (this: unknown, e: string, ...a: unknown[]) => boolean).call(
      this,
      event,
      ...args,
    );
  }

  #swap(credentials: Credentials): void {
    if (this.#closed) return;
    if (this.#active !== undefined && credentials.generation <= this.#active.credentials.generation) return;
    let pool: Pool;
    try {
      pool = this.#createPool(credentials);
    } catch (e) {
      // Material the source accepted but Node cannot load: keep serving the old generation.
      this.#emit('credential-error', e);
      return;
    }
    const old = this.#active;
    this.#active = pool;
    this.#finishHandover();
    if (old !== undefined && this.#handoverMs > 0) {
      const timer = unrefTimer(() => this.#finishHandover(), this.#handoverMs);
      this.#handover = { from: old, startedAt: Date.now(), timer };
    } else if (old !== undefined) {
      this.#retire(old);
    }
    this.#emit('swap', { from: old?.credentials.generation ?? 0, to: credentials.generation });
  }

  #createPool(credentials: Credentials, context = buildSecureContext(credentials, this.#versions)): Pool {
    const base = buildConnector({
      ...resolveTlsVersions(this.#versions),
      secureContext: context,
      rejectUnauthorized: this.#rejectUnauthorized,
      ...(this.#checkServerIdentity === undefined ? {} : { checkServerIdentity: this.#checkServerIdentity }),
      ...(this.#connectTimeoutMs === undefined ? {} : { timeout: this.#connectTimeoutMs }),
    } as buildConnector.BuildOptions);
    // One connector (and so one TLS session cache) per pool: a session never resumes
    // under another identity. A draining pool that still opens a connection (for requests
    // queued before the swap) borrows the active pool's connector, so every connection
    // opened after a swap presents the new identity.
    const connect: buildConnector.connector = (opts, callback) => {
      const target = this.#active !== undefined && !this.#closed ? this.#active : pool;
      const generation = target.credentials.generation;
      target.connector(opts, (err, socket) => {
        if (err === null && socket !== null)
          this.#emit('socket', { generation, socket: socket as TLSSocket });
        callback(err as never, socket as never);
      });
    };
    const origins = new Set<Dispatcher>();
    const factory = (origin: string | URL, opts: object): Dispatcher => {
      const d: Dispatcher =
        (opts as { connections?: number }).connections === 1
          ? new Client(origin, opts)
          : new UndiciPool(origin, opts);
      origins.add(d);
      return d;
    };
    const agent = new Agent({ ...this.#agentOptions, connect, factory });
    const pool: Pool = { credentials, agent, origins, connector: base, createdAt: Date.now() };
    if (this.#maxAge !== undefined) {
      pool.ageTimer = unrefTimer(() => this.#refresh(pool, context), this.#maxAge);
    }
    return pool;
  }

  /** maxConnectionAgeMs: same identity, fresh connections. */
  #refresh(pool: Pool, context: ReturnType<typeof buildSecureContext>): void {
    if (this.#closed || this.#active !== pool) return;
    const next = this.#createPool(pool.credentials, context);
    this.#active = next;
    this.#retire(pool);
  }

  #finishHandover(): void {
    const handover = this.#handover;
    if (handover === undefined) return;
    this.#handover = undefined;
    clearTimeout(handover.timer);
    this.#retire(handover.from);
  }

  #retire(pool: Pool): void {
    clearTimeout(pool.ageTimer);
    this.#draining.add(pool);
    const untilExpiry = pool.credentials.notAfter.getTime() - Date.now();
    const deadline = Math.max(0, Math.min(this.#drainTimeoutMs, untilExpiry));
    pool.deadline = unrefTimer(() => {
      const err = new MtlsError(
        'ERR_MTLS_DRAIN_TIMEOUT',
        `Credentials generation ${pool.credentials.generation} was retired and its request outlived the drain deadline (drainTimeoutMs or certificate expiry); raise drainTimeoutMs for long requests.`,
      );
      for (const d of pool.origins) d.destroy(err).catch(() => undefined);
      pool.agent.destroy(err).catch(() => undefined);
    }, deadline);
    // close() lets in-flight and queued requests finish, then closes the sockets.
    pool.agent.close().then(
      () => {
        clearTimeout(pool.deadline);
        this.#draining.delete(pool);
        this.#emit('drained', { generation: pool.credentials.generation });
      },
      () => this.#draining.delete(pool),
    );
  }

  #wrap(handler: AnyHandler, pool: Pool): Dispatcher.DispatchHandler {
    // One small delegate per request instead of a Proxy (whose trap ran for every chunk and
    // cost about a tenth of keep-alive throughput). undici picks its handler API by which
    // callbacks exist, so the delegate offers exactly the API the handler implements.
    const generation = pool.credentials.generation;
    const delegate =
      typeof handler.onRequestStart === 'function'
        ? new ModernDelegate(handler, generation)
        : new LegacyDelegate(handler, generation);
    return delegate as unknown as Dispatcher.DispatchHandler;
  }
}

type Callback = (...args: unknown[]) => unknown;
const call = (h: AnyHandler, key: string, a?: unknown, b?: unknown, c?: unknown, d?: unknown): unknown =>
  ((h as unknown as Record<string, Callback | undefined>)[key] as Callback | undefined)?.call(h, a, b, c, d);

function translate(err: Error, generation: number): Error {
  const out = explainTlsFailure(err, { generation });
  return out instanceof Error ? out : err;
}

/** Delegates undici 7's controller-based handler API, translating TLS failures. */
class ModernDelegate {
  constructor(
    private readonly h: AnyHandler,
    private readonly generation: number,
  ) {}
  onRequestStart(controller: unknown, context: unknown): unknown {
    return call(this.h, 'onRequestStart', controller, context);
  }
  onRequestUpgrade(controller: unknown, statusCode: unknown, headers: unknown, socket: unknown): unknown {
    return call(this.h, 'onRequestUpgrade', controller, statusCode, headers, socket);
  }
  onResponseStart(
    controller: unknown,
    statusCode: unknown,
    headers: unknown,
    statusMessage: unknown,
  ): unknown {
    return call(this.h, 'onResponseStart', controller, statusCode, headers, statusMessage);
  }
  onResponseData(controller: unknown, chunk: unknown): unknown {
    return call(this.h, 'onResponseData', controller, chunk);
  }
  onResponseEnd(controller: unknown, trailers: unknown): unknown {
    return call(this.h, 'onResponseEnd', controller, trailers);
  }
  onResponseError(controller: unknown, err: Error): unknown {
    return call(this.h, 'onResponseError', controller, translate(err, this.generation));
  }
}

/** Delegates undici's legacy callback handler API, translating TLS failures. */
class LegacyDelegate {
  constructor(
    private readonly h: AnyHandler,
    private readonly generation: number,
  ) {
    // Optional callbacks exist on the delegate only when the handler has them: undici
    // checks for onUpgrade (upgrade requests) and calls onBodySent / onResponseStarted
    // only when present.
    for (const key of ['onUpgrade', 'onBodySent', 'onResponseStarted'] as const) {
      if (typeof (h as Record<string, unknown>)[key] === 'function') {
        (this as unknown as Record<string, Callback>)[key] = (a?: unknown, b?: unknown, c?: unknown) =>
          call(h, key, a, b, c);
      }
    }
  }
  onConnect(abort: unknown, context: unknown): unknown {
    return call(this.h, 'onConnect', abort, context);
  }
  onHeaders(statusCode: unknown, headers: unknown, resume: unknown, statusText: unknown): unknown {
    return call(this.h, 'onHeaders', statusCode, headers, resume, statusText);
  }
  onData(chunk: unknown): unknown {
    return call(this.h, 'onData', chunk);
  }
  onComplete(trailers: unknown): unknown {
    return call(this.h, 'onComplete', trailers);
  }
  onError(err: Error): unknown {
    return call(this.h, 'onError', translate(err, this.generation));
  }
}

function info(pool: Pool, state: DispatcherGenerationInfo['state']): DispatcherGenerationInfo {
  return { generation: pool.credentials.generation, state, createdAt: new Date(pool.createdAt) };
}

function closedError(): Error {
  const e = new Error('The mTLS dispatcher was closed; create a new one to send requests.');
  (e as { code?: string }).code = 'ERR_MTLS_DISPATCHER_CLOSED';
  return e;
}

function fail(handler: AnyHandler, err: Error): void {
  if (typeof handler.onResponseError === 'function') {
    handler.onResponseError(
      { abort() {}, pause() {}, resume() {}, aborted: true, paused: false, reason: err },
      err,
    );
  } else if (typeof handler.onError === 'function') {
    handler.onError(err);
  }
}

/**
 * Creates an undici `Dispatcher` that always uses the current identity of `source`: one
 * undici `Agent` and one `SecureContext` per credential generation, so TLS sessions never
 * resume across identities. On `update` new requests go to the new generation at once; the
 * old one finishes its in-flight requests (`close()`) and is destroyed after
 * `drainTimeoutMs`, never after its certificate expired. The global dispatcher is never
 * touched; pass this one explicitly. HTTP/1.1 (undici 7). TLS 1.2 is the floor.
 *
 * Events: `swap` `{from, to}`, `drained` `{generation}`, `socket` `{generation, socket}`
 * (a new TLS connection) and `credential-error` (material Node could not load; the old
 * generation stays). A server that rejects the client certificate fails the request with
 * `ERR_MTLS_PEER_REJECTED_CERTIFICATE`.
 *
 * @example
 * ```ts
 * import { request } from 'undici';
 * import { createMtlsDispatcher } from '@mtlskit/node-adapter';
 * const dispatcher = createMtlsDispatcher(source, { drainTimeoutMs: 10_000 });
 * const res = await request('https://api.internal:8443/health', { dispatcher });
 * const viaFetch = await dispatcher.fetch('https://api.internal:8443/health');
 * await dispatcher.close();
 * ```
 */
export function createMtlsDispatcher(
  source: CredentialSource,
  options: MtlsDispatcherOptions = {},
): MtlsDispatcher {
  return new MtlsDispatcher(source, options);
}
