import { type Clock, systemClock } from '../time/clock.js';

/**
 * Turns an HTTP `Retry-After` header (delay-seconds or an HTTP-date) into milliseconds to
 * wait from now. Returns `undefined` for a missing or malformed value so callers fall back
 * to their own backoff; a date in the past yields `0`.
 *
 * @example
 * ```ts
 * import { parseRetryAfter } from '@mtlskit/core';
 * parseRetryAfter('120'); // 120000
 * parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', { now: Date.parse('2015-10-21T07:27:00Z') }); // 60000
 * ```
 */
export function parseRetryAfter(
  value: string | null | undefined,
  options: { now?: Date | number; clock?: Clock } = {},
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Only accept something that looks like an HTTP-date, not any string Date.parse tolerates.
  if (!/^[A-Za-z]{3},? /.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  const now =
    options.now === undefined
      ? (options.clock ?? systemClock).now()
      : options.now instanceof Date
        ? options.now.getTime()
        : options.now;
  return Math.max(0, at - now);
}
