import { MtlsError } from '../errors/mtls-error.js';
import { type HeapNode, MinHeap } from '../lib/min-heap.js';
import { toEpochMs } from '../lib/time-validate.js';
import { type Clock, type ClockTimer, type ClockTimerOptions, MAX_TIMER_DELAY } from './clock.js';

interface FakeTimer extends HeapNode {
  readonly due: number;
  readonly seq: number;
  readonly callback: () => void;
}

/** Options of {@link FakeClock}. */
export interface FakeClockOptions {
  /** Initial wall-clock time. Default `2025-01-01T00:00:00.000Z`. */
  now?: Date | number;
}

// Captured once so that tests which install vi.useFakeTimers() do not stall advanceAsync.
const realSetTimeout = globalThis.setTimeout;

/**
 * A {@link Clock} that only moves when told to, for tests and simulations.
 *
 * It models the two clocks of a real machine: timers run on a monotonic clock that only
 * {@link FakeClock.advance} moves, while {@link FakeClock.setTime} jumps the wall clock
 * (`now()`) without touching pending timers, exactly like a suspended laptop or an NTP
 * step does to `setTimeout`. Delays above {@link MAX_TIMER_DELAY} fire after 1 ms, as in
 * Node, so code that forgets to chain long timers fails its tests.
 *
 * @example
 * ```ts
 * import { FakeClock } from '@mtlskit/core/testing';
 * const clock = new FakeClock({ now: new Date('2025-01-01T00:00:00Z') });
 * clock.setTimeout(() => console.log('one hour later'), 3_600_000);
 * clock.advance(3_600_000); // logs, returns 1 (timers fired)
 * ```
 */
export class FakeClock implements Clock {
  #monotonic = 0;
  #wallOffset: number;
  #seq = 0;
  #maxPending = 0;
  readonly #timers = new MinHeap<FakeTimer>((a, b) => a.due < b.due || (a.due === b.due && a.seq < b.seq));

  constructor(options: FakeClockOptions = {}) {
    this.#wallOffset = options.now === undefined ? Date.UTC(2025, 0, 1) : toEpochMs('now', options.now);
  }

  /** Wall-clock time in ms since the epoch. */
  now(): number {
    return this.#monotonic + this.#wallOffset;
  }

  /** Wall-clock time as a `Date`. */
  date(): Date {
    return new Date(this.now());
  }

  /** Monotonic milliseconds elapsed since the clock was created (what timers run on). */
  get monotonic(): number {
    return this.#monotonic;
  }

  /** Number of timers waiting to fire. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** The largest {@link FakeClock.pendingTimers} seen since creation or {@link FakeClock.resetMaxPendingTimers}. */
  get maxPendingTimers(): number {
    return this.#maxPending;
  }

  /** Monotonic ms until the next timer fires, or `undefined` when none is pending. */
  get nextTimerDelay(): number | undefined {
    const next = this.#timers.peek();
    return next === undefined ? undefined : next.due - this.#monotonic;
  }

  resetMaxPendingTimers(): void {
    this.#maxPending = this.#timers.size;
  }

  setTimeout(callback: () => void, delay: number, _options?: ClockTimerOptions): ClockTimer {
    // Same coercion as Node: NaN, < 1 and > 2^31-1 all become 1 ms.
    const ms = delay >= 1 && delay <= MAX_TIMER_DELAY ? delay : 1;
    const timer: FakeTimer = {
      due: this.#monotonic + ms,
      seq: this.#seq++,
      callback,
      heapIndex: -1,
    };
    this.#timers.push(timer);
    if (this.#timers.size > this.#maxPending) this.#maxPending = this.#timers.size;
    return timer;
  }

  clearTimeout(timer: ClockTimer): void {
    if (typeof timer === 'object' && timer !== null && 'heapIndex' in timer) {
      this.#timers.remove(timer as FakeTimer);
    }
  }

  /**
   * Moves both clocks forward by `ms`, firing every timer that falls due on the way in
   * order (including timers those callbacks set). Returns the number of timers fired.
   */
  advance(ms: number): number {
    const target = this.#monotonic + this.#checkStep(ms);
    let fired = 0;
    for (let t = this.#timers.peek(); t !== undefined && t.due <= target; t = this.#timers.peek()) {
      this.#fire(t);
      fired++;
    }
    this.#monotonic = target;
    return fired;
  }

  /**
   * Like {@link FakeClock.advance}, but lets promise callbacks run after every timer, for
   * code that awaits between timers (retry loops).
   */
  async advanceAsync(ms: number): Promise<number> {
    const target = this.#monotonic + this.#checkStep(ms);
    let fired = 0;
    await flush();
    for (let t = this.#timers.peek(); t !== undefined && t.due <= target; t = this.#timers.peek()) {
      this.#fire(t);
      fired++;
      await flush();
    }
    this.#monotonic = target;
    return fired;
  }

  /** Advances to the next pending timer and fires it. Returns false when none is pending. */
  runNext(): boolean {
    const t = this.#timers.peek();
    if (t === undefined) return false;
    this.#fire(t);
    return true;
  }

  /**
   * Fires timers until none is pending, advancing time as needed. Throws when more than
   * `limit` timers fire, which means something reschedules forever.
   */
  runAll(limit = 1_000_000): number {
    let fired = 0;
    while (this.runNext()) {
      if (++fired > limit) {
        throw new MtlsError(
          'ERR_MTLS_FAKE_CLOCK_LOOP',
          `FakeClock.runAll() fired more than ${limit} timers.`,
          {
            details: { limit },
          },
        );
      }
    }
    return fired;
  }

  /**
   * Jumps the wall clock to `time` without firing or moving any timer, as a suspended
   * machine or a clock step does. Timers still fire after their monotonic delay.
   */
  setTime(time: Date | number): void {
    this.#wallOffset = toEpochMs('time', time) - this.#monotonic;
  }

  #checkStep(ms: number): number {
    if (!(typeof ms === 'number' && Number.isFinite(ms) && ms >= 0)) {
      throw new TypeError(`ms must be a finite number >= 0, got ${String(ms)}.`);
    }
    return ms;
  }

  #fire(timer: FakeTimer): void {
    this.#timers.remove(timer);
    if (timer.due > this.#monotonic) this.#monotonic = timer.due;
    timer.callback();
  }
}

function flush(): Promise<void> {
  return new Promise((resolve) => realSetTimeout(resolve, 0));
}
