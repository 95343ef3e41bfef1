import type { CredentialStore, PendingKey, StoredIdentity, StoredRevocation } from './credential-store.js';
import { checkIdentityKey, checkIdentityShape, checkPendingKey } from './lib/check-input.js';
import { redactedIdentity, redactedPendingKey } from './lib/redacted.js';
import { storageError } from './lib/storage-error.js';

/**
 * Options of {@link MemoryStore}.
 *
 * @example
 * ```ts
 * const store = new MemoryStore({ keep: 1 });
 * ```
 */
export interface MemoryStoreOptions {
  /** How many generations are kept, the current one included. At least 1. Default: 2. */
  keep?: number;
}

/**
 * A {@link CredentialStore} in memory, for tests: the same rules as `FileStore` (a saved
 * key must match its leaf certificate, generations only go up, values are copied in and
 * out so callers cannot change what is stored) without touching the disk. Nothing
 * survives the process. `util.inspect` and `JSON.stringify` show generation numbers only.
 *
 * @example
 * ```ts
 * const store = new MemoryStore();
 * const agent = createAgent({ backendUrl, trustAnchors, installToken, serviceName: 'a', store });
 * await agent.start();
 * expect((await store.load())?.generation).toBe(1);
 * ```
 */
export class MemoryStore implements CredentialStore {
  readonly #keep: number;
  #generations: StoredIdentity[] = [];
  #pending: PendingKey | undefined;
  #revocation: StoredRevocation | undefined;

  constructor(options: MemoryStoreOptions = {}) {
    const keep = options.keep ?? 2;
    if (!Number.isSafeInteger(keep) || keep < 1)
      throw storageError(
        'ERR_MTLS_STORAGE_INVALID',
        `MemoryStore keep must be an integer ≥ 1, got ${String(keep)}.`,
      );
    this.#keep = keep;
  }

  /** The generation numbers held, newest first (for assertions in tests). */
  get generations(): readonly number[] {
    return this.#generations.map((g) => g.generation);
  }

  async load(): Promise<StoredIdentity | undefined> {
    const current = this.#generations[0];
    return current === undefined ? undefined : redactedIdentity(current);
  }

  async save(identity: StoredIdentity): Promise<void> {
    checkIdentityShape(identity);
    await checkIdentityKey(identity);
    const current = this.#generations[0]?.generation;
    if (current !== undefined && identity.generation <= current)
      throw storageError(
        'ERR_MTLS_STORAGE_GENERATION',
        `Refused to save generation ${identity.generation}: generation ${current} is already current, and generations only go up. Save generation ${current + 1} or later.`,
        undefined,
        undefined,
        { generation: identity.generation, current },
      );
    this.#generations = [redactedIdentity(identity), ...this.#generations].slice(0, this.#keep);
  }

  async savePendingKey(pending: PendingKey): Promise<void> {
    await checkPendingKey(pending);
    this.#pending = redactedPendingKey(pending);
  }

  async loadPendingKey(): Promise<PendingKey | undefined> {
    return this.#pending === undefined ? undefined : redactedPendingKey(this.#pending);
  }

  async clearPendingKey(): Promise<void> {
    this.#pending = undefined;
  }

  async clear(): Promise<void> {
    this.#generations = [];
    this.#pending = undefined;
    this.#revocation = undefined;
  }

  async saveRevocation(revocation: StoredRevocation): Promise<void> {
    this.#revocation = { ...revocation };
  }

  async loadRevocation(): Promise<StoredRevocation | undefined> {
    return this.#revocation === undefined ? undefined : { ...this.#revocation };
  }

  toJSON(): { generations: number[]; pendingKey: boolean } {
    return { generations: [...this.generations], pendingKey: this.#pending !== undefined };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `MemoryStore ${JSON.stringify(this.toJSON())}`;
  }
}
