/**
 * `@mtlskit/node-adapter/server`: hot-swapping `tls` / `https` / `http2` servers and peer
 * identity helpers alone (does not load undici).
 *
 * @packageDocumentation
 */
export type { TlsFloorVersion, TlsVersionOptions } from './lib/tls-versions.js';
export {
  type AttachCredentialsOptions,
  type AttachedCredentials,
  attachCredentials,
} from './server/attach-credentials.js';
export { createPeerAllowList, type PeerAllowList } from './server/create-peer-allow-list.js';
export { getPeerIdentity, type PeerIdentity } from './server/get-peer-identity.js';
