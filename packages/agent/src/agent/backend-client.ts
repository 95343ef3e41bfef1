import { type Clock, type Credentials, isMtlsError, MtlsError } from '@mtlskit/core';
import type { Dispatcher } from 'undici';
import type { BackendAnswer } from '../enrollment/enrollment-strategy.js';
import { type BackendCall, httpError } from '../lib/backend-errors.js';
import { createBackendDispatcher, sendBackendRequest } from '../lib/backend-http.js';
import type { ResolvedAgentConfig } from './resolved-config.js';

/** One backend attempt's cancellation: the agent closing, the total deadline, a caller's signal. */
export interface Attempt {
  readonly signal: AbortSignal;
  /** Wall-clock instant after which the attempt is aborted. */
  readonly deadlineAt: number;
  /** Abandons the attempt now (e.g. its certificate expired under it). */
  abort(reason: Error): void;
  dispose(): void;
}

/** Options of {@link BackendClient.post}. */
export interface PostOptions {
  call: BackendCall;
  headers?: Record<string, string> | undefined;
  signal: AbortSignal;
  /** The certificate presented, for the clock-skew check of a 401 "expired". */
  identityNotAfter?: Date | undefined;
}

/**
 * The agent's transport to its backend: one server-TLS dispatcher for enrollment, one mTLS
 * dispatcher per credential generation (a TLS session is never resumed under another
 * identity), total deadlines, and the last server certificate seen (for the trust-bundle
 * rule of a renewal).
 */
export class BackendClient {
  readonly #c: ResolvedAgentConfig;
  readonly #track: (p: Promise<unknown>) => void;
  #serverTls: Dispatcher | undefined;
  #mtls: { generation: number; dispatcher: Dispatcher } | undefined;
  /** DER of the backend's leaf certificate on the last verified connection. */
  lastServerCertificate: Buffer | undefined;

  constructor(config: ResolvedAgentConfig, track: (p: Promise<unknown>) => void) {
    this.#c = config;
    this.#track = track;
  }

  #seen = (raw: Buffer): void => {
    this.lastServerCertificate = raw;
  };

  server(): Dispatcher {
    this.#serverTls ??= createBackendDispatcher(this.#c.tls, undefined, this.#seen);
    return this.#serverTls;
  }

  mtls(current: Credentials | undefined): Dispatcher {
    if (current === undefined)
      throw new MtlsError('ERR_MTLS_NO_CREDENTIALS', 'The agent has no identity to call the backend with.');
    if (this.#mtls?.generation !== current.generation) {
      const old = this.#mtls;
      this.#mtls = {
        generation: current.generation,
        dispatcher: createBackendDispatcher(this.#c.tls, current, this.#seen),
      };
      if (old !== undefined) this.#track(old.dispatcher.close().catch(() => undefined));
    }
    return this.#mtls.dispatcher;
  }

  /** Closes the mTLS pool (after revocation: the identity must not be presented again). */
  dropMtls(): void {
    const m = this.#mtls;
    this.#mtls = undefined;
    if (m !== undefined) this.#track(m.dispatcher.close().catch(() => undefined));
  }

  /**
   * An attempt that aborts at `min(now + requestTimeoutMs, notAfter)`: a call made with a
   * certificate never outlives it, so expiry is reported on time whatever is in flight.
   */
  attempt(parents: (AbortSignal | undefined)[], notAfter?: Date): Attempt {
    return createAttempt(this.#c.clock, this.#c.requestTimeoutMs, parents, notAfter);
  }

  async post(
    dispatcher: Dispatcher,
    path: string,
    body: unknown,
    options: PostOptions,
  ): Promise<BackendAnswer> {
    const c = this.#c;
    const url = new URL(path, c.backendUrl);
    let res: BackendAnswer;
    try {
      res = await sendBackendRequest(
        dispatcher,
        url,
        {
          method: 'POST',
          body,
          ...(options.headers === undefined ? {} : { headers: options.headers }),
          signal: options.signal,
          timeoutMs: c.requestTimeoutMs,
          maxResponseBytes: c.maxResponseBytes,
        },
        `The ${options.call} call`,
        c.redactor,
      );
    } catch (e) {
      // The deadline (or a caller) aborted: say that, not "socket closed".
      const reason: unknown = options.signal.reason;
      if (options.signal.aborted && isMtlsError(reason)) throw reason;
      throw e;
    }
    if (res.status < 200 || res.status > 299)
      throw httpError(options.call, res, url, c.redactor, c.clock.now(), options.identityNotAfter);
    return res;
  }

  close(): Promise<unknown> {
    const pools: Promise<unknown>[] = [];
    if (this.#serverTls !== undefined) pools.push(this.#serverTls.close());
    if (this.#mtls !== undefined) pools.push(this.#mtls.dispatcher.close());
    return Promise.allSettled(pools);
  }
}

function createAttempt(
  clock: Clock,
  timeoutMs: number,
  parents: (AbortSignal | undefined)[],
  notAfter: Date | undefined,
): Attempt {
  const now = clock.now();
  const deadlineAt = notAfter === undefined ? now + timeoutMs : Math.min(now + timeoutMs, notAfter.getTime());
  const controller = new AbortController();
  // Network time is real time: the timeout runs on the process's timers. The certificate's
  // end is a wall-clock instant: that bound runs on the agent's clock (fake in tests).
  const timeout = setTimeout(
    () =>
      controller.abort(
        new MtlsError(
          'ERR_MTLS_SERVER_UNAVAILABLE',
          `The backend call did not finish within ${timeoutMs} ms (requestTimeoutMs: connect, headers and body together); it was abandoned and is retried with backoff.`,
          { details: { reason: 'deadline', timeoutMs } },
        ),
      ),
    timeoutMs,
  );
  timeout.unref();
  // Only when the certificate ends before the timeout would fire (and within a timer's range).
  const expiry =
    notAfter === undefined || notAfter.getTime() - now >= timeoutMs
      ? undefined
      : clock.setTimeout(
          () =>
            controller.abort(
              new MtlsError(
                'ERR_MTLS_SERVER_UNAVAILABLE',
                `The backend call did not finish before the certificate it presents expired (${notAfter.toISOString()}); it was abandoned.`,
                { details: { reason: 'deadline', notAfter: notAfter.toISOString() } },
              ),
            ),
          Math.max(1, notAfter.getTime() - now),
          { unref: true },
        );
  // Not AbortSignal.any(): on Node 20 it keeps a WeakRef per combined signal in the
  // long-lived parent (the agent's own signal) until that aborts — one per call, forever.
  const unlink: (() => void)[] = [];
  for (const parent of parents) {
    if (parent === undefined) continue;
    if (parent.aborted) {
      controller.abort(parent.reason);
      break;
    }
    const onAbort = (): void => controller.abort(parent.reason);
    parent.addEventListener('abort', onAbort, { once: true });
    unlink.push(() => parent.removeEventListener('abort', onAbort));
  }
  return {
    signal: controller.signal,
    deadlineAt,
    abort: (reason) => controller.abort(reason),
    dispose: () => {
      clearTimeout(timeout);
      if (expiry !== undefined) clock.clearTimeout(expiry);
      for (const u of unlink.splice(0)) u();
    },
  };
}
