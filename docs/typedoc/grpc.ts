/**
 * grpc-js channel and server credentials whose mTLS identity follows any `CredentialSource`.
 *
 * @module @mtlskit/grpc
 */
export * from '../../packages/grpc/src/index.js';
