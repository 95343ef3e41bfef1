import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/testing.js';
import { MAX_TIMER_DELAY } from '../../src/time/clock.js';

describe('FakeClock', () => {
  it('starts at 2025-01-01 or the given time', () => {
    expect(new FakeClock().date().toISOString()).toBe('2025-01-01T00:00:00.000Z');
    expect(new FakeClock({ now: new Date('2030-05-05T00:00:00Z') }).now()).toBe(Date.UTC(2030, 4, 5));
    expect(new FakeClock({ now: 42 }).now()).toBe(42);
  });

  it('fires timers in due order, including timers set by callbacks, at their exact time', () => {
    const clock = new FakeClock({ now: 0 });
    const log: string[] = [];
    clock.setTimeout(() => log.push(`b@${clock.now()}`), 200);
    clock.setTimeout(() => {
      log.push(`a@${clock.now()}`);
      clock.setTimeout(() => log.push(`c@${clock.now()}`), 50);
    }, 100);
    clock.setTimeout(() => log.push(`d@${clock.now()}`), 200);
    expect(clock.advance(199)).toBe(2);
    expect(log).toEqual(['a@100', 'c@150']);
    expect(clock.now()).toBe(199);
    expect(clock.advance(1)).toBe(2);
    expect(log).toEqual(['a@100', 'c@150', 'b@200', 'd@200']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('clearTimeout cancels and ignores foreign handles', () => {
    const clock = new FakeClock();
    let fired = 0;
    const t = clock.setTimeout(() => fired++, 10);
    clock.setTimeout(() => fired++, 20);
    clock.clearTimeout(t);
    clock.clearTimeout(t);
    clock.clearTimeout(undefined);
    clock.clearTimeout(123);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(100);
    expect(fired).toBe(1);
  });

  it('coerces delays the way Node does: <1, NaN and > 2^31-1 become 1 ms', () => {
    const clock = new FakeClock({ now: 0 });
    const at: number[] = [];
    clock.setTimeout(() => at.push(clock.now()), MAX_TIMER_DELAY + 1);
    clock.setTimeout(() => at.push(clock.now()), 0);
    clock.setTimeout(() => at.push(clock.now()), Number.NaN);
    clock.setTimeout(() => at.push(clock.now()), MAX_TIMER_DELAY);
    clock.runAll();
    expect(at).toEqual([1, 1, 1, MAX_TIMER_DELAY]);
  });

  it('setTime jumps the wall clock but leaves timers on monotonic time', () => {
    const clock = new FakeClock({ now: 0 });
    let firedAt: number | undefined;
    clock.setTimeout(() => {
      firedAt = clock.now();
    }, 1000);
    clock.setTime(new Date(86_400_000));
    expect(clock.now()).toBe(86_400_000);
    expect(firedAt).toBeUndefined();
    expect(clock.nextTimerDelay).toBe(1000);
    clock.advance(999);
    expect(firedAt).toBeUndefined();
    clock.advance(1);
    expect(firedAt).toBe(86_401_000);
    expect(clock.monotonic).toBe(1000);
    clock.setTime(500);
    expect(clock.now()).toBe(500);
  });

  it('runNext/runAll advance to each timer, and runAll stops runaway rescheduling', () => {
    const clock = new FakeClock({ now: 0 });
    expect(clock.runNext()).toBe(false);
    clock.setTimeout(() => {}, 5000);
    expect(clock.runNext()).toBe(true);
    expect(clock.now()).toBe(5000);
    const forever = (): void => {
      clock.setTimeout(forever, 10);
    };
    forever();
    expect(() => clock.runAll(100)).toThrowError(
      expect.objectContaining({ code: 'ERR_MTLS_FAKE_CLOCK_LOOP' }),
    );
  });

  it('tracks the high-water mark of pending timers', () => {
    const clock = new FakeClock();
    clock.setTimeout(() => {}, 1);
    clock.setTimeout(() => {}, 2);
    clock.setTimeout(() => {}, 3);
    clock.advance(2);
    expect(clock.pendingTimers).toBe(1);
    expect(clock.maxPendingTimers).toBe(3);
    clock.resetMaxPendingTimers();
    expect(clock.maxPendingTimers).toBe(1);
  });

  it('advanceAsync lets awaiting code run between timers', async () => {
    const clock = new FakeClock({ now: 0 });
    const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
    const times: number[] = [];
    const loop = (async () => {
      for (let i = 0; i < 3; i++) {
        await sleep(100);
        times.push(clock.now());
      }
    })();
    expect(await clock.advanceAsync(300)).toBe(3);
    await loop;
    expect(times).toEqual([100, 200, 300]);
  });

  it('rejects invalid steps and times', () => {
    const clock = new FakeClock();
    expect(() => clock.advance(-1)).toThrow(TypeError);
    expect(() => clock.advance(Number.POSITIVE_INFINITY)).toThrow(TypeError);
    expect(() => clock.setTime(new Date('nope'))).toThrow(TypeError);
    expect(() => new FakeClock({ now: Number.NaN })).toThrow(TypeError);
  });
});
