import type { IssuedCertificate, IssueOptions } from '@mtlskit/core';

/**
 * The calls of the protocol, as named in hooks, events and the request log.
 *
 * @example
 * ```ts
 * const route: RouteName = 'renew';
 * ```
 */
export type RouteName =
  | 'install-tokens'
  | 'register'
  | 'renew'
  | 'heartbeat'
  | 'allocate'
  | 'cert'
  | 'revoke';

/**
 * The URL paths of the calls. Defaults follow docs/protocol.md.
 *
 * @example
 * ```ts
 * const service = createRegistrationService({ issuer: ca, paths: { register: '/enroll' } });
 * console.log(service.paths.renew); // '/api/v1/renew'
 * ```
 */
export interface ServicePaths {
  /** Default `/api/v1/install-tokens`. */
  installTokens: string;
  /** Default `/api/v1/register`. */
  register: string;
  /** Default `/api/v1/renew`. */
  renew: string;
  /** Default `/api/v1/agent/heartbeat`. */
  heartbeat: string;
  /** Default `/api/v1/worker/allocate`. */
  allocate: string;
  /** Default `/api/v1/cert`. */
  cert: string;
  /** Default `/api/v1/admin/revoke`. */
  revoke: string;
}

/**
 * What signs certificates: a core `CertificateAuthority`, or anything with the same
 * `issue()` (a wrapper around CFSSL, Vault, a cloud CA…). `certificatePem` is sent as
 * `ca_pem`.
 *
 * @example
 * ```ts
 * const issuer: CertificateIssuer = await createCertificateAuthority({ subject: { commonName: 'Agents CA' } });
 * ```
 */
export interface CertificateIssuer {
  /** The issuing CA certificate (PEM), sent to agents as `ca_pem`. */
  readonly certificatePem: string;
  /** Signs a certificate; without `csr` / `publicKey` it also generates the key (allocation). */
  issue(options: IssueOptions): Promise<IssuedCertificate>;
}

/**
 * CSR and registration policy of a service: what it refuses with `400`.
 *
 * @example
 * ```ts
 * const policy: RegistrationPolicy = { serviceTypes: ['agent'], keyAlgorithms: ['ECDSA-P256'], maxMetadataBytes: 2048 };
 * ```
 */
export interface RegistrationPolicy {
  /** Allowed `service_type` values. Default both `'agent'` and `'controller'`. */
  serviceTypes?: readonly ('agent' | 'controller')[];
  /**
   * Allowed key algorithms of CSRs (`ECDSA-P256`, `ECDSA-P384`, `Ed25519`, `RSA-2048`,
   * `RSA-3072`, `RSA-4096`). Default: all of them.
   */
  keyAlgorithms?: readonly string[];
  /** Largest accepted `metadata` object, as JSON bytes. Default 4096. */
  maxMetadataBytes?: number;
  /** Whether agents may register their own certificate (`client_cert_pem`). Default `true`. */
  allowClientCertificates?: boolean;
}

/**
 * One line of the request log (the `request` event): never a body, header, token or key.
 *
 * @example
 * ```ts
 * service.on('request', (r) => console.log(r.method, r.path, r.status, r.code ?? ''));
 * ```
 */
export interface RequestLogEntry {
  readonly method: string;
  /** The path without its query string. */
  readonly path: string;
  /** The route it matched, if any. */
  readonly route: RouteName | undefined;
  /** The HTTP status sent, or `0` when the answer was dropped (see {@link ServiceHooks.dropAnswer}). */
  readonly status: number;
  /** The stable error `code` of an error answer. */
  readonly code: string | undefined;
  /** Whether the socket was destroyed instead of answering. */
  readonly dropped: boolean;
  /** Whether the call ran over a TLS session with a client certificate. */
  readonly clientCertificate: boolean;
  readonly at: Date;
}

/**
 * A certificate handed out by the allocate or cert call (the `allocated` event).
 *
 * @example
 * ```ts
 * service.on('allocated', (a) => console.log(a.commonName));
 * ```
 */
export interface AllocationRecord {
  readonly route: 'allocate' | 'cert';
  /** The id of the bearer token that asked. */
  readonly tokenId: string;
  readonly owner: string;
  readonly commonName: string;
  readonly poolName: string | undefined;
  readonly namespace: string | undefined;
  readonly pools: readonly string[];
  readonly fingerprint: string;
  readonly notAfter: Date;
}

/**
 * Events of a {@link RegistrationService}.
 *
 * @example
 * ```ts
 * service.on('registered', (e) => console.log('new identity', e.serviceId));
 * service.on('store-error', (e) => console.warn(e.code, e.message));
 * ```
 */
export interface RegistrationServiceEvents {
  /** Every answered (or dropped) call. */
  request: [entry: RequestLogEntry];
  /** A new identity was registered (not a replay). */
  registered: [event: { serviceId: string; agentId: string; serviceName: string }];
  renewed: [event: { serviceId: string; notAfter: Date }];
  heartbeat: [event: { serviceId: string; status: string }];
  revoked: [event: { serviceIds: string[] }];
  allocated: [record: AllocationRecord];
  /** A failure behind a `500` answer (a bug). */
  'internal-error': [error: Error];
  /** A store failure behind a `503` answer (`ERR_MTLS_STORE_UNAVAILABLE`). */
  'store-error': [error: Error];
}

/**
 * An answer that replaces a renewal: see {@link ServiceHooks.replaceRenewal}.
 *
 * @example
 * ```ts
 * const r: RenewalReplacement = { certificatePem, caPem, expiresAt: new Date() };
 * ```
 */
export interface RenewalReplacement {
  readonly certificatePem: string;
  readonly caPem: string;
  readonly expiresAt: Date;
}

/**
 * Hooks for fault injection and test backends (`@mtlskit/testkit` uses them). They run
 * in the handler; a hook that throws a {@link ProtocolError} answers with it.
 *
 * @example
 * ```ts
 * const hooks: ServiceHooks = {
 *   beforeCall: (route) => { if (route === 'renew') throw new ProtocolError(429, 'RATE_LIMITED', 'Slow down.', { retryAfterMs: 1000 }); },
 * };
 * ```
 */
export interface ServiceHooks {
  /** Runs before the call's own checks (like a proxy or rate limiter in front). */
  beforeCall?(route: RouteName): void | Promise<void>;
  /** After a call that changed state succeeded: `true` destroys the socket instead of answering. */
  dropAnswer?(route: RouteName): boolean;
  /** For an authenticated renew: an answer to send instead of a good certificate (nothing is stored). */
  replaceRenewal?(input: {
    csrPem: string;
    subject: { commonName: string; organizationalUnit: string };
    uris: string[];
  }): Promise<RenewalReplacement | undefined> | RenewalReplacement | undefined;
}
