import type { WebSubtleCrypto } from '../crypto/web-crypto-types.js';
import { MtlsError } from '../errors/mtls-error.js';

/** A WebCrypto implementation: `globalThis.crypto` or e.g. `new (require('@peculiar/webcrypto').Crypto)()`. */
export interface CryptoProvider {
  readonly subtle: WebSubtleCrypto;
  getRandomValues<T extends ArrayBufferView | null>(array: T): T;
}

let defaultProvider: CryptoProvider | undefined;

export function setDefaultCrypto(provider: CryptoProvider | undefined): void {
  if (
    provider !== undefined &&
    (typeof provider !== 'object' || typeof provider.subtle?.sign !== 'function')
  ) {
    throw new TypeError('the crypto provider must be a WebCrypto object with `subtle` and `getRandomValues`');
  }
  defaultProvider = provider;
}

export function getCrypto(explicit?: CryptoProvider): CryptoProvider {
  const c = explicit ?? defaultProvider ?? (globalThis.crypto as CryptoProvider | undefined);
  if (!c?.subtle) {
    throw new MtlsError(
      'ERR_MTLS_NO_CRYPTO',
      'No WebCrypto implementation is available: run on Node ≥ 20.18 or pass a provider such as @peculiar/webcrypto.',
    );
  }
  return c;
}

/**
 * The bytes as `provider` takes them: the platform's WebCrypto takes a view as it is (it
 * copies what an async job needs itself; a copy here costs milliseconds for a 2 MB
 * certificate), other providers get a fresh ArrayBuffer.
 */
export function bytesFor(provider: CryptoProvider, bytes: Uint8Array): ArrayBuffer | Uint8Array<ArrayBuffer> {
  return provider === globalThis.crypto ? (bytes as Uint8Array<ArrayBuffer>) : bufferOf(bytes);
}

/** Copies bytes into a fresh ArrayBuffer (some providers reject views into larger buffers). */
export function bufferOf(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
