export {
  resolveWorkloadApiAddress,
  SPIFFE_ENDPOINT_SOCKET,
  type WorkloadApiAddress,
} from './address/resolve-workload-api-address.js';
export { parseSpiffeId, type SpiffeId } from './id/parse-spiffe-id.js';
export { trustDomainName } from './id/trust-domain-name.js';
export { fetchJwtBundles, type JwtBundles } from './jwt/fetch-jwt-bundles.js';
export { type FetchJwtSvidOptions, fetchJwtSvid, type JwtSvid } from './jwt/fetch-jwt-svid.js';
export type { JsonWebKeySet, JwtClaims } from './jwt/jwt-types.js';
export {
  type ValidatedJwtSvid,
  type ValidateJwtSvidOptions,
  validateJwtSvid,
} from './jwt/validate-jwt-svid.js';
export { WORKLOAD_HEADER } from './lib/grpc-client.js';
export type { WorkloadApiCallOptions } from './lib/unary-call.js';
export { loadWorkloadApi, type WorkloadApiDefinition } from './proto/load-workload-api.js';
export type { X509Context } from './x509/parse-x509-svid-response.js';
export {
  createWorkloadApiSource,
  type SvidExpiredEvent,
  WorkloadApiSource,
  type WorkloadApiSourceEvents,
  type WorkloadApiSourceOptions,
} from './x509/workload-api-source.js';
export type { SpiffeCredentials, X509Svid } from './x509/x509-svid.js';
