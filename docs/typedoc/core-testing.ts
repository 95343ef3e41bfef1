/**
 * Test helpers of `@mtlskit/core` (`FakeClock`), kept out of the main entry point so they
 * never end up in production bundles by accident.
 *
 * @module @mtlskit/core/testing
 */
export * from '../../packages/core/src/testing.js';
