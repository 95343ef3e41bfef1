/** One persisted generation of the agent's identity. */
export interface StoredIdentity {
  /** Increases by one on every saved renewal or enrollment. */
  readonly generation: number;
  /** PKCS#8 PEM. A secret. */
  readonly privateKeyPem: string;
  /** Leaf first, then intermediates. */
  readonly certificateChainPem: string;
  /** CAs that verify peers (the backend's `ca_pem`, or the configured trust anchors). */
  readonly trustAnchorsPem: string;
  /** Stable id of this agent installation (sent as `metadata.agent_id`), kept across renewals. */
  readonly agentId: string;
  /** `service_id` the backend assigned at registration, when it sent one. */
  readonly serviceId?: string | undefined;
  /** The backend's `renew_after` hint (ISO 8601), when it sent one. */
  readonly renewAfter?: string | undefined;
  /** When this generation was saved (ISO 8601). */
  readonly savedAt: string;
}

/**
 * A key generated for an enrollment or renewal that is not finished yet. It is persisted
 * before the request is sent, so that a lost response or a crash is retried with the
 * same key (and the same `Idempotency-Key`) instead of stranding the agent.
 */
export interface PendingKey {
  /** PKCS#8 PEM. A secret. */
  readonly privateKeyPem: string;
  readonly agentId: string;
  readonly purpose: 'enroll' | 'renew';
  /** ISO 8601. */
  readonly createdAt: string;
}

/**
 * The record of a revocation (`403 IDENTITY_REVOKED`), kept so that a restart stays revoked.
 *
 * @example
 * ```ts
 * const revoked = await store.loadRevocation?.();
 * if (revoked) console.error(`revoked at ${revoked.revokedAt}: clear the store and enroll again`);
 * ```
 */
export interface StoredRevocation {
  /** ISO 8601. */
  readonly revokedAt: string;
  /** The generation in service when the backend revoked it. */
  readonly generation: number;
  /** The error code (`ERR_MTLS_REVOKED`). */
  readonly code: string;
  /** The agent's message (redacted; no secrets). */
  readonly message: string;
}

/**
 * Where an agent keeps its identity. Implementations: `FileStore(stateDir)` (generation
 * directories, an atomically switched `current` symlink, files 0600, directory 0700) and
 * `MemoryStore` for tests. Errors are `MtlsError`s with code `ERR_MTLS_STORAGE`.
 */
export interface CredentialStore {
  /** The current identity, or `undefined` when none was saved. Finishes or rolls back an interrupted switch first. */
  load(): Promise<StoredIdentity | undefined>;
  /** Persists a generation durably (fsync) and then makes it current atomically. Older generations may be pruned. */
  save(identity: StoredIdentity): Promise<void>;
  /** Persists the key of an enrollment or renewal in progress, before its request is sent. */
  savePendingKey(pending: PendingKey): Promise<void>;
  loadPendingKey(): Promise<PendingKey | undefined>;
  clearPendingKey(): Promise<void>;
  /** Removes every generation, pending key and revocation record (e.g. to enroll again after a revocation). */
  clear(): Promise<void>;
  /**
   * Persists that the backend revoked the identity; `loadRevocation()` returns it until
   * `clear()`. Optional for custom stores: without it a restart uses the revoked identity
   * again until the backend refuses it.
   */
  saveRevocation?(revocation: StoredRevocation): Promise<void>;
  loadRevocation?(): Promise<StoredRevocation | undefined>;
  /**
   * Takes the store's exclusive lock (one agent per store); rejects with
   * `ERR_MTLS_STATE_LOCKED` when another process holds it. Resolves with the release function.
   * Optional for custom stores.
   */
  lock?(): Promise<() => Promise<void>>;
}
