import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_DELAY, systemClock } from '../../src/time/clock.js';

describe('systemClock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads Date.now()', () => {
    vi.useFakeTimers({ now: new Date('2026-03-01T00:00:00Z') });
    expect(systemClock.now()).toBe(Date.UTC(2026, 2, 1));
  });

  it('delegates to the global timers and can unref them', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const t = systemClock.setTimeout(fn, 1000, { unref: true }) as { hasRef?: () => boolean };
    expect(t.hasRef?.()).toBe(false);
    vi.advanceTimersByTime(999);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledOnce();
    const u = systemClock.setTimeout(fn, 10);
    systemClock.clearTimeout(u);
    vi.advanceTimersByTime(100);
    expect(fn).toHaveBeenCalledOnce();
  });

  it('is frozen and states the timer limit', () => {
    expect(Object.isFrozen(systemClock)).toBe(true);
    expect(MAX_TIMER_DELAY).toBe(2_147_483_647);
  });
});
