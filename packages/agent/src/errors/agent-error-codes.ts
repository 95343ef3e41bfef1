/**
 * The stable error codes `@mtlskit/agent` raises, besides the generic ones of
 * `@mtlskit/core` (`ERR_MTLS_INVALID_ARGUMENT`, …). Codes are never renamed.
 *
 * | code | when | retried by the agent |
 * |---|---|---|
 * | `ERR_MTLS_INSTALL_TOKEN_INVALID` | the backend refused the install token (unknown, used or expired: backends answer the same) | no |
 * | `ERR_MTLS_INSTALL_TOKEN_EXPIRED` | the backend said explicitly that the token expired | no |
 * | `ERR_MTLS_INSTALL_TOKEN_USED` | the token was already used by a different key (409) | no |
 * | `ERR_MTLS_INSTALL_TOKEN_MISSING` | no identity is stored and no install token was configured | no |
 * | `ERR_MTLS_TOKEN_SCOPE_MISMATCH` | the token is bound to another service name / type | no |
 * | `ERR_MTLS_RATE_LIMITED` | 429; `details.retryAfterMs` holds the server's `Retry-After` | yes |
 * | `ERR_MTLS_SERVER_UNAVAILABLE` | network failure, timeout, 5xx | yes |
 * | `ERR_MTLS_BACKEND_REJECTED` | another 4xx (validation) | renewals: yes, with backoff |
 * | `ERR_MTLS_INVALID_RESPONSE` | not JSON, no certificate, certificate not for our key, chain not to the pinned CA, already expired, not a TLS client certificate, another identity, a bad or unjustified `ca_pem` (`details.reason`) | renewals: yes, with backoff |
 * | `ERR_MTLS_CLOCK_SKEW` | the new certificate starts further in the future than `maxClockSkewMs` | renewals: yes |
 * | `ERR_MTLS_ENROLLMENT_FAILED` | a custom strategy threw something that is not an `MtlsError` | yes |
 * | `ERR_MTLS_STORAGE` | the store could not read or write | renewals: yes |
 * | `ERR_MTLS_IDENTITY_EXPIRED` | the certificate expired before a renewal succeeded | recovery ladder |
 * | `ERR_MTLS_REENROLLMENT_REQUIRED` | expired and no usable install token: an operator must provide a new one | no |
 * | `ERR_MTLS_REVOKED` | the backend answered `403` with JSON code `IDENTITY_REVOKED` to renew or heartbeat (stored: a restart stays revoked) | no |
 * | `ERR_MTLS_IDENTITY_REFUSED` | any other 401/403 to renew or heartbeat (a WAF, a gateway, another code) | yes, with backoff |
 * | `ERR_MTLS_RESPONSE_TOO_LARGE` | a backend answer exceeded `maxResponseBytes` | yes, with backoff |
 * | `ERR_MTLS_STATE_LOCKED` | another agent holds the `stateDir` lock | no |
 * | `ERR_MTLS_ABORTED` | `start()` / `renewNow()` was given up through its `signal` | — |
 * | `ERR_MTLS_INSECURE_PERMISSIONS` | warning: the install token file or a directory is open to other users | — |
 * | `ERR_MTLS_SERVER_NOT_TRUSTED` | the backend's certificate does not verify against `trustAnchors` / the SPKI pin, or TLS < 1.2 | no |
 * | `ERR_MTLS_INSECURE_BACKEND_URL` | `backendUrl` is not `https:` and `dangerouslyAllowInsecureHttp` is not set | no |
 * | `ERR_MTLS_ALLOCATION_CN_MISMATCH` | an allocated certificate's CN does not carry `alloc:<token-id>` | no |
 * | `ERR_MTLS_ALLOCATION_TOKEN_INVALID` | the allocation endpoint refused the bearer token | no |
 * | `ERR_MTLS_NO_CREDENTIALS` | `current()` before the first identity | — |
 * | `ERR_MTLS_AGENT_CLOSED` | the agent was closed | — |
 * | `ERR_MTLS_CFSSL_AUTH` | CFSSL refused the auth key (wrong key, or a profile that needs one) | no |
 * | `ERR_MTLS_CFSSL_PROFILE` | CFSSL has no such signing profile | no |
 * | `ERR_MTLS_CFSSL_POLICY` | the profile's policy refused the names or usages | no |
 * | `ERR_MTLS_CFSSL_BAD_CSR` | CFSSL cannot use the CSR (e.g. its key algorithm) | no |
 * | `ERR_MTLS_CFSSL_CA_ERROR` | CFSSL failed on its own CA material | no |
 * | `ERR_MTLS_CFSSL_REJECTED` | any other CFSSL refusal | no |
 * | `ERR_MTLS_CFSSL_INVALID_RESPONSE` | an answer that is not CFSSL's | renewals: yes |
 *
 * @example
 * ```ts
 * import { AGENT_ERROR_CODES } from '@mtlskit/agent';
 * agent.on('error', (e) => {
 *   if (e.code === AGENT_ERROR_CODES.revoked) alertOperator(e.message);
 * });
 * ```
 */
export const AGENT_ERROR_CODES = Object.freeze({
  installTokenInvalid: 'ERR_MTLS_INSTALL_TOKEN_INVALID',
  installTokenExpired: 'ERR_MTLS_INSTALL_TOKEN_EXPIRED',
  installTokenUsed: 'ERR_MTLS_INSTALL_TOKEN_USED',
  installTokenMissing: 'ERR_MTLS_INSTALL_TOKEN_MISSING',
  tokenScopeMismatch: 'ERR_MTLS_TOKEN_SCOPE_MISMATCH',
  rateLimited: 'ERR_MTLS_RATE_LIMITED',
  serverUnavailable: 'ERR_MTLS_SERVER_UNAVAILABLE',
  backendRejected: 'ERR_MTLS_BACKEND_REJECTED',
  invalidResponse: 'ERR_MTLS_INVALID_RESPONSE',
  clockSkew: 'ERR_MTLS_CLOCK_SKEW',
  enrollmentFailed: 'ERR_MTLS_ENROLLMENT_FAILED',
  storage: 'ERR_MTLS_STORAGE',
  identityExpired: 'ERR_MTLS_IDENTITY_EXPIRED',
  reenrollmentRequired: 'ERR_MTLS_REENROLLMENT_REQUIRED',
  revoked: 'ERR_MTLS_REVOKED',
  identityRefused: 'ERR_MTLS_IDENTITY_REFUSED',
  responseTooLarge: 'ERR_MTLS_RESPONSE_TOO_LARGE',
  stateLocked: 'ERR_MTLS_STATE_LOCKED',
  aborted: 'ERR_MTLS_ABORTED',
  insecurePermissions: 'ERR_MTLS_INSECURE_PERMISSIONS',
  serverNotTrusted: 'ERR_MTLS_SERVER_NOT_TRUSTED',
  insecureBackendUrl: 'ERR_MTLS_INSECURE_BACKEND_URL',
  allocationCnMismatch: 'ERR_MTLS_ALLOCATION_CN_MISMATCH',
  allocationTokenInvalid: 'ERR_MTLS_ALLOCATION_TOKEN_INVALID',
  noCredentials: 'ERR_MTLS_NO_CREDENTIALS',
  agentClosed: 'ERR_MTLS_AGENT_CLOSED',
  cfsslAuth: 'ERR_MTLS_CFSSL_AUTH',
  cfsslProfile: 'ERR_MTLS_CFSSL_PROFILE',
  cfsslPolicy: 'ERR_MTLS_CFSSL_POLICY',
  cfsslBadCsr: 'ERR_MTLS_CFSSL_BAD_CSR',
  cfsslCaError: 'ERR_MTLS_CFSSL_CA_ERROR',
  cfsslRejected: 'ERR_MTLS_CFSSL_REJECTED',
  cfsslInvalidResponse: 'ERR_MTLS_CFSSL_INVALID_RESPONSE',
} as const);

/** One of {@link AGENT_ERROR_CODES}. */
export type AgentErrorCode = (typeof AGENT_ERROR_CODES)[keyof typeof AGENT_ERROR_CODES];
