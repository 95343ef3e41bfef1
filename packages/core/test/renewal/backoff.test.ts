import { describe, expect, it } from 'vitest';
import { createBackoff } from '../../src/renewal/backoff.js';
import { FakeClock } from '../../src/time/fake-clock.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const ALMOST_ONE = 1 - 2 ** -53;

describe('createBackoff', () => {
  it('grows exponentially with full jitter up to maxDelayMs', () => {
    const top = createBackoff({ random: () => ALMOST_ONE });
    const ceilings = Array.from({ length: 12 }, () => top.next());
    expect(ceilings).toEqual([
      999, 1999, 3999, 7999, 15999, 31999, 63999, 127999, 255999, 299999, 299999, 299999,
    ]);
    const half = createBackoff({ random: () => 0.5, initialDelayMs: 100, factor: 3, maxDelayMs: 5000 });
    expect(Array.from({ length: 6 }, () => half.next())).toEqual([50, 150, 450, 1350, 2500, 2500]);
    const zero = createBackoff({ random: () => 0 });
    expect([zero.next(), zero.next()]).toEqual([0, 0]);
    expect(zero.attempt).toBe(2);
  });

  it('stays within [0, ceiling) with a real random source', () => {
    const b = createBackoff({ initialDelayMs: 10, maxDelayMs: 1000 });
    for (let i = 0; i < 200; i++) {
      const d = b.next();
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(Math.min(1000, 10 * 2 ** i));
    }
  });

  it('starts over after reset (a success)', () => {
    const b = createBackoff({ random: () => 0.5 });
    expect([b.next(), b.next(), b.next()]).toEqual([500, 1000, 2000]);
    b.reset();
    expect(b.attempt).toBe(0);
    expect([b.next(), b.next()]).toEqual([500, 1000]);
  });

  it('honours Retry-After given as ms, header seconds, HTTP-date or Date', () => {
    const clock = new FakeClock({ now: Date.parse('2025-01-01T00:00:00Z') });
    const b = createBackoff({ random: () => 0.5, clock });
    expect(b.next({ retryAfter: 7000 })).toBe(7000);
    expect(b.next({ retryAfter: '30' })).toBe(30_000);
    expect(b.next({ retryAfter: 'Wed, 01 Jan 2025 00:02:00 GMT' })).toBe(120_000);
    expect(b.next({ retryAfter: new Date(clock.now() + 45_000) })).toBe(45_000);
    // A Retry-After shorter than the backoff does not shorten it (attempt 5: ceiling 16 s).
    expect(b.next({ retryAfter: 1 })).toBe(8000);
    // A malformed header falls back to the backoff.
    expect(b.next({ retryAfter: 'later' })).toBe(16_000);
    expect(() => b.next({ retryAfter: -1 })).toThrow(TypeError);
  });

  it('never waits longer than remainingFraction of the time left, even for Retry-After', () => {
    const clock = new FakeClock({ now: 0 });
    const b = createBackoff({ random: () => ALMOST_ONE, notAfter: 10 * MIN, clock, maxDelayMs: HOUR });
    for (let i = 0; i < 20; i++) b.next();
    // 10 min left → at most 1 min.
    expect(b.next()).toBe(MIN);
    expect(b.next({ retryAfter: HOUR })).toBe(MIN);
    clock.advance(9 * MIN);
    expect(b.next()).toBe(6000);
    // Per-call notAfter and a custom fraction.
    const c = createBackoff({ random: () => ALMOST_ONE, remainingFraction: 0.5, clock, maxDelayMs: HOUR });
    for (let i = 0; i < 20; i++) c.next();
    expect(c.next({ notAfter: clock.now() + 10 * MIN })).toBe(5 * MIN);
    // Without an expiry the cap is off.
    expect(c.next()).toBe(HOUR - 1);
  });

  it('reads a changing notAfter from a function and drops the cap once expired', () => {
    const clock = new FakeClock({ now: 0 });
    let notAfter: number | undefined = 20 * MIN;
    const b = createBackoff({
      random: () => ALMOST_ONE,
      initialDelayMs: HOUR,
      maxDelayMs: HOUR,
      clock,
      notAfter: () => notAfter,
    });
    expect(b.next()).toBe(2 * MIN);
    notAfter = 200 * MIN;
    expect(b.next()).toBe(20 * MIN);
    notAfter = undefined;
    expect(b.next()).toBe(HOUR - 1);
    notAfter = 0;
    clock.advance(1);
    expect(b.next()).toBe(HOUR - 1);
  });

  it('speeds retries up as expiry nears instead of sleeping past it', () => {
    const clock = new FakeClock({ now: 0 });
    const notAfter = 30 * MIN;
    const b = createBackoff({ random: () => ALMOST_ONE, notAfter, clock });
    const delays: number[] = [];
    while (clock.now() + 1000 < notAfter && delays.length < 100) {
      const d = b.next();
      delays.push(d);
      clock.advance(d);
    }
    expect(clock.now()).toBeLessThan(notAfter);
    // Exponential growth first, then delays shrink with the time left.
    const peak = Math.max(...delays);
    const peakAt = delays.indexOf(peak);
    expect(peak).toBeLessThanOrEqual(3 * MIN);
    for (let i = peakAt + 1; i < delays.length; i++) expect(delays[i]!).toBeLessThanOrEqual(delays[i - 1]!);
    expect(delays.at(-1)!).toBeLessThan(1000);
  });

  it('validates options with clear TypeErrors', () => {
    expect(() => createBackoff({ initialDelayMs: -1 })).toThrow(
      new TypeError('initialDelayMs must be a finite number of milliseconds >= 0, got -1.'),
    );
    expect(() => createBackoff({ maxDelayMs: Number.POSITIVE_INFINITY })).toThrow(
      /maxDelayMs must be a finite number/,
    );
    expect(() => createBackoff({ initialDelayMs: 5000, maxDelayMs: 1000 })).toThrow(
      new TypeError('maxDelayMs (1000) must be >= initialDelayMs (5000).'),
    );
    expect(() => createBackoff({ factor: 0.5 })).toThrow(/factor must be a number >= 1/);
    expect(() => createBackoff({ remainingFraction: 0 })).toThrow(
      /remainingFraction must be a number > 0 and <= 1/,
    );
    expect(() => createBackoff({ random: 'x' as never })).toThrow(
      new TypeError('random must be a function, got "x".'),
    );
    expect(() => createBackoff({ notAfter: new Date('bad') })).toThrow(/notAfter must be a valid Date/);
    expect(() => createBackoff({ initialDelayMs: '10' as never })).toThrow(/got "10"/);
    expect(() => createBackoff(null as never)).toThrow(TypeError);
    expect(() => createBackoff({ random: () => 2 }).next()).toThrow(TypeError);
  });
});
