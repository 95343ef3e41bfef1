import {
  describe,
  draw,
  durationOption,
  functionOption,
  numberOption,
  toEpochMs,
} from '../lib/time-validate.js';
import { type Clock, systemClock } from '../time/clock.js';
import { parseRetryAfter } from './parse-retry-after.js';

/** A certificate's end of validity, or a function returning the current one. */
export type ExpirySource = Date | number | (() => Date | number | undefined);

/** Options of {@link createBackoff}. */
export interface BackoffOptions {
  /** Ceiling of the first delay, in ms. Default `1000`. */
  initialDelayMs?: number;
  /** Largest ceiling the exponential growth reaches, in ms. Default `300_000` (5 min). */
  maxDelayMs?: number;
  /** Growth of the ceiling per attempt, >= 1. Default `2`. */
  factor?: number;
  /**
   * Largest share of the time left before `notAfter` that one wait may take, in (0, 1].
   * Applies to `Retry-After` too, so a client never sleeps through its own expiry.
   * Default `0.1`.
   */
  remainingFraction?: number;
  /** When the current certificate expires; without it the expiry cap is off. Default none. */
  notAfter?: ExpirySource;
  /** Random source in [0, 1) for the full jitter. Default `Math.random`. */
  random?: () => number;
  /** Clock used to measure the time left. Default {@link systemClock}. */
  clock?: Clock;
}

/** Per-attempt input of {@link Backoff.next}. */
export interface BackoffNextOptions {
  /**
   * The server's `Retry-After`: milliseconds, a `Date`, or the raw header string
   * (seconds or HTTP-date). The wait is at least this long, unless the expiry cap is shorter.
   */
  retryAfter?: number | Date | string | null | undefined;
  /** Overrides the `notAfter` option for this attempt. */
  notAfter?: Date | number | undefined;
}

/** A retry delay generator. */
export interface Backoff {
  /** The delay in ms to wait before the next attempt; counts one attempt. */
  next(options?: BackoffNextOptions): number;
  /** Starts over from `initialDelayMs`, e.g. after a success. */
  reset(): void;
  /** Number of {@link Backoff.next} calls since creation or the last reset. */
  readonly attempt: number;
}

/**
 * Exponential backoff with full jitter: attempt `n` waits a uniformly random time in
 * `[0, min(maxDelayMs, initialDelayMs * factor^n))`. A `Retry-After` raises the wait to the
 * server's value, and the wait never exceeds `remainingFraction` of the time left before
 * the certificate expires, so retries speed up as expiry nears instead of sleeping past it.
 * Once the certificate has expired the expiry cap no longer applies.
 *
 * @throws {TypeError} when an option is invalid.
 * @example
 * ```ts
 * import { createBackoff } from '@mtlskit/core';
 * const backoff = createBackoff({ notAfter: () => current.notAfter });
 * for (;;) {
 *   const res = await renew();
 *   if (res.ok) { backoff.reset(); break; }
 *   await sleep(backoff.next({ retryAfter: res.headers.get('retry-after') }));
 * }
 * ```
 */
export function createBackoff(options: BackoffOptions = {}): Backoff {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object.');
  const initialDelayMs = durationOption('initialDelayMs', options.initialDelayMs, 1000);
  const maxDelayMs = durationOption('maxDelayMs', options.maxDelayMs, 300_000);
  if (maxDelayMs < initialDelayMs) {
    throw new TypeError(`maxDelayMs (${maxDelayMs}) must be >= initialDelayMs (${initialDelayMs}).`);
  }
  const factor = numberOption('factor', options.factor, 2, { min: 1, max: Number.MAX_VALUE });
  const remainingFraction = numberOption('remainingFraction', options.remainingFraction, 0.1, {
    min: 0,
    max: 1,
    minExclusive: true,
  });
  const random = functionOption('random', options.random, Math.random);
  const clock = options.clock ?? systemClock;
  if (typeof clock.now !== 'function') throw new TypeError('clock must implement now().');
  const expiry = options.notAfter;
  if (expiry !== undefined && typeof expiry !== 'function') toEpochMs('notAfter', expiry);

  let attempt = 0;
  const resolveExpiry = (override: Date | number | undefined): number | undefined => {
    if (override !== undefined) return toEpochMs('notAfter', override);
    if (expiry === undefined) return undefined;
    const value = typeof expiry === 'function' ? expiry() : expiry;
    return value === undefined ? undefined : toEpochMs('notAfter', value);
  };

  return {
    next(nextOptions: BackoffNextOptions = {}): number {
      const now = clock.now();
      const ceiling = initialDelayMs === 0 ? 0 : Math.min(maxDelayMs, initialDelayMs * factor ** attempt);
      attempt++;
      let delay = draw(random) * ceiling;
      const retryAfter = retryAfterMs(nextOptions.retryAfter, now);
      if (retryAfter !== undefined && retryAfter > delay) delay = retryAfter;
      const notAfter = resolveExpiry(nextOptions.notAfter);
      if (notAfter !== undefined && notAfter > now)
        delay = Math.min(delay, remainingFraction * (notAfter - now));
      return Math.floor(delay);
    },
    reset(): void {
      attempt = 0;
    },
    get attempt(): number {
      return attempt;
    },
  };
}

function retryAfterMs(value: BackoffNextOptions['retryAfter'], now: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return parseRetryAfter(value, { now });
  if (value instanceof Date) return Math.max(0, toEpochMs('retryAfter', value) - now);
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  throw new TypeError(`retryAfter must be ms >= 0, a Date or a Retry-After header, got ${describe(value)}.`);
}
