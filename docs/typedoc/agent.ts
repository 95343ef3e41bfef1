/**
 * The mTLS agent: enrollment with install tokens, renewal with backoff, heartbeats, storage and life-cycle events.
 *
 * @module @mtlskit/agent
 */
export * from '../../packages/agent/src/index.js';
