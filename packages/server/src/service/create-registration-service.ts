import { type Clock, type KeyAlgorithm, MtlsError, systemClock } from '@mtlskit/core';
import { randomSecret } from '../lib/secret.js';
import { createMemoryStore } from '../store/memory-store.js';
import type { RegistrationStore } from '../store/registration-store.js';
import { RegistrationService } from './registration-service.js';
import type { CertificateIssuer, RegistrationPolicy, ServiceHooks, ServicePaths } from './service-types.js';

/**
 * Options of {@link createRegistrationService}.
 *
 * @example
 * ```ts
 * const options: CreateRegistrationServiceOptions = { issuer: ca, certificateLifetimeMs: 3_600_000, adminToken: 'a-long-random-admin-token' };
 * ```
 */
export interface CreateRegistrationServiceOptions {
  /** Signs client certificates: a core `CertificateAuthority`, or anything with its `issue()`. */
  issuer: CertificateIssuer;
  /** Where tokens and identities live. Default {@link createMemoryStore} (one replica only). */
  store?: RegistrationStore;
  /** The bearer token of the admin calls. Default: 32 random bytes, base64url (see `adminToken` on the result). */
  adminToken?: string;
  /** Lifetime of the client certificates it issues. Default 1 h. Minimum 1000. */
  certificateLifetimeMs?: number;
  /** How long a minted install token can be used. Default 15 min. */
  tokenTtlMs?: number;
  /**
   * When set (between 0 and 1), register and renew answers carry `renew_after` at this
   * fraction of the certificate's lifetime. Default: no hint.
   */
  renewAfterFraction?: number;
  /**
   * When set (between 0 and 1, above `renewAfterFraction`), register and renew answers carry
   * `renew_before` at this fraction of the lifetime: with `renew_after` a window in which
   * clients pick a random point (spreading a fleet), alone the latest time to renew.
   * Default: no hint.
   */
  renewBeforeFraction?: number;
  /** How far `notBefore` lies before the issuing time. Default a tenth of the lifetime, at most 60 s. */
  backdateMs?: number;
  /**
   * The answer to a register with a token that a different key already used: `'conflict'`
   * (default) is `409 TOKEN_ALREADY_USED`; `'invalid'` is the same `401
   * INVALID_INSTALL_TOKEN` as an unknown token.
   */
  tokenReuse?: 'conflict' | 'invalid';
  /** Key type of keys the service generates (allocation). Default `'ECDSA-P256'`. */
  keyAlgorithm?: KeyAlgorithm;
  /** What registrations and CSRs must satisfy. */
  policy?: RegistrationPolicy;
  /** Other URL paths for the calls. Default: those of docs/protocol.md. */
  paths?: Partial<ServicePaths>;
  /** Largest accepted request body. Default 64 KiB. */
  maxBodyBytes?: number;
  /** The service clock (token expiry, certificate dates). Default `systemClock`. */
  clock?: Clock;
  /** `Retry-After` of `503` answers (store down, shutting down). Default: the store's own (Redis store: 1000), else 1000. */
  retryAfterMs?: number;
  /** How long a register may hold a token before a retry with the same key may take over. Default 30 s. */
  claimLeaseMs?: number;
  /** How long a retry waits for a registration with the same key in progress. Default 10 s. */
  claimWaitMs?: number;
  /** How long identities and used tokens are kept after their newest certificate expired. Default 1 day. */
  retentionMs?: number;
  /** Fault-injection hooks (see `@mtlskit/testkit`). */
  hooks?: ServiceHooks;
}

/**
 * Creates a registration service: the backend half of the mtlskit protocol
 * (docs/protocol.md) as a plain Node request handler. Install tokens are stored only as
 * SHA-256 hashes and used once (an atomic claim in the store); renewals and heartbeats
 * authenticate by the exact client certificate and check revocation on every call. With
 * {@link createRedisStore} any number of replicas share one state.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:https';
 * import { createCertificateAuthority } from '@mtlskit/core';
 * import { createRegistrationService, createRedisStore } from '@mtlskit/server';
 * const ca = await createCertificateAuthority({ subject: { commonName: 'Agents CA' } });
 * const service = createRegistrationService({
 *   issuer: ca,
 *   store: createRedisStore({ url: 'redis://127.0.0.1:6379' }),
 *   adminToken: process.env.ADMIN_TOKEN!,
 *   certificateLifetimeMs: 3_600_000,
 * });
 * await service.ready();
 * const server = await ca.issue({ profile: 'server', subject: { commonName: 'enroll.internal' }, dnsNames: ['enroll.internal'] });
 * createServer(
 *   { cert: server.chainPem, key: server.privateKeyPem!, requestCert: true, rejectUnauthorized: false },
 *   service.handler,
 * ).listen(8443);
 * const { token } = await service.mintInstallToken({ serviceName: 'billing' });
 * ```
 */
export function createRegistrationService(options: CreateRegistrationServiceOptions): RegistrationService {
  if (options === null || typeof options !== 'object')
    throw invalid('createRegistrationService: options must be an object.');
  const issuer = options.issuer;
  if (!issuer || typeof issuer.issue !== 'function' || typeof issuer.certificatePem !== 'string')
    throw invalid(
      'createRegistrationService: issuer must be a CertificateAuthority or an object with certificatePem and issue().',
    );
  const certificateLifetimeMs = ms('certificateLifetimeMs', options.certificateLifetimeMs, 3_600_000, 1000);
  const f = options.renewAfterFraction;
  if (f !== undefined && !(typeof f === 'number' && f > 0 && f < 1))
    throw invalid('createRegistrationService: renewAfterFraction must be between 0 and 1 (exclusive).');
  const fb = options.renewBeforeFraction;
  if (fb !== undefined && !(typeof fb === 'number' && fb > 0 && fb < 1 && (f === undefined || fb > f)))
    throw invalid(
      'createRegistrationService: renewBeforeFraction must be between renewAfterFraction (or 0) and 1.',
    );
  const adminToken = options.adminToken ?? randomSecret(32);
  if (typeof adminToken !== 'string' || adminToken.length < 8 || /\s/.test(adminToken))
    throw invalid(
      'createRegistrationService: adminToken must be a string of at least 8 characters without spaces.',
    );
  const tokenReuse = options.tokenReuse ?? 'conflict';
  if (tokenReuse !== 'conflict' && tokenReuse !== 'invalid')
    throw invalid('createRegistrationService: tokenReuse must be "conflict" or "invalid".');
  const paths = { ...DEFAULT_PATHS, ...options.paths };
  for (const [k, p] of Object.entries(paths))
    if (typeof p !== 'string' || !p.startsWith('/'))
      throw invalid(`createRegistrationService: paths.${k} must start with "/".`);
  if (new Set(Object.values(paths)).size !== Object.keys(paths).length)
    throw invalid('createRegistrationService: two calls cannot share a path.');
  const policy = options.policy ?? {};
  const serviceTypes = policy.serviceTypes ?? ['agent', 'controller'];
  if (
    !Array.isArray(serviceTypes) ||
    serviceTypes.length === 0 ||
    serviceTypes.some((t) => t !== 'agent' && t !== 'controller')
  )
    throw invalid('createRegistrationService: policy.serviceTypes must list "agent" and/or "controller".');
  if (
    policy.keyAlgorithms !== undefined &&
    (!Array.isArray(policy.keyAlgorithms) || policy.keyAlgorithms.length === 0)
  )
    throw invalid('createRegistrationService: policy.keyAlgorithms must be a non-empty array.');
  return new RegistrationService({
    issuer,
    store: options.store ?? createMemoryStore(),
    clock: options.clock ?? systemClock,
    adminToken,
    paths,
    maxBodyBytes: ms('maxBodyBytes', options.maxBodyBytes, 64 * 1024),
    hooks: options.hooks ?? {},
    retryAfterMsOverride:
      options.retryAfterMs === undefined ? undefined : ms('retryAfterMs', options.retryAfterMs, 1000, 0),
    settings: {
      certificateLifetimeMs,
      tokenTtlMs: ms('tokenTtlMs', options.tokenTtlMs, 900_000),
      renewAfterFraction: f,
      renewBeforeFraction: fb,
      backdateMs:
        options.backdateMs === undefined
          ? Math.min(60_000, Math.floor(certificateLifetimeMs / 10))
          : ms('backdateMs', options.backdateMs, 0, 0),
      tokenReuse,
      keyAlgorithm: options.keyAlgorithm ?? 'ECDSA-P256',
      claimLeaseMs: ms('claimLeaseMs', options.claimLeaseMs, 30_000),
      claimWaitMs: ms('claimWaitMs', options.claimWaitMs, 10_000),
      retentionMs: ms('retentionMs', options.retentionMs, 86_400_000, 0),
      retryAfterMs: ms('retryAfterMs', options.retryAfterMs, 1000, 0),
      serviceTypes: [...serviceTypes],
      keyAlgorithms: policy.keyAlgorithms && [...policy.keyAlgorithms],
      maxMetadataBytes: ms('policy.maxMetadataBytes', policy.maxMetadataBytes, 4096),
      allowClientCertificates: policy.allowClientCertificates ?? true,
    },
  });
}

const DEFAULT_PATHS: ServicePaths = {
  installTokens: '/api/v1/install-tokens',
  register: '/api/v1/register',
  renew: '/api/v1/renew',
  heartbeat: '/api/v1/agent/heartbeat',
  allocate: '/api/v1/worker/allocate',
  cert: '/api/v1/cert',
  revoke: '/api/v1/admin/revoke',
};

function invalid(message: string): MtlsError {
  return new MtlsError('ERR_MTLS_INVALID_ARGUMENT', message);
}

function ms(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min)
    throw invalid(`createRegistrationService: ${name} must be a number ≥ ${min}.`);
  return value;
}
