/**
 * The longest delay a JavaScript timer accepts: 2^31−1 ms (about 24.8 days). Node fires
 * a longer timeout after 1 ms instead, so anything longer must be chained.
 *
 * @example
 * ```ts
 * import { MAX_TIMER_DELAY } from '@mtlskit/core';
 * const chunk = Math.min(delay, MAX_TIMER_DELAY);
 * ```
 */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;

/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export type ClockTimer = unknown;

/** Options of {@link Clock.setTimeout}. */
export interface ClockTimerOptions {
  /**
   * Whether the pending timer may let the process exit (Node's `timer.unref()`).
   * Default `false`.
   */
  unref?: boolean;
}

/**
 * Where mtlskit reads time and sets timers. Everything time-based takes a `clock` option
 * so tests and simulations run on `FakeClock` (from `@mtlskit/core/testing`) instead of waiting.
 *
 * `now()` is the wall clock (it can jump: NTP, a suspended laptop, a user changing the
 * date) while timers run on monotonic time, exactly like `Date.now()` and `setTimeout`.
 * Code that schedules far ahead must therefore re-check `now()` when a timer fires.
 *
 * @example
 * ```ts
 * import { systemClock, type Clock } from '@mtlskit/core';
 * function remaining(notAfter: Date, clock: Clock = systemClock): number {
 *   return notAfter.getTime() - clock.now();
 * }
 * ```
 */
export interface Clock {
  /** Wall-clock time in milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Calls `callback` once after `delay` ms of monotonic time. `delay` must not exceed
   * {@link MAX_TIMER_DELAY}.
   */
  setTimeout(callback: () => void, delay: number, options?: ClockTimerOptions): ClockTimer;
  /** Cancels a timer; unknown or already fired timers are ignored. */
  clearTimeout(timer: ClockTimer): void;
}

/**
 * The real clock: `Date.now()` and the global timers.
 *
 * @example
 * ```ts
 * import { systemClock } from '@mtlskit/core';
 * const t = systemClock.setTimeout(() => console.log('tick'), 1000, { unref: true });
 * systemClock.clearTimeout(t);
 * ```
 */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout(callback: () => void, delay: number, options?: ClockTimerOptions): ClockTimer {
    const handle = globalThis.setTimeout(callback, delay) as unknown;
    // Browsers and some runtimes return a number without unref().
    if (options?.unref === true) (handle as { unref?: () => unknown }).unref?.();
    return handle;
  },
  clearTimeout(timer: ClockTimer): void {
    globalThis.clearTimeout(timer as Parameters<typeof globalThis.clearTimeout>[0]);
  },
});
