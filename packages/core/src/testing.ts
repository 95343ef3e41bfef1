/**
 * Test helpers of `@mtlskit/core`, imported from `@mtlskit/core/testing` so they never
 * end up in production bundles by accident.
 *
 * @example
 * ```ts
 * import { FakeClock } from '@mtlskit/core/testing';
 * import { ExpiryTracker } from '@mtlskit/core';
 * const clock = new FakeClock();
 * const tracker = new ExpiryTracker({ clock });
 * ```
 */
export { FakeClock, type FakeClockOptions } from './time/fake-clock.js';
