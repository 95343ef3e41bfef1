import { hashSecret, secretMatches } from './secret.js';

/** A token cut into its public id and its secret. A token without a dot is its own id. */
export function splitToken(token: string): { id: string; secret: string } {
  const dot = token.indexOf('.');
  return dot < 0 ? { id: token, secret: token } : { id: token.slice(0, dot), secret: token.slice(dot + 1) };
}

// Compared against when the id is unknown, so that an unknown id costs the same hash and
// comparison as a known one with a wrong secret.
const DUMMY_HASH = hashSecret('mtlskit-testkit-dummy-secret');

/**
 * Bearer tokens `<id>.<secret>` where only SHA-256(secret) is kept and secrets are
 * compared in constant time. `data` holds whatever the caller attaches to a token.
 */
export class TokenRegistry<T> {
  readonly #entries = new Map<string, { hash: Buffer; data: T }>();

  add(token: string, data: T): string {
    const { id, secret } = splitToken(token);
    if (this.#entries.has(id)) throw new TypeError(`a token with id "${id}" already exists`);
    this.#entries.set(id, { hash: hashSecret(secret), data });
    return id;
  }

  /** The data of a presented token, or `undefined` for an unknown id or a wrong secret. */
  find(presented: string): { id: string; data: T } | undefined {
    const { id, secret } = splitToken(presented);
    const entry = this.#entries.get(id);
    const ok = secretMatches(secret, entry?.hash ?? DUMMY_HASH);
    return ok && entry ? { id, data: entry.data } : undefined;
  }

  values(): IterableIterator<[string, T]> {
    const it = this.#entries.entries();
    return (function* () {
      for (const [id, e] of it) yield [id, e.data] as [string, T];
    })();
  }

  get size(): number {
    return this.#entries.size;
  }
}
