/**
 * Puts a `CredentialSource` into Node: an undici dispatcher, an `https.Agent`, hot-swapping TLS servers and a file-watching source.
 *
 * @module @mtlskit/node-adapter
 */
export * from '../../packages/node-adapter/src/index.js';
