import { describe, expect, it } from 'vitest';
import { computeRenewalTime } from '../../src/renewal/compute-renewal-time.js';
import { FakeClock } from '../../src/time/fake-clock.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 1);
const cert90 = { notBefore: new Date(T0), notAfter: new Date(T0 + 90 * DAY) };
const at = (d: Date) => d.getTime() - T0;

describe('computeRenewalTime', () => {
  it('renews at exactly 2/3 of the lifetime when the jitter draw is 0', () => {
    expect(at(computeRenewalTime(cert90, { random: () => 0, now: T0 }))).toBe(60 * DAY);
  });

  it('takes up to 10% of the lifetime off at random, never more, never later than 2/3', () => {
    // 90 d × (2/3 − 0.1 × 0.5) = 55.5 d
    expect(at(computeRenewalTime(cert90, { random: () => 0.5, now: T0 }))).toBe(55.5 * DAY);
    const lowest = at(computeRenewalTime(cert90, { random: () => 1 - 2 ** -53, now: T0 }));
    expect(lowest).toBeGreaterThanOrEqual(51 * DAY);
    expect(lowest).toBeLessThan(51 * DAY + 1);
    for (let i = 0; i < 5000; i++) {
      const t = at(computeRenewalTime(cert90, { now: T0 }));
      expect(t).toBeGreaterThanOrEqual(51 * DAY);
      expect(t).toBeLessThanOrEqual(60 * DAY);
    }
  });

  it('honours custom fraction and jitter', () => {
    const day = { notBefore: T0, notAfter: T0 + DAY };
    expect(at(computeRenewalTime(day, { fraction: 0.5, jitter: 0, random: () => 0.9, now: T0 }))).toBe(
      DAY / 2,
    );
    expect(at(computeRenewalTime(day, { fraction: 0.8, jitter: 0.2, random: () => 0.5, now: T0 }))).toBe(
      16.8 * 3_600_000,
    );
  });

  it('lets a renewAfter hint inside the lifetime win', () => {
    const renewAfter = new Date(T0 + 10 * DAY);
    expect(at(computeRenewalTime(cert90, { random: () => 0, now: T0, hints: { renewAfter } }))).toBe(
      10 * DAY,
    );
    // renewAfter later than the computed point also wins.
    const late = T0 + 80 * DAY;
    expect(at(computeRenewalTime(cert90, { random: () => 0, now: T0, hints: { renewAfter: late } }))).toBe(
      80 * DAY,
    );
  });

  it('ignores hints outside the lifetime', () => {
    for (const renewAfter of [T0 - 1, T0 + 90 * DAY, T0 + 100 * DAY]) {
      expect(at(computeRenewalTime(cert90, { random: () => 0, now: T0, hints: { renewAfter } }))).toBe(
        60 * DAY,
      );
    }
    const renewBefore = T0 + 91 * DAY;
    expect(at(computeRenewalTime(cert90, { random: () => 0, now: T0, hints: { renewBefore } }))).toBe(
      60 * DAY,
    );
  });

  it('picks a random point of a renewAfter..renewBefore window', () => {
    const hints = { renewAfter: T0 + 30 * DAY, renewBefore: T0 + 40 * DAY };
    expect(at(computeRenewalTime(cert90, { random: () => 0, now: T0, hints }))).toBe(30 * DAY);
    expect(at(computeRenewalTime(cert90, { random: () => 0.5, now: T0, hints }))).toBe(35 * DAY);
  });

  it('pulls a computed point back before renewBefore, and ignores an inverted window', () => {
    const renewBefore = T0 + 45 * DAY;
    expect(at(computeRenewalTime(cert90, { random: () => 0, now: T0, hints: { renewBefore } }))).toBe(
      45 * DAY,
    );
    expect(at(computeRenewalTime(cert90, { random: () => 0.5, now: T0, hints: { renewBefore } }))).toBe(
      45 * DAY - 4.5 * DAY,
    );
    // renewBefore later than the computed point is already satisfied.
    const loose = T0 + 70 * DAY;
    expect(at(computeRenewalTime(cert90, { random: () => 0, now: T0, hints: { renewBefore: loose } }))).toBe(
      60 * DAY,
    );
    const inverted = { renewAfter: T0 + 40 * DAY, renewBefore: T0 + 30 * DAY };
    expect(at(computeRenewalTime(cert90, { random: () => 0, now: T0, hints: inverted }))).toBe(60 * DAY);
  });

  it('returns now for a point already passed, from `now` or the clock', () => {
    const now = T0 + 70 * DAY;
    expect(computeRenewalTime(cert90, { random: () => 0, now }).getTime()).toBe(now);
    const clock = new FakeClock({ now: T0 + 80 * DAY });
    expect(computeRenewalTime(cert90, { random: () => 0, clock }).getTime()).toBe(T0 + 80 * DAY);
    const hinted = computeRenewalTime(cert90, { now, hints: { renewAfter: T0 + DAY } });
    expect(hinted.getTime()).toBe(now);
  });

  it('rejects invalid input with clear errors', () => {
    expect(() => computeRenewalTime({ notBefore: T0, notAfter: T0 })).toThrow(RangeError);
    expect(() => computeRenewalTime({ notBefore: new Date('x'), notAfter: T0 })).toThrow(
      /notBefore must be a valid Date/,
    );
    expect(() => computeRenewalTime(cert90, { fraction: 0 })).toThrow(/fraction must be a number > 0/);
    expect(() => computeRenewalTime(cert90, { fraction: 1.5 })).toThrow(TypeError);
    expect(() => computeRenewalTime(cert90, { jitter: 0.9 })).toThrow(
      /jitter must be a number >= 0 and <= 0.666/,
    );
    expect(() => computeRenewalTime(cert90, { random: () => 1 })).toThrow(
      /random\(\) must return a number in \[0, 1\)/,
    );
    expect(() => computeRenewalTime(cert90, { random: 3 as never })).toThrow(/random must be a function/);
    expect(() => computeRenewalTime(cert90, { hints: { renewAfter: Number.NaN } })).toThrow(
      /hints.renewAfter/,
    );
    expect(() => computeRenewalTime(null as never)).toThrow(TypeError);
  });
});
