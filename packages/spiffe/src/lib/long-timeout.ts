import { type Clock, type ClockTimer, MAX_TIMER_DELAY } from '@mtlskit/core';

/**
 * Runs `fn` once the wall clock reaches `at`, chaining timers longer than Node's 2^31−1 ms
 * limit and re-checking the wall clock on every hop (a suspended laptop or a clock step
 * moves "now" without moving timers). Returns a cancel function.
 */
export function runAt(clock: Clock, at: number, fn: () => void): () => void {
  let handle: ClockTimer | undefined;
  let cancelled = false;
  const arm = (): void => {
    if (cancelled) return;
    const left = at - clock.now();
    if (left <= 0) {
      handle = undefined;
      fn();
      return;
    }
    handle = clock.setTimeout(arm, Math.min(left, MAX_TIMER_DELAY), { unref: true });
  };
  arm();
  return () => {
    cancelled = true;
    if (handle !== undefined) clock.clearTimeout(handle);
  };
}
