/**
 * What mtlskit reads of a WebCrypto key when no lib declares `CryptoKey` (a Node tsconfig
 * with `lib: ["es2023"]` and no DOM). With DOM, Deno or Bun types,
 * {@link WebCryptoKey} is the platform's own `CryptoKey` instead.
 */
export interface CryptoKeyShape {
  readonly type: string;
  readonly extractable: boolean;
  readonly algorithm: { readonly name: string };
  readonly usages: readonly string[];
}

/**
 * The methods of a WebCrypto `SubtleCrypto` mtlskit calls, as declared when no lib declares
 * `SubtleCrypto`; with DOM, Deno or Bun types {@link WebSubtleCrypto} is the platform's own.
 * Parameters are `never` so that any implementation's signature is accepted.
 */
export interface SubtleCryptoShape {
  digest(algorithm: never, data: never): Promise<ArrayBuffer>;
  exportKey(format: never, key: never): Promise<unknown>;
  generateKey(algorithm: never, extractable: boolean, usages: never): Promise<unknown>;
  importKey(
    format: never,
    keyData: never,
    algorithm: never,
    extractable: boolean,
    usages: never,
  ): Promise<unknown>;
  sign(algorithm: never, key: never, data: never): Promise<ArrayBuffer>;
  verify(algorithm: never, key: never, signature: never, data: never): Promise<boolean>;
}

/**
 * A WebCrypto key: the platform's `CryptoKey` when the program's libs declare one (DOM,
 * Deno, Bun), else {@link CryptoKeyShape}. So `@mtlskit/core` type-checks without the DOM
 * lib, and with it keys stay plain `CryptoKey`s.
 *
 * @example
 * ```ts
 * import { generateKeyPair, type WebCryptoKey } from '@mtlskit/core';
 * const key: WebCryptoKey = (await generateKeyPair()).publicKey;
 * ```
 */
export type WebCryptoKey = typeof globalThis extends { CryptoKey: { prototype: infer K } }
  ? K
  : CryptoKeyShape;

/**
 * A WebCrypto `SubtleCrypto`: the platform's own when the program's libs declare one,
 * else {@link SubtleCryptoShape}.
 *
 * @example
 * ```ts
 * import type { WebSubtleCrypto } from '@mtlskit/core';
 * const subtle: WebSubtleCrypto = globalThis.crypto.subtle;
 * ```
 */
export type WebSubtleCrypto = typeof globalThis extends { SubtleCrypto: { prototype: infer S } }
  ? S
  : SubtleCryptoShape;
