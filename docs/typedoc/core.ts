/**
 * Keys, CSRs, certificate parsing, PEM bundles, a dev CA, chain verification, diagnostics, renewal timing, the error class and the `CredentialSource` contract.
 *
 * @module @mtlskit/core
 */
export * from '../../packages/core/src/index.js';
