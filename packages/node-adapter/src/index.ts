export {
  createMtlsDispatcher,
  type DispatcherGenerationInfo,
  MtlsDispatcher,
  type MtlsDispatcherEvents,
  type MtlsDispatcherOptions,
  type MtlsSocketEvent,
} from './dispatcher/create-mtls-dispatcher.js';
export { explainTlsFailure, type TlsFailureContext } from './errors/explain-tls-failure.js';
export {
  type CredentialDirectory,
  type CredentialFiles,
  FileCredentialSource,
  type FileCredentialSourceEvents,
  type FileCredentialSourceOptions,
  type FileExpiryEvent,
} from './file/file-credential-source.js';
export {
  createMtlsHttpsAgent,
  MtlsHttpsAgent,
  type MtlsHttpsAgentOptions,
} from './https-agent/create-mtls-https-agent.js';
export type { TlsFloorVersion, TlsVersionOptions } from './lib/tls-versions.js';
export {
  type AttachCredentialsOptions,
  type AttachedCredentials,
  attachCredentials,
} from './server/attach-credentials.js';
export { createPeerAllowList, type PeerAllowList } from './server/create-peer-allow-list.js';
export { getPeerIdentity, type PeerIdentity } from './server/get-peer-identity.js';

/**
 * The lowest TLS version every client and server built by this package accepts.
 *
 * @example
 * ```ts
 * import { MIN_TLS_VERSION } from '@mtlskit/node-adapter';
 * tls.connect({ host, port, minVersion: MIN_TLS_VERSION });
 * ```
 */
export const MIN_TLS_VERSION = 'TLSv1.2' as const;
