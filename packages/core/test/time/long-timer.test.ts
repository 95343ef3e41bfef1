import { describe, expect, it } from 'vitest';
import { LongTimer } from '../../src/lib/long-timer.js';
import { MAX_TIMER_DELAY } from '../../src/time/clock.js';
import { FakeClock } from '../../src/time/fake-clock.js';

const DAY = 86_400_000;

describe('LongTimer', () => {
  it('fires a 90-day timeout on time by chaining timers, one at a time', () => {
    const clock = new FakeClock({ now: 0 });
    let firedAt: number | undefined;
    const t = new LongTimer(clock, () => {
      firedAt = clock.now();
    });
    t.start(90 * DAY);
    expect(clock.nextTimerDelay).toBe(MAX_TIMER_DELAY);
    clock.advance(90 * DAY - 1);
    expect(firedAt).toBeUndefined();
    expect(t.pending).toBe(true);
    clock.advance(1);
    expect(firedAt).toBe(90 * DAY);
    expect(t.pending).toBe(false);
    expect(clock.maxPendingTimers).toBe(1);
  });

  it('can be stopped between two chained timers, and re-armed', () => {
    const clock = new FakeClock({ now: 0 });
    const fired: number[] = [];
    const t = new LongTimer(clock, () => fired.push(clock.now()));
    t.start(60 * DAY);
    clock.advance(30 * DAY);
    t.stop();
    t.stop();
    expect(clock.pendingTimers).toBe(0);
    clock.advance(60 * DAY);
    expect(fired).toEqual([]);
    t.start(1000);
    t.start(2000); // re-arming replaces the pending countdown
    expect(clock.pendingTimers).toBe(1);
    clock.advance(5000);
    expect(fired).toEqual([90 * DAY + 2000]);
  });

  it('treats a negative delay as zero and passes unref on', () => {
    const clock = new FakeClock({ now: 0 });
    let fired = 0;
    new LongTimer(clock, () => fired++, { unref: true }).start(-5);
    clock.advance(1);
    expect(fired).toBe(1);
  });
});
