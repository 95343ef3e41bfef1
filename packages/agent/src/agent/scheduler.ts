import { type Clock, type ClockTimer, MAX_TIMER_DELAY } from '@mtlskit/core';

/** The agent's timed tasks. */
export type Task = 'enroll' | 'renew' | 'heartbeat' | 'expiring' | 'expired';

// Expiry first: a renewal due at the same moment must see the right state.
const ORDER: Record<Task, number> = { expired: 0, expiring: 1, enroll: 2, renew: 3, heartbeat: 4 };

/** Options of {@link Scheduler}. */
export interface SchedulerOptions {
  clock: Clock;
  /** The wall clock is re-checked at least this often (sleep, clock jumps). */
  wallClockCheckMs: number;
  /** A pending timer keeps the process alive. */
  keepAlive: boolean;
  run(task: Task): void;
}

/**
 * One timer for every task of an agent: it fires at the earliest deadline, re-checked
 * against the wall clock at least every `wallClockCheckMs`, chained past Node's 2^31−1 ms
 * limit. Deadlines are wall-clock instants, so a suspended machine catches up on wake.
 */
export class Scheduler {
  readonly #o: SchedulerOptions;
  readonly #deadlines = new Map<Task, number>();
  #timer: ClockTimer | undefined;
  #timerDue: number | undefined;
  #stopped = false;

  constructor(options: SchedulerOptions) {
    this.#o = options;
  }

  /** Plans `task` at the wall-clock instant `at` (replacing an earlier plan of it). */
  schedule(task: Task, at: number): void {
    if (this.#stopped) return;
    this.#deadlines.set(task, at);
    this.#arm();
  }

  cancel(...tasks: Task[]): void {
    for (const t of tasks) this.#deadlines.delete(t);
    this.#arm();
  }

  has(task: Task): boolean {
    return this.#deadlines.has(task);
  }

  /** When `task` is planned, if it is. */
  at(task: Task): Date | undefined {
    const v = this.#deadlines.get(task);
    return v === undefined ? undefined : new Date(v);
  }

  /** Forgets every task (the scheduler stays usable). */
  clear(): void {
    this.#deadlines.clear();
    this.#clearTimer();
  }

  /** Forgets every task and refuses new ones. */
  stop(): void {
    this.#stopped = true;
    this.clear();
  }

  #arm(): void {
    if (this.#stopped || this.#deadlines.size === 0) {
      this.#clearTimer();
      return;
    }
    const next = Math.min(...this.#deadlines.values());
    const now = this.#o.clock.now();
    const delay = Math.max(0, Math.min(next - now, this.#o.wallClockCheckMs, MAX_TIMER_DELAY));
    const due = now + delay;
    if (this.#timer !== undefined && this.#timerDue !== undefined && this.#timerDue <= due) return;
    this.#clearTimer();
    this.#timerDue = due;
    this.#timer = this.#o.clock.setTimeout(() => this.#tick(), Math.max(1, delay), {
      unref: !this.#o.keepAlive,
    });
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = undefined;
  }

  #tick(): void {
    this.#timer = undefined;
    this.#timerDue = undefined;
    if (this.#stopped) return;
    const now = this.#o.clock.now();
    const due = [...this.#deadlines].filter(([, at]) => at <= now).map(([t]) => t);
    for (const task of due) this.#deadlines.delete(task);
    for (const task of due.sort((a, b) => ORDER[a] - ORDER[b])) this.#o.run(task);
    this.#arm();
  }
}
