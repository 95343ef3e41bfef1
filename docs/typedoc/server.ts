/**
 * The backend half of the mtlskit enrollment protocol: install tokens, registration, renewal, heartbeats, revocation; memory and Redis stores.
 *
 * @module @mtlskit/server
 */
export * from '../../packages/server/src/index.js';
