import { type Clock, type ClockTimer, MAX_TIMER_DELAY } from '../time/clock.js';

/**
 * One re-armable timeout that may be longer than {@link MAX_TIMER_DELAY}: Node fires longer
 * timeouts after 1 ms, so the delay is chained in chunks. Re-arming reuses the same
 * callback, which matters for a tracker that re-arms once per event.
 */
export class LongTimer {
  readonly #clock: Clock;
  readonly #callback: () => void;
  readonly #options: { unref: boolean };
  readonly #onChunk = (): void => {
    this.#handle = undefined;
    if (this.#remaining > 0) {
      this.#arm();
      return;
    }
    this.#pending = false;
    this.#callback();
  };
  #handle: ClockTimer | undefined;
  #remaining = 0;
  #pending = false;

  constructor(clock: Clock, callback: () => void, options: { unref?: boolean } = {}) {
    this.#clock = clock;
    this.#callback = callback;
    this.#options = { unref: options.unref === true };
  }

  /** Whether the callback is still to run. */
  get pending(): boolean {
    return this.#pending;
  }

  /** (Re)starts the countdown: the callback runs once after `delay` ms of monotonic time. */
  start(delay: number): void {
    this.stop();
    this.#remaining = Math.max(0, delay);
    this.#pending = true;
    this.#arm();
  }

  stop(): void {
    this.#pending = false;
    if (this.#handle !== undefined) {
      this.#clock.clearTimeout(this.#handle);
      this.#handle = undefined;
    }
  }

  #arm(): void {
    const chunk = Math.min(this.#remaining, MAX_TIMER_DELAY);
    this.#remaining -= chunk;
    this.#handle = this.#clock.setTimeout(this.#onChunk, chunk, this.#options);
  }
}
