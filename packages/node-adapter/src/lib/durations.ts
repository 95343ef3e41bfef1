import { MtlsError } from '@mtlskit/core';

/** Validates an optional duration option in ms. */
export function durationOption(
  name: string,
  value: number | undefined,
  fallback: number | undefined,
): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      `${name} must be a positive number of milliseconds, got ${String(value)}.`,
    );
  }
  return value;
}

/** setTimeout that accepts Infinity / huge delays (capped) and never keeps the process alive. */
export function unrefTimer(fn: () => void, delay: number): NodeJS.Timeout {
  const t = setTimeout(fn, Math.max(0, Math.min(delay, 2 ** 31 - 1)));
  t.unref();
  return t;
}
