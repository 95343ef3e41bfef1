/**
 * An install token as a store keeps it: the public id and the SHA-256 of the secret, never
 * the secret itself.
 *
 * @example
 * ```ts
 * const t: StoredInstallToken = { id: '3f2a9c0b1d4e5f60', secretHash: 'ab…', serviceName: 'billing', serviceType: 'agent', controllerName: undefined, expiresAt: Date.now() + 60_000 };
 * ```
 */
export interface StoredInstallToken {
  /** The public half of `<id>.<secret>`. */
  readonly id: string;
  /** Lowercase hex SHA-256 of the secret half. */
  readonly secretHash: string;
  readonly serviceName: string;
  readonly serviceType: 'agent' | 'controller';
  readonly controllerName: string | undefined;
  /** Epoch ms; the token is usable while `now < expiresAt`. */
  readonly expiresAt: number;
}

/**
 * Who claimed an install token, and, once the registration finished, the answer a
 * retry with the same key gets again.
 *
 * @example
 * ```ts
 * if (claim.spki === spki && claim.response) return JSON.parse(claim.response);
 * ```
 */
export interface TokenClaim {
  /** base64url(SHA-256(SPKI)) of the key that claimed the token. */
  readonly spki: string;
  /** The service id chosen when the token was claimed. */
  readonly serviceId: string;
  /** Epoch ms until which the claimer is considered to be working on it. */
  readonly leaseUntil: number;
  /** The JSON body of the `201` answer, once stored. */
  readonly response: string | undefined;
}

/**
 * The answer of {@link RegistrationStore.claimInstallToken}.
 *
 * @example
 * ```ts
 * const r = await store.claimInstallToken(id, claim);
 * if (r.kind === 'claimed') { … sign, then completeClaim … }
 * ```
 */
export type ClaimResult =
  /** The token does not exist (never minted, or its TTL passed). */
  | { readonly kind: 'missing' }
  /** The token exists, is not claimed, and `now >= expiresAt`. */
  | { readonly kind: 'expired' }
  /** The caller owns the claim now (fresh, or a same-key takeover of a stale lease). */
  | { readonly kind: 'claimed'; readonly serviceId: string }
  /** Someone holds the claim: compare `claim.spki`. */
  | { readonly kind: 'taken'; readonly claim: TokenClaim };

/**
 * The last heartbeat of an identity.
 *
 * @example
 * ```ts
 * const hb: StoredHeartbeat = { receivedAt: Date.now(), status: 'healthy', timestamp: Date.now(), metrics: {} };
 * ```
 */
export interface StoredHeartbeat {
  /** Epoch ms, backend clock. */
  readonly receivedAt: number;
  readonly status: 'healthy' | 'degraded' | 'unhealthy';
  /** The `timestamp` the agent sent, verbatim. */
  readonly timestamp: string | number;
  readonly metrics: {
    readonly cpu_usage?: number;
    readonly memory_usage?: number;
    readonly disk_usage?: number;
  };
}

/**
 * A registered identity as a store keeps it.
 *
 * @example
 * ```ts
 * const identity = await store.getIdentity('svc_5a0c7e9d1f2b3a4c');
 * if (identity?.revoked) console.log('revoked');
 * ```
 */
export interface StoredIdentity {
  readonly serviceId: string;
  /** `metadata.agent_id` of the register call. */
  readonly agentId: string;
  readonly serviceName: string;
  readonly serviceType: 'agent' | 'controller';
  readonly controllerName: string | undefined;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** `'csr'`: the backend signed a CSR; `'certificate'`: it pinned the agent's certificate. */
  readonly mode: 'csr' | 'certificate';
  /** Epoch ms. */
  readonly registeredAt: number;
  readonly revoked: boolean;
  readonly renewals: number;
  readonly heartbeats: number;
  readonly lastHeartbeat: StoredHeartbeat | undefined;
  /** SHA-256 fingerprint (OpenSSL colon form) of the newest certificate. */
  readonly certificateFingerprint: string;
  /** `notAfter` (epoch ms) of the newest certificate. */
  readonly notAfter: number;
}

/**
 * One certificate an identity may authenticate with on the mTLS calls.
 *
 * @example
 * ```ts
 * const c: StoredCertificate = { fingerprint: 'AB:CD:…', serviceId: 'svc_…', notBefore: 0, notAfter: 1 };
 * ```
 */
export interface StoredCertificate {
  /** SHA-256 of the DER, OpenSSL colon form. */
  readonly fingerprint: string;
  readonly serviceId: string;
  /** Epoch ms. */
  readonly notBefore: number;
  /** Epoch ms. */
  readonly notAfter: number;
}

/**
 * An allocation (bearer) token as a store keeps it: the secret only as a hash.
 *
 * @example
 * ```ts
 * await store.putAllocationToken({ id: 'tok1', secretHash, owner: 'alice', pools: ['gpu'] });
 * ```
 */
export interface StoredAllocationToken {
  readonly id: string;
  /** Lowercase hex SHA-256 of the secret half (of the whole token when it has no dot). */
  readonly secretHash: string;
  readonly owner: string;
  /** Pools it may allocate from; `undefined`: any pool. */
  readonly pools: readonly string[] | undefined;
}

/**
 * Where a registration service keeps its state. {@link createMemoryStore} and
 * {@link createRedisStore} implement it; every mutation that decides who wins (the token
 * claim, the completion of a registration, adding a certificate to a possibly revoked
 * identity) is one atomic step in the store, never a read followed by a write. A store
 * that cannot reach its backend rejects with `ERR_MTLS_STORE_UNAVAILABLE`
 * ({@link StoreUnavailableError}), which the service answers with `503` and `Retry-After`.
 *
 * @example
 * ```ts
 * const store: RegistrationStore = createMemoryStore();
 * await store.ready();
 * ```
 */
export interface RegistrationStore {
  /** Resolves once the store can serve calls (the Redis store: connected). */
  ready(options?: { signal?: AbortSignal }): Promise<void>;
  /** Stores a new install token until `expiresAt` (`ttlMs` from now). */
  putInstallToken(token: StoredInstallToken, ttlMs: number): Promise<void>;
  /** The token and its claim, or `undefined`. */
  getInstallToken(
    id: string,
  ): Promise<{ token: StoredInstallToken; claim: TokenClaim | undefined } | undefined>;
  /**
   * Claims an unclaimed, unexpired token for `spki` in one atomic step; a claim by the same
   * `spki` whose lease ran out (its claimer died) is taken over with the same service id.
   * The token is then kept `keepMs` so a retry with the same key can be answered later.
   */
  claimInstallToken(
    id: string,
    claim: { spki: string; serviceId: string; now: number; leaseMs: number; keepMs: number },
  ): Promise<ClaimResult>;
  /**
   * Stores the answer of a claimed registration (first writer wins) and counts the
   * registration; resolves to the stored answer.
   */
  completeClaim(id: string, spki: string, response: string): Promise<string | undefined>;
  /** Gives an unfinished claim of `spki` back (signing failed), so the token can be used again. */
  releaseClaim(id: string, spki: string): Promise<void>;
  /** Stores a new identity with its first certificate, kept `keepMs`. */
  putIdentity(identity: StoredIdentity, certificate: StoredCertificate, keepMs: number): Promise<void>;
  getIdentity(serviceId: string): Promise<StoredIdentity | undefined>;
  /** The certificate with this fingerprint and its identity, in one read. */
  authenticate(
    fingerprint: string,
  ): Promise<{ certificate: StoredCertificate; identity: StoredIdentity } | undefined>;
  /** Adds a renewed certificate unless the identity was revoked meanwhile (atomic). */
  addCertificate(certificate: StoredCertificate, keepMs: number): Promise<'ok' | 'revoked' | 'missing'>;
  recordHeartbeat(serviceId: string, heartbeat: StoredHeartbeat): Promise<void>;
  /** Revokes the identities with this service id or, failing that, this agent id; their service ids. */
  revoke(serviceIdOrAgentId: string): Promise<string[]>;
  putAllocationToken(token: StoredAllocationToken): Promise<void>;
  getAllocationToken(id: string): Promise<StoredAllocationToken | undefined>;
  /** Counters over the store's lifetime (all replicas for a shared store). */
  stats(): Promise<{ registrations: number; renewals: number; heartbeats: number }>;
  /** Releases connections the store opened itself. Idempotent. */
  close(): Promise<void>;
}
