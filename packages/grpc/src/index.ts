export {
  type ChannelCredentialsOptions,
  createChannelCredentials,
  type MtlsChannelCredentials,
  type VerifyPeer,
} from './channel/create-channel-credentials.js';
export { type GrpcPeerIdentity, getGrpcPeerIdentity } from './identity/get-grpc-peer-identity.js';
export type { CredentialsHandle } from './lib/credentials-handle.js';
export {
  createServerCredentials,
  type MtlsServerCredentials,
  type ServerCredentialsOptions,
} from './server/create-server-credentials.js';
