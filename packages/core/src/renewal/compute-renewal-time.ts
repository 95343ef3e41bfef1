import { renewalPoint } from '../lib/renewal-point.js';
import { functionOption, numberOption, toEpochMs } from '../lib/time-validate.js';
import { type Clock, systemClock } from '../time/clock.js';

/** The validity period of a certificate (`Date` or epoch milliseconds). */
export interface ValidityPeriod {
  notBefore: Date | number;
  notAfter: Date | number;
}

/** Renewal hints sent by a backend (`renew_after`, `renew_before`). */
export interface RenewalHints {
  /** Renew at this time (or, with `renewBefore`, not before it). Ignored outside the lifetime. */
  renewAfter?: Date | number | undefined;
  /** Renew no later than this time. Ignored outside the lifetime. */
  renewBefore?: Date | number | undefined;
}

/** Options of {@link computeRenewalTime}. */
export interface RenewalTimeOptions {
  /** Share of the lifetime after which to renew, in (0, 1]. Default `2/3`. */
  fraction?: number;
  /**
   * Largest share of the lifetime taken off the renewal point at random, in [0, fraction],
   * so that certificates issued together do not renew together. Default `0.1`.
   */
  jitter?: number;
  /** Random source in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** Server hints; they win over the computed point while they fall inside the lifetime. */
  hints?: RenewalHints | undefined;
  /** The current time; a renewal point before it becomes `now`. Default `clock.now()`. */
  now?: Date | number;
  /** Clock read when `now` is not given. Default {@link systemClock}. */
  clock?: Clock;
}

/**
 * When to renew a certificate: at `fraction` (2/3) of its lifetime minus a uniformly random
 * share of up to `jitter` (10%) of the lifetime, so never later than the 2/3 point.
 *
 * Server hints win while they fall inside `[notBefore, notAfter)`: with both `renewAfter`
 * and `renewBefore` a uniformly random point of that window is chosen (spreading a fleet
 * like ACME ARI); `renewAfter` alone is used as is; `renewBefore` alone only pulls a later
 * computed point back inside the deadline (with jitter). An inverted window is ignored.
 * A point already passed means "now".
 *
 * @throws {TypeError} when an option or date is invalid.
 * @throws {RangeError} when `notAfter` is not after `notBefore`.
 * @example
 * ```ts
 * import { computeRenewalTime } from '@mtlskit/core';
 * const at = computeRenewalTime(
 *   { notBefore: cert.notBefore, notAfter: cert.notAfter },
 *   { hints: { renewAfter: response.renew_after } },
 * );
 * ```
 */
export function computeRenewalTime(validity: ValidityPeriod, options: RenewalTimeOptions = {}): Date {
  if (typeof validity !== 'object' || validity === null) {
    throw new TypeError('validity must be an object with notBefore and notAfter.');
  }
  const notBefore = toEpochMs('notBefore', validity.notBefore);
  const notAfter = toEpochMs('notAfter', validity.notAfter);
  if (notAfter <= notBefore) {
    throw new RangeError(
      `notAfter (${new Date(notAfter).toISOString()}) must be after notBefore (${new Date(notBefore).toISOString()}).`,
    );
  }
  const fraction = numberOption('fraction', options.fraction, 2 / 3, { min: 0, max: 1, minExclusive: true });
  const jitter = numberOption('jitter', options.jitter, 0.1, { min: 0, max: fraction });
  const random = functionOption('random', options.random, Math.random);
  const clock = options.clock ?? systemClock;
  const now = options.now === undefined ? clock.now() : toEpochMs('now', options.now);
  const hint = (name: string, v: Date | number | undefined): number | undefined =>
    v === undefined ? undefined : toEpochMs(name, v);
  const renewAfter = hint('hints.renewAfter', options.hints?.renewAfter);
  const renewBefore = hint('hints.renewBefore', options.hints?.renewBefore);
  return new Date(renewalPoint(notBefore, notAfter, now, fraction, jitter, random, renewAfter, renewBefore));
}
