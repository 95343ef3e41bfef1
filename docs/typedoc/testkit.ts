/**
 * A reference backend speaking the mtlskit protocol, with fault injection, and ready-made PKI for tests.
 *
 * @module @mtlskit/testkit
 */
export * from '../../packages/testkit/src/index.js';
