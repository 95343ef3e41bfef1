import type { RouteName } from './types.js';

/**
 * What {@link BackendFaults.nextRenew} makes the next successful renew return instead of a good certificate.
 *
 * @example
 * ```ts
 * backend.faults.nextRenew('foreign-ca');
 * ```
 */
export type BadRenewal =
  /** A valid certificate from the backend CA, but for a key the agent does not have. */
  | 'wrong-key'
  /** A certificate for the agent's key whose `notAfter` is already in the past. */
  | 'expired'
  /** A certificate for the agent's key signed by another CA, with that CA as `ca_pem`. */
  | 'foreign-ca';

/**
 * Options of {@link BackendFaults.rateLimit} and {@link BackendFaults.unavailable}.
 *
 * @example
 * ```ts
 * backend.faults.unavailable('register', { times: 3, retryAfterMs: 2000 });
 * ```
 */
export interface StatusFaultOptions {
  /** How many calls of the route get this answer. Default `1`. */
  times?: number;
  /** Sent as `Retry-After` (whole seconds, rounded up) and `retry_after` in the body. Default `1000`. */
  retryAfterMs?: number;
}

interface StatusFault {
  status: 429 | 503;
  remaining: number;
  retryAfterMs: number;
}

interface CountedFault {
  remaining: number;
}

interface DelayFault extends CountedFault {
  ms: number;
}

function checkTimes(times: number): number {
  if (!(times === Number.POSITIVE_INFINITY || (Number.isInteger(times) && times > 0)))
    throw new RangeError('times must be a positive integer or Infinity');
  return times;
}

/**
 * Fault injection of a {@link TestBackend}: every method arms a fault for the next calls
 * of a route; armed faults are used up in the order they were armed. Faults act before
 * authentication, like a proxy or rate limiter in front of the backend would, except
 * `dropResponseAfterCommit`, which acts only when a call succeeded and its effect was
 * stored.
 *
 * @example
 * ```ts
 * backend.faults.rateLimit('register', { times: 2, retryAfterMs: 1000 }); // two 429s, then normal
 * backend.faults.dropResponseAfterCommit('register');                      // registers, then cuts the socket
 * backend.faults.nextRenew('expired');                                     // next renew: an expired certificate
 * backend.faults.clockOffsetMs = 10 * 60_000;                              // backend runs 10 min ahead
 * ```
 */
export class BackendFaults {
  /**
   * Added to the backend clock for everything it decides by time: token expiry, the
   * validity of presented client certificates and the dates of issued certificates.
   * Default `0`.
   */
  clockOffsetMs = 0;
  readonly #status = new Map<RouteName, StatusFault[]>();
  readonly #drops = new Map<RouteName, CountedFault[]>();
  readonly #delays = new Map<RouteName, DelayFault[]>();
  readonly #badRenewals: BadRenewal[] = [];

  /**
   * The next `times` calls of `route` that succeed are committed (the registration, renewal
   * or heartbeat is stored) and then the socket is destroyed without an answer, as when a
   * response is lost on the way back.
   */
  dropResponseAfterCommit(route: RouteName, times = 1): this {
    push(this.#drops, route, { remaining: checkTimes(times) });
    return this;
  }

  /** The next calls of `route` get `429 Too Many Requests` with `Retry-After`. */
  rateLimit(route: RouteName, options: StatusFaultOptions = {}): this {
    return this.#statusFault(route, 429, options);
  }

  /** The next calls of `route` get `503 Service Unavailable` with `Retry-After`. */
  unavailable(route: RouteName, options: StatusFaultOptions = {}): this {
    return this.#statusFault(route, 503, options);
  }

  /**
   * Holds the next `times` calls of `route` for `ms` real milliseconds before they are
   * handled (default `times`: every call until {@link BackendFaults.clear}).
   */
  delay(route: RouteName, ms: number, options: { times?: number } = {}): this {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError('ms must be a non-negative number');
    push(this.#delays, route, { ms, remaining: checkTimes(options.times ?? Number.POSITIVE_INFINITY) });
    return this;
  }

  /** Makes the next successful renew answer with a bad certificate (nothing is stored). */
  nextRenew(kind: BadRenewal): this {
    if (!['wrong-key', 'expired', 'foreign-ca'].includes(kind))
      throw new TypeError(`unknown bad renewal "${kind}"`);
    this.#badRenewals.push(kind);
    return this;
  }

  /** Disarms every fault and sets {@link BackendFaults.clockOffsetMs} back to 0. */
  clear(): this {
    this.#status.clear();
    this.#drops.clear();
    this.#delays.clear();
    this.#badRenewals.length = 0;
    this.clockOffsetMs = 0;
    return this;
  }

  /** @internal */
  takeDelay(route: RouteName): number {
    return take(this.#delays, route)?.ms ?? 0;
  }

  /** @internal */
  takeStatus(route: RouteName): { status: 429 | 503; retryAfterMs: number } | undefined {
    return take(this.#status, route);
  }

  /** @internal */
  takeDrop(route: RouteName): boolean {
    return take(this.#drops, route) !== undefined;
  }

  /** @internal */
  takeBadRenewal(): BadRenewal | undefined {
    return this.#badRenewals.shift();
  }

  #statusFault(route: RouteName, status: 429 | 503, options: StatusFaultOptions): this {
    const retryAfterMs = options.retryAfterMs ?? 1000;
    if (!(Number.isFinite(retryAfterMs) && retryAfterMs >= 0))
      throw new RangeError('retryAfterMs must be a non-negative number');
    push(this.#status, route, { status, retryAfterMs, remaining: checkTimes(options.times ?? 1) });
    return this;
  }
}

function push<F>(map: Map<RouteName, F[]>, route: RouteName, fault: F): void {
  const list = map.get(route);
  if (list) list.push(fault);
  else map.set(route, [fault]);
}

function take<F extends CountedFault>(map: Map<RouteName, F[]>, route: RouteName): F | undefined {
  const list = map.get(route);
  const head = list?.[0];
  if (!list || !head) return undefined;
  head.remaining -= 1;
  if (head.remaining <= 0) list.shift();
  return head;
}
