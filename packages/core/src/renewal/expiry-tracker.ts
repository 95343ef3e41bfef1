import { EventEmitter } from 'eventemitter3';
import { MtlsError } from '../errors/mtls-error.js';
import { LongTimer } from '../lib/long-timer.js';
import { type HeapNode, MinHeap } from '../lib/min-heap.js';
import { renewalPoint } from '../lib/renewal-point.js';
import { reportUnhandled } from '../lib/renewal-report.js';
import { describe, durationOption, functionOption, numberOption, toEpochMs } from '../lib/time-validate.js';
import { type Clock, systemClock } from '../time/clock.js';
import type { RenewalHints, RenewalTimeOptions } from './compute-renewal-time.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MAX_THRESHOLDS = 24;

/**
 * What {@link ExpiryTracker} accepts per id: anything with `notAfter` (and ideally
 * `notBefore`, e.g. parsed certificates or `Credentials`), or just the `notAfter` itself.
 */
export type TrackedCertificate =
  | { readonly notBefore?: Date | number; readonly notAfter: Date | number }
  | Date
  | number;

/** The kinds of event an {@link ExpiryTracker} emits per certificate. */
export type ExpiryEventType = 'renew' | 'expiring' | 'expired';

/** Fields common to every tracker event. */
export interface ExpiryEventBase<C> {
  type: ExpiryEventType;
  /** The id given to `track`. */
  id: string;
  /** The value given to `track`/`replace`, unchanged. */
  certificate: C;
  /** When the event was due. */
  scheduledAt: Date;
  /** How late it fired, in ms (large after a suspended machine or a clock jump). */
  lateByMs: number;
  notAfter: Date;
  /** Milliseconds left until `notAfter` when the event fired; negative once expired. */
  remainingMs: number;
}

/** Emitted once at the renewal time. */
export interface RenewEvent<C> extends ExpiryEventBase<C> {
  type: 'renew';
}

/** Emitted once per threshold, when less than `threshold` ms of validity remain. */
export interface ExpiringEvent<C> extends ExpiryEventBase<C> {
  type: 'expiring';
  /** The threshold crossed, in ms before `notAfter`. */
  thresholdMs: number;
}

/** Emitted once at `notAfter`. */
export interface ExpiredEvent<C> extends ExpiryEventBase<C> {
  type: 'expired';
}

/** Any event of an {@link ExpiryTracker}. */
export type ExpiryEvent<C> = RenewEvent<C> | ExpiringEvent<C> | ExpiredEvent<C>;

/** The typed event map of {@link ExpiryTracker}. */
export interface ExpiryTrackerEvents<C> {
  renew: (event: RenewEvent<C>) => void;
  expiring: (event: ExpiringEvent<C>) => void;
  expired: (event: ExpiredEvent<C>) => void;
  /** A listener threw (`ERR_MTLS_LISTENER_FAILED`). Without a listener it becomes a process warning. */
  error: (error: MtlsError) => void;
}

/** The next event a tracker will emit, from {@link ExpiryTracker.nextEvent}. */
export interface ScheduledExpiryEvent {
  type: ExpiryEventType;
  id: string;
  at: Date;
  /** For `expiring`: the threshold in ms. */
  thresholdMs?: number;
}

/** A tracked certificate as seen by {@link ExpiryTracker.get}. */
export interface TrackedEntry<C> {
  id: string;
  certificate: C;
  notAfter: Date;
  renewAt: Date;
  /** The next event of this certificate, if any is left. */
  next: ScheduledExpiryEvent | undefined;
}

/** Per-certificate options of `track`/`replace`. */
export interface TrackOptions {
  /** Renew at this exact time instead of computing it. Default: computed with the tracker's `renewal` options. */
  renewAt?: Date | number;
  /** Server hints for {@link computeRenewalTime}. Default: none. */
  hints?: RenewalHints;
}

/** Options of {@link ExpiryTracker}. */
export interface ExpiryTrackerOptions {
  /** Default {@link systemClock}. */
  clock?: Clock;
  /** When to emit `expiring`, in ms before `notAfter`. Default `[7 days, 1 day, 1 hour]`. */
  thresholdsMs?: readonly number[];
  /** How renewal times are computed. Default `{ fraction: 2/3, jitter: 0.1, random: Math.random }`. */
  renewal?: Pick<RenewalTimeOptions, 'fraction' | 'jitter' | 'random'>;
  /**
   * Longest time between two looks at the wall clock, in ms. Timers run on monotonic time,
   * so after a suspend or a clock step only this re-check notices that events are due.
   * Default `60_000`.
   */
  recheckIntervalMs?: number;
  /** Let the process exit while the tracker waits (Node `unref`). Default `false`. */
  unref?: boolean;
}

interface Entry<C> extends HeapNode {
  readonly id: string;
  certificate: C;
  notAfter: number;
  renewAt: number;
  /** Bit 0: renew; bit i+1: thresholds[i] (longest first); last bit: expired. */
  fired: number;
  due: number;
  seq: number;
}

/**
 * Watches any number of certificates and emits `renew` at each one's renewal time,
 * `expiring` at each threshold (7 d, 1 d, 1 h by default) and `expired` at `notAfter`.
 *
 * One timer serves the whole set (a binary heap orders the next event of every
 * certificate), chained past the 2^31−1 ms timer limit, and the wall clock is re-checked
 * at least every `recheckIntervalMs` so a suspended or adjusted clock fires late events at
 * once rather than never. Each (certificate, event) fires at most once; events that fell
 * due together fire in time order. When a certificate is tracked, thresholds already
 * passed collapse into the most urgent one (none if it has expired), and thresholds not
 * shorter than its lifetime are skipped, so a fresh 24 h certificate does not announce
 * "expiring within 1 day".
 *
 * A throwing listener does not stop the tracker or the other listeners; it becomes an
 * `error` event, or a process warning when nobody listens for `error`.
 *
 * @example
 * ```ts
 * import { ExpiryTracker } from '@mtlskit/core';
 * const tracker = new ExpiryTracker();
 * tracker.on('renew', ({ id }) => void renew(id));
 * tracker.on('expiring', ({ id, remaining }) => log.warn(`${id} expires in ${remaining} ms`));
 * tracker.track('api-client', { notBefore: cert.notBefore, notAfter: cert.notAfter });
 * // after renewal:
 * tracker.replace('api-client', newCert);
 * ```
 */
export class ExpiryTracker<C extends TrackedCertificate = TrackedCertificate> extends EventEmitter<
  ExpiryTrackerEvents<C>
> {
  readonly #clock: Clock;
  readonly #thresholds: readonly number[];
  readonly #fraction: number;
  readonly #jitter: number;
  readonly #random: () => number;
  readonly #recheck: number;
  readonly #expiredBit: number;
  readonly #entries = new Map<string, Entry<C>>();
  readonly #heap = new MinHeap<Entry<C>>((a, b) => a.due < b.due || (a.due === b.due && a.seq < b.seq));
  readonly #timer: LongTimer;
  #timerAt = Number.POSITIVE_INFINITY;
  #seq = 0;
  #dispatching = false;
  #closed = false;

  constructor(options: ExpiryTrackerOptions = {}) {
    super();
    this.#clock = options.clock ?? systemClock;
    this.#thresholds = validateThresholds(options.thresholdsMs);
    const renewal = options.renewal ?? {};
    this.#fraction = numberOption('renewal.fraction', renewal.fraction, 2 / 3, {
      min: 0,
      max: 1,
      minExclusive: true,
    });
    this.#jitter = numberOption('renewal.jitter', renewal.jitter, 0.1, { min: 0, max: this.#fraction });
    this.#random = functionOption('renewal.random', renewal.random, Math.random);
    this.#recheck = durationOption('recheckIntervalMs', options.recheckIntervalMs, 60_000, {
      min: 1,
      allowInfinity: true,
    });
    this.#timer = new LongTimer(this.#clock, () => this.#onTimer(), { unref: options.unref === true });
    this.#expiredBit = 2 ** (this.#thresholds.length + 1);
  }

  /** Number of tracked certificates. */
  get size(): number {
    return this.#entries.size;
  }

  /** Whether {@link ExpiryTracker.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The `expiring` thresholds in ms, longest first. */
  get thresholdsMs(): readonly number[] {
    return this.#thresholds;
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  /** The state of one tracked certificate, or `undefined`. */
  get(id: string): TrackedEntry<C> | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    return {
      id,
      certificate: entry.certificate,
      notAfter: new Date(entry.notAfter),
      renewAt: new Date(entry.renewAt),
      next: this.#describeNext(entry),
    };
  }

  /**
   * Starts tracking `certificate` under `id`.
   *
   * @throws {MtlsError} `ERR_MTLS_ALREADY_TRACKED` when `id` is tracked (use `replace`),
   *   `ERR_MTLS_TRACKER_CLOSED` after `close()`.
   */
  track(id: string, certificate: C, options: TrackOptions = {}): this {
    this.#assertOpen();
    if (this.#entries.has(id)) {
      throw new MtlsError(
        'ERR_MTLS_ALREADY_TRACKED',
        `"${id}" is already tracked; use replace() to swap it.`,
        {
          details: { id },
        },
      );
    }
    const entry: Entry<C> = {
      id,
      certificate,
      notAfter: 0,
      renewAt: 0,
      fired: 0,
      due: 0,
      seq: 0,
      heapIndex: -1,
    };
    this.#load(entry, certificate, options);
    this.#entries.set(id, entry);
    this.#place(entry);
    return this;
  }

  /**
   * Swaps the certificate tracked under `id` (after a renewal) and starts its events
   * afresh; tracks it when `id` was not tracked. Returns whether a certificate was replaced.
   */
  replace(id: string, certificate: C, options: TrackOptions = {}): boolean {
    this.#assertOpen();
    const entry = this.#entries.get(id);
    if (entry === undefined) {
      this.track(id, certificate, options);
      return false;
    }
    this.#load(entry, certificate, options);
    this.#place(entry);
    return true;
  }

  /** Stops tracking `id`; its pending events never fire. Returns whether it was tracked. */
  untrack(id: string): boolean {
    const entry = this.#entries.get(id);
    if (entry === undefined) return false;
    this.#entries.delete(id);
    this.#heap.remove(entry);
    if (this.#heap.size === 0) this.#cancelTimer();
    return true;
  }

  /** The next event across all certificates, or `undefined` when nothing is pending. */
  nextEvent(): ScheduledExpiryEvent | undefined {
    const top = this.#heap.peek();
    return top === undefined ? undefined : this.#describeNext(top);
  }

  /** Stops the timer, forgets every certificate and removes all listeners. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#cancelTimer();
    this.#heap.clear();
    this.#entries.clear();
    this.removeAllListeners();
  }

  #assertOpen(): void {
    if (this.#closed) throw new MtlsError('ERR_MTLS_TRACKER_CLOSED', 'The ExpiryTracker was closed.');
  }

  #load(entry: Entry<C>, certificate: C, options: TrackOptions): void {
    const now = this.#clock.now();
    let notAfter: number;
    let notBefore: number | undefined;
    if (typeof certificate === 'object' && certificate !== null && !(certificate instanceof Date)) {
      notAfter = toEpochMs('notAfter', certificate.notAfter);
      if (certificate.notBefore !== undefined) notBefore = toEpochMs('notBefore', certificate.notBefore);
    } else if (certificate instanceof Date || typeof certificate === 'number') {
      notAfter = toEpochMs('notAfter', certificate);
    } else {
      throw new TypeError(
        `certificate must have notAfter or be a Date or number, got ${describe(certificate)}.`,
      );
    }
    if (notBefore !== undefined && notAfter <= notBefore) {
      throw new RangeError(`notAfter of "${entry.id}" must be after its notBefore.`);
    }
    let renewAt: number;
    if (options.renewAt !== undefined) {
      renewAt = toEpochMs('renewAt', options.renewAt);
    } else if ((notBefore ?? now) < notAfter) {
      // Without notBefore the lifetime is counted from now: renew at 2/3 of what is left.
      const hints = options.hints;
      renewAt = renewalPoint(
        notBefore ?? now,
        notAfter,
        now,
        this.#fraction,
        this.#jitter,
        this.#random,
        hints?.renewAfter === undefined ? undefined : toEpochMs('hints.renewAfter', hints.renewAfter),
        hints?.renewBefore === undefined ? undefined : toEpochMs('hints.renewBefore', hints.renewBefore),
      );
    } else {
      renewAt = now;
    }
    entry.certificate = certificate;
    entry.notAfter = notAfter;
    entry.renewAt = renewAt;
    entry.seq = this.#seq++;
    entry.fired = this.#initialFired(notAfter, notBefore, now);
    entry.due = this.#nextDue(entry);
  }

  /** Marks the thresholds that must never fire for a certificate just handed over. */
  #initialFired(notAfter: number, notBefore: number | undefined, now: number): number {
    let fired = 0;
    let mostUrgentPassed = -1;
    for (let i = 0; i < this.#thresholds.length; i++) {
      const at = notAfter - this.#thresholds[i]!;
      const bit = 2 ** (i + 1);
      if ((notBefore !== undefined && at <= notBefore) || notAfter <= now) fired |= bit;
      else if (at <= now) {
        if (mostUrgentPassed >= 0) fired |= 2 ** (mostUrgentPassed + 1);
        mostUrgentPassed = i;
      }
    }
    return fired;
  }

  /** Time and bit of the earliest unfired event of `entry`, or bit 0 when none is left. */
  #nextOf(entry: Entry<C>): { at: number; bit: number; index: number } {
    let at = Number.POSITIVE_INFINITY;
    let bit = 0;
    let index = -1;
    if ((entry.fired & 1) === 0) {
      at = entry.renewAt;
      bit = 1;
    }
    for (let i = 0; i < this.#thresholds.length; i++) {
      const b = 2 ** (i + 1);
      if ((entry.fired & b) !== 0) continue;
      const t = entry.notAfter - this.#thresholds[i]!;
      if (t < at) {
        at = t;
        bit = b;
        index = i;
      }
    }
    if ((entry.fired & this.#expiredBit) === 0 && entry.notAfter < at) {
      at = entry.notAfter;
      bit = this.#expiredBit;
      index = -1;
    }
    return { at, bit, index };
  }

  #nextDue(entry: Entry<C>): number {
    return this.#nextOf(entry).at;
  }

  #describeNext(entry: Entry<C>): ScheduledExpiryEvent | undefined {
    const { at, bit, index } = this.#nextOf(entry);
    if (bit === 0) return undefined;
    if (bit === 1) return { type: 'renew', id: entry.id, at: new Date(at) };
    if (bit === this.#expiredBit) return { type: 'expired', id: entry.id, at: new Date(at) };
    return { type: 'expiring', id: entry.id, at: new Date(at), thresholdMs: this.#thresholds[index]! };
  }

  /** Puts `entry` where its next event belongs in the heap and re-arms the timer if needed. */
  #place(entry: Entry<C>): void {
    const inHeap = entry.heapIndex >= 0;
    if (entry.due === Number.POSITIVE_INFINITY) {
      if (inHeap) this.#heap.remove(entry);
    } else if (inHeap) this.#heap.update(entry);
    else this.#heap.push(entry);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed || this.#dispatching) return;
    const top = this.#heap.peek();
    if (top === undefined) {
      this.#cancelTimer();
      return;
    }
    const now = this.#clock.now();
    const delay = Math.min(Math.max(0, top.due - now), this.#recheck);
    const at = now + delay;
    // A pending timer that fires no later than needed is kept: re-arming on every track()
    // would cost a clearTimeout/setTimeout pair per certificate.
    if (this.#timer.pending && this.#timerAt <= at) return;
    this.#timerAt = at;
    this.#timer.start(delay);
  }

  #cancelTimer(): void {
    this.#timer.stop();
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  #onTimer(): void {
    this.#timerAt = Number.POSITIVE_INFINITY;
    this.#dispatching = true;
    try {
      const now = this.#clock.now();
      for (let top = this.#heap.peek(); top !== undefined && top.due <= now; top = this.#heap.peek()) {
        const { at, bit, index } = this.#nextOf(top);
        top.fired |= bit;
        top.due = this.#nextDue(top);
        if (top.due === Number.POSITIVE_INFINITY) this.#heap.remove(top);
        else this.#heap.update(top);
        const { id, certificate } = top;
        const scheduledAt = new Date(at);
        const notAfter = new Date(top.notAfter);
        const lateByMs = now - at;
        const remainingMs = top.notAfter - now;
        if (bit === 1) {
          this.#dispatch('renew', {
            type: 'renew',
            id,
            certificate,
            scheduledAt,
            lateByMs,
            notAfter,
            remainingMs,
          });
        } else if (bit === this.#expiredBit) {
          this.#dispatch('expired', {
            type: 'expired',
            id,
            certificate,
            scheduledAt,
            lateByMs,
            notAfter,
            remainingMs,
          });
        } else {
          const thresholdMs = this.#thresholds[index]!;
          const event = {
            type: 'expiring',
            id,
            certificate,
            scheduledAt,
            lateByMs,
            notAfter,
            remainingMs,
            thresholdMs,
          } as const;
          this.#dispatch('expiring', event);
        }
        if (this.#closed) return;
      }
    } finally {
      // Even if something unexpected threw, the next event must still get a timer.
      this.#dispatching = false;
      this.#schedule();
    }
  }

  /**
   * Calls each listener on its own so that one throwing neither skips the others nor
   * unwinds the timer; once-listeners are dropped first, as eventemitter3's emit does.
   */
  #dispatch<E extends 'renew' | 'expiring' | 'expired'>(name: E, event: ExpiryEvent<C>): void {
    for (const fn of this.listeners(name) as ((e: ExpiryEvent<C>) => void)[]) {
      this.removeListener(name, fn as never, undefined, true);
      try {
        fn.call(this, event);
      } catch (cause) {
        this.#fail(
          new MtlsError(
            'ERR_MTLS_LISTENER_FAILED',
            `A "${name}" listener of ExpiryTracker threw for "${event.id}": ${errorMessage(cause)}`,
            { cause, details: { event: name, id: event.id } },
          ),
        );
      }
    }
  }

  #fail(error: MtlsError): void {
    const listeners = this.listeners('error');
    if (listeners.length === 0) {
      reportUnhandled(error);
      return;
    }
    for (const fn of listeners) {
      this.removeListener('error', fn, undefined, true);
      try {
        fn.call(this, error);
      } catch (cause) {
        reportUnhandled(
          new MtlsError(
            'ERR_MTLS_LISTENER_FAILED',
            `An "error" listener of ExpiryTracker threw: ${errorMessage(cause)}`,
            {
              cause,
            },
          ),
        );
      }
    }
  }
}

function errorMessage(value: unknown): string {
  return value instanceof Error ? value.message : String(value);
}

function validateThresholds(value: readonly number[] | undefined): readonly number[] {
  if (value === undefined) return Object.freeze([7 * DAY, DAY, HOUR]);
  if (!Array.isArray(value))
    throw new TypeError(`thresholdsMs must be an array of milliseconds, got ${describe(value)}.`);
  if (value.length > MAX_THRESHOLDS)
    throw new TypeError(`thresholdsMs takes at most ${MAX_THRESHOLDS} values.`);
  const seen = new Set<number>();
  for (const [i, t] of value.entries()) {
    durationOption(`thresholdsMs[${i}]`, t, 0, { min: 1 });
    if (seen.has(t)) throw new TypeError(`thresholdsMs must not repeat a value, ${t} appears twice.`);
    seen.add(t);
  }
  return Object.freeze([...value].sort((a, b) => b - a));
}
