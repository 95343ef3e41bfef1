import { afterEach, describe, expect, it, vi } from 'vitest';
import { isMtlsError } from '../../src/errors/mtls-error.js';
import {
  type ExpiryEvent,
  ExpiryTracker,
  type ExpiryTrackerOptions,
  type TrackedCertificate,
} from '../../src/renewal/expiry-tracker.js';
import type { Clock } from '../../src/time/clock.js';
import { FakeClock } from '../../src/time/fake-clock.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2025, 0, 1);

function setup(options: Omit<ExpiryTrackerOptions, 'clock'> = {}) {
  const clock = new FakeClock({ now: T0 });
  const tracker = new ExpiryTracker({ clock, renewal: { random: () => 0 }, ...options });
  const log: string[] = [];
  const events: ExpiryEvent<TrackedCertificate>[] = [];
  const record = (e: ExpiryEvent<TrackedCertificate>) => {
    events.push(e);
    const what = e.type === 'expiring' ? `expiring(${e.thresholdMs / HOUR}h)` : e.type;
    log.push(`${e.id} ${what} @${(clock.now() - T0) / HOUR}h`);
  };
  tracker.on('renew', record).on('expiring', record).on('expired', record);
  return { clock, tracker, log, events };
}

const cert = (startDays: number, lifetimeDays: number) => ({
  notBefore: new Date(T0 + startDays * DAY),
  notAfter: new Date(T0 + (startDays + lifetimeDays) * DAY),
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('ExpiryTracker', () => {
  it('fires renew, each expiring thresholdMs and expired at their exact times', () => {
    const { clock, tracker, log, events } = setup();
    tracker.track('a', cert(0, 30));
    clock.advance(40 * DAY);
    expect(log).toEqual([
      'a renew @480h', // 20 d = 2/3 of 30 d
      'a expiring(168h) @552h',
      'a expiring(24h) @696h',
      'a expiring(1h) @719h',
      'a expired @720h',
    ]);
    expect(events.every((e) => e.lateByMs === 0)).toBe(true);
    expect(events[1]).toMatchObject({
      type: 'expiring',
      id: 'a',
      thresholdMs: 7 * DAY,
      remainingMs: 7 * DAY,
    });
    expect(events[4]!.remainingMs).toBe(0);
    expect(events[0]!.notAfter.getTime()).toBe(T0 + 30 * DAY);
  });

  it('fires a 90-day certificate on time, beyond the 2^31-1 ms timer limit', () => {
    for (const recheckIntervalMs of [MIN, Number.POSITIVE_INFINITY]) {
      const { clock, tracker, log } = setup({ recheckIntervalMs, thresholdsMs: [] });
      tracker.track('long', cert(0, 90));
      clock.advance(60 * DAY - 1);
      expect(log).toEqual([]);
      clock.advance(1);
      expect(log).toEqual(['long renew @1440h']);
      clock.advance(30 * DAY);
      expect(log).toEqual(['long renew @1440h', 'long expired @2160h']);
      expect(clock.maxPendingTimers).toBe(1);
      expect(clock.pendingTimers).toBe(0);
    }
  });

  it('fires the events due after a +2 day wall-clock jump at once, once each', () => {
    const { clock, tracker, log, events } = setup();
    tracker.track('a', cert(0, 30)); // renew at 20 d, expiring(7 d) at 23 d
    tracker.track('b', cert(0, 60)); // renew at 40 d
    clock.advance(19 * DAY);
    expect(log).toEqual([]);
    clock.setTime(clock.now() + 2 * DAY); // suspended laptop: timers did not run
    expect(log).toEqual([]);
    clock.advance(MIN); // the wall-clock re-check
    expect(log).toEqual(['a renew @504.01666666666665h']); // wall 21 d + 1 min, due at 20 d
    expect(events[0]!.lateByMs).toBe(DAY + MIN);
    clock.advance(2 * DAY); // wall 23 d + 1 min
    expect(log).toEqual(['a renew @504.01666666666665h', 'a expiring(168h) @552h']);
    clock.advance(60 * DAY);
    const counts = new Map<string, number>();
    for (const line of log) {
      const key = line.split(' @')[0]!;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(counts.size).toBe(10);
  });

  it('fires several events that fell due during one jump in time order', () => {
    const { clock, tracker, log } = setup();
    tracker.track('a', cert(0, 30));
    tracker.track('b', cert(0, 27));
    clock.advance(DAY);
    clock.setTime(T0 + 29.5 * DAY);
    clock.advance(MIN);
    expect(log.map((l) => l.split(' @')[0])).toEqual([
      'b renew', // 18 d
      'a renew', // 20 d
      'b expiring(168h)', // 20 d, tracked later
      'a expiring(168h)', // 23 d
      'b expiring(24h)', // 26 d
      'b expiring(1h)',
      'b expired', // 27 d
      'a expiring(24h)', // 29 d
    ]);
  });

  it('does not fire early after the wall clock steps back', () => {
    const { clock, tracker, log } = setup({ thresholdsMs: [] });
    tracker.track('a', cert(0, 3)); // renew at 2 d
    clock.advance(DAY);
    clock.setTime(T0); // back one day
    clock.advance(DAY + HOUR);
    expect(log).toEqual([]);
    clock.advance(DAY - HOUR);
    expect(log).toEqual(['a renew @48h']);
  });

  it('uses a single timer for 10,000 certificates', () => {
    const { clock, tracker, log } = setup();
    for (let i = 0; i < 10_000; i++) tracker.track(`c${i}`, cert(i / 10_000, 1 + (i % 7)));
    expect(clock.pendingTimers).toBe(1);
    clock.advance(10 * DAY);
    expect(clock.maxPendingTimers).toBe(1);
    expect(log.filter((l) => l.includes(' renew ')).length).toBe(10_000);
    expect(log.filter((l) => l.includes(' expired ')).length).toBe(10_000);
  });

  it('collapses thresholds passed before tracking into the most urgent one', () => {
    const { clock, tracker, log, events } = setup();
    tracker.track('notAfter-only', T0 + 12 * HOUR); // 7 d and 1 d passed
    tracker.track('expired', { notBefore: T0 - 2 * DAY, notAfter: T0 - DAY });
    clock.advance(1);
    // In due order: expired at T0 − 1 d, expiring(1 d) at T0 − 12 h, the overdue renewal now.
    expect(log.map((l) => l.split(' @')[0])).toEqual([
      'expired expired',
      'notAfter-only expiring(24h)',
      'expired renew',
    ]);
    expect(events[0]!.remainingMs).toBe(-DAY - 1);
    expect(events[0]!.lateByMs).toBe(DAY + 1);
    clock.advance(DAY);
    expect(log.slice(3)).toEqual([
      'notAfter-only renew @8h', // 2/3 of the 12 h left
      'notAfter-only expiring(1h) @11h',
      'notAfter-only expired @12h',
    ]);
  });

  it('skips thresholds not shorter than the lifetime', () => {
    const { clock, tracker, log } = setup();
    tracker.track('a', { notBefore: T0 - 2 * HOUR, notAfter: T0 + 22 * HOUR });
    clock.advance(DAY);
    expect(log).toEqual(['a renew @14h', 'a expiring(1h) @21h', 'a expired @22h']);
  });

  it('untrack drops pending events and releases the timer', () => {
    const { clock, tracker, log } = setup();
    tracker.track('a', cert(0, 1)).track('b', cert(0, 2));
    expect(tracker.untrack('a')).toBe(true);
    expect(tracker.untrack('a')).toBe(false);
    expect(clock.pendingTimers).toBe(1);
    tracker.untrack('b');
    expect(clock.pendingTimers).toBe(0);
    clock.advance(5 * DAY);
    expect(log).toEqual([]);
    expect(tracker.size).toBe(0);
  });

  it('replace swaps the certificate and starts its events afresh', () => {
    const { clock, tracker, log, events } = setup({ thresholdsMs: [HOUR] });
    const first = cert(0, 3);
    tracker.track('a', first);
    clock.advance(2 * DAY); // renew at 48 h
    const second = cert(2, 3);
    expect(tracker.replace('a', second)).toBe(true);
    expect(tracker.get('a')!.certificate).toBe(second);
    clock.advance(10 * DAY);
    expect(log).toEqual(['a renew @48h', 'a renew @96h', 'a expiring(1h) @119h', 'a expired @120h']);
    expect(events[0]!.certificate).toBe(first);
    expect(events[1]!.certificate).toBe(second);
    expect(tracker.replace('new', cert(12, 3))).toBe(false);
    expect(tracker.has('new')).toBe(true);
  });

  it('lets a renew listener replace its certificate (the renewal loop)', () => {
    const clock = new FakeClock({ now: T0 });
    const tracker = new ExpiryTracker<{ notBefore: number; notAfter: number }>({
      clock,
      renewal: { random: () => 0 },
    });
    const renewedAt: number[] = [];
    tracker.on('renew', ({ id }) => {
      renewedAt.push((clock.now() - T0) / HOUR);
      tracker.replace(id, { notBefore: clock.now(), notAfter: clock.now() + 3 * HOUR });
    });
    tracker.on('expired', () => expect.fail('a renewed certificate must not expire'));
    tracker.track('svc', { notBefore: T0, notAfter: T0 + 3 * HOUR });
    clock.advance(10 * HOUR);
    expect(renewedAt).toEqual([2, 4, 6, 8, 10]);
    expect(clock.maxPendingTimers).toBe(1);
  });

  it('honours per-certificate renewAt and hints, and exposes the schedule', () => {
    const { clock, tracker, log } = setup({ thresholdsMs: [] });
    tracker.track('hinted', cert(0, 30), { hints: { renewAfter: T0 + 5 * DAY } });
    tracker.track('fixed', cert(0, 30), { renewAt: T0 + 3 * DAY });
    expect(tracker.nextEvent()).toEqual({ type: 'renew', id: 'fixed', at: new Date(T0 + 3 * DAY) });
    expect(tracker.get('hinted')).toMatchObject({
      renewAt: new Date(T0 + 5 * DAY),
      notAfter: new Date(T0 + 30 * DAY),
      next: { type: 'renew', at: new Date(T0 + 5 * DAY) },
    });
    expect(tracker.get('missing')).toBeUndefined();
    clock.advance(6 * DAY);
    expect(log).toEqual(['fixed renew @72h', 'hinted renew @120h']);
    expect(tracker.nextEvent()).toEqual({ type: 'expired', id: 'hinted', at: new Date(T0 + 30 * DAY) });
    clock.advance(30 * DAY);
    expect(tracker.nextEvent()).toBeUndefined();
    expect(tracker.get('fixed')!.next).toBeUndefined();
    expect(tracker.size).toBe(2);
  });

  it('keeps going when a listener throws, and reports it as an error event', () => {
    const { clock, tracker, log } = setup({ thresholdsMs: [] });
    const errors: unknown[] = [];
    tracker.on('error', (e) => errors.push(e));
    const boom = vi.fn(() => {
      throw new Error('boom');
    });
    tracker.on('renew', boom);
    const after = vi.fn();
    tracker.on('renew', after);
    tracker.track('a', cert(0, 3)).track('b', cert(0, 6));
    clock.advance(10 * DAY);
    expect(boom).toHaveBeenCalledTimes(2);
    expect(after).toHaveBeenCalledTimes(2);
    expect(log).toEqual(['a renew @48h', 'a expired @72h', 'b renew @96h', 'b expired @144h']);
    expect(errors).toHaveLength(2);
    const [first] = errors;
    expect(isMtlsError(first) && first.code).toBe('ERR_MTLS_LISTENER_FAILED');
    expect(isMtlsError(first) && first.details).toEqual({ event: 'renew', id: 'a' });
    expect((first as Error).cause).toBeInstanceOf(Error);
  });

  it('reports listener errors as a process warning when nobody listens for error', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { clock, tracker, log } = setup({ thresholdsMs: [] });
    tracker.on('expired', () => {
      throw new Error('listener bug');
    });
    tracker.track('a', cert(0, 1));
    clock.advance(2 * DAY);
    expect(log).toEqual(['a renew @16h', 'a expired @24h']);
    expect(warn).toHaveBeenCalledOnce();
    expect(String((warn.mock.calls[0]![0] as Error).message)).toMatch(
      /"expired" listener .* "a": listener bug/,
    );
    // A throwing error listener is reported too.
    tracker.on('error', () => {
      throw new Error('error listener bug');
    });
    tracker.track('b', cert(2, 1));
    clock.advance(2 * DAY);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(String((warn.mock.calls[1]![0] as Error).message)).toMatch(
      /"error" listener .* error listener bug/,
    );
  });

  it('calls once-listeners once', () => {
    const { clock, tracker } = setup({ thresholdsMs: [] });
    const once = vi.fn();
    tracker.once('renew', once);
    tracker.track('a', cert(0, 1)).track('b', cert(0, 2));
    clock.advance(3 * DAY);
    expect(once).toHaveBeenCalledOnce();
    expect(tracker.listenerCount('renew')).toBe(1);
  });

  it('rejects duplicate ids, use after close and bad input', () => {
    const { clock, tracker } = setup();
    tracker.track('a', cert(0, 1));
    expect(() => tracker.track('a', cert(0, 1))).toThrowError(
      expect.objectContaining({ code: 'ERR_MTLS_ALREADY_TRACKED' }),
    );
    expect(() => tracker.track('bad', { notBefore: T0, notAfter: T0 - 1 })).toThrow(RangeError);
    expect(() => tracker.track('bad', { notAfter: 'soon' } as never)).toThrow(TypeError);
    expect(() => tracker.track('bad', 'soon' as never)).toThrow(TypeError);
    expect(tracker.has('bad')).toBe(false);
    tracker.close();
    tracker.close();
    expect(tracker.closed).toBe(true);
    expect(clock.pendingTimers).toBe(0);
    expect(tracker.size).toBe(0);
    expect(() => tracker.track('b', cert(0, 1))).toThrowError(
      expect.objectContaining({ code: 'ERR_MTLS_TRACKER_CLOSED' }),
    );
  });

  it('stops firing when a listener closes the tracker', () => {
    const { clock, tracker, log } = setup({ thresholdsMs: [] });
    tracker.on('renew', () => tracker.close());
    tracker.track('a', cert(0, 1)).track('b', cert(0, 1));
    clock.advance(3 * DAY);
    expect(log).toEqual(['a renew @16h']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('validates options and passes unref to the clock', () => {
    expect(() => new ExpiryTracker({ thresholdsMs: [0] })).toThrow(
      /thresholdsMs\[0\] must be a finite number/,
    );
    expect(() => new ExpiryTracker({ thresholdsMs: [HOUR, HOUR] })).toThrow(/repeat/);
    expect(() => new ExpiryTracker({ thresholdsMs: 5 as never })).toThrow(TypeError);
    expect(() => new ExpiryTracker({ recheckIntervalMs: 0 })).toThrow(/recheckIntervalMs must be a number/);
    expect(() => new ExpiryTracker({ renewal: { jitter: 2 } })).toThrow(/jitter/);
    expect(new ExpiryTracker({ thresholdsMs: [HOUR, 7 * DAY, DAY] }).thresholdsMs).toEqual([
      7 * DAY,
      DAY,
      HOUR,
    ]);
    const fake = new FakeClock({ now: T0 });
    const seen: unknown[] = [];
    const clock: Clock = {
      now: () => fake.now(),
      setTimeout: (fn, ms, options) => {
        seen.push(options);
        return fake.setTimeout(fn, ms);
      },
      clearTimeout: (t) => fake.clearTimeout(t),
    };
    new ExpiryTracker({ clock, unref: true }).track('a', cert(0, 1));
    expect(seen).toEqual([{ unref: true }]);
  });
});
