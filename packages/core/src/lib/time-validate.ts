/** Option validation shared by the time and renewal modules; messages name the option. */

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (typeof value === 'function') return 'a function';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** Validates a duration in ms; `undefined` yields `fallback`. */
export function durationOption(
  name: string,
  value: unknown,
  fallback: number,
  { min = 0, allowInfinity = false }: { min?: number; allowInfinity?: boolean } = {},
): number {
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    (Number.isFinite(value) || (allowInfinity && value === Number.POSITIVE_INFINITY)) &&
    value >= min;
  if (!ok) {
    throw new TypeError(
      `${name} must be a ${allowInfinity ? '' : 'finite '}number of milliseconds >= ${min}, got ${describe(value)}.`,
    );
  }
  return value as number;
}

/** Validates a plain number within [min, max] (or (min, max] when `minExclusive`). */
export function numberOption(
  name: string,
  value: unknown,
  fallback: number,
  { min, max, minExclusive = false }: { min: number; max: number; minExclusive?: boolean },
): number {
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (minExclusive ? value > min : value >= min) &&
    value <= max;
  if (!ok) {
    throw new TypeError(
      `${name} must be a number ${minExclusive ? '>' : '>='} ${min} and <= ${max}, got ${describe(value)}.`,
    );
  }
  return value as number;
}

export function functionOption<F extends (...args: never[]) => unknown>(
  name: string,
  value: unknown,
  fallback: F,
): F {
  if (value === undefined) return fallback;
  if (typeof value !== 'function') throw new TypeError(`${name} must be a function, got ${describe(value)}.`);
  return value as F;
}

/** Converts a `Date` or epoch-ms number to epoch ms, rejecting invalid values. */
export function toEpochMs(name: string, value: unknown): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new TypeError(
      `${name} must be a valid Date or a number of milliseconds since the epoch, got ${describe(value)}.`,
    );
  }
  return ms;
}

/** Reads a random number source and checks it stays in [0, 1), which jitter maths relies on. */
export function draw(random: () => number): number {
  const r = random();
  if (!(r >= 0 && r < 1)) throw new TypeError(`random() must return a number in [0, 1), got ${describe(r)}.`);
  return r;
}
