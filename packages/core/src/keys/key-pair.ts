import type { WebCryptoKey } from '../crypto/web-crypto-types.js';
import type { CryptoProvider } from '../lib/crypto-provider.js';

/** Key algorithms mtlskit can generate. */
export type KeyAlgorithm = 'ECDSA-P256' | 'ECDSA-P384' | 'RSA-2048' | 'RSA-3072' | 'RSA-4096' | 'Ed25519';

/** Algorithms of keys mtlskit can import (any RSA size, the P-521 curve too). */
export type KeyAlgorithmName = KeyAlgorithm | 'ECDSA-P521' | `RSA-${number}`;

/**
 * A private key with its public key, as WebCrypto keys. It holds no key bytes of its own,
 * so `util.inspect`, `JSON.stringify` and logs never show key material.
 */
export interface KeyPair {
  readonly algorithm: KeyAlgorithmName;
  readonly privateKey: WebCryptoKey;
  readonly publicKey: WebCryptoKey;
  /** The WebCrypto provider the keys belong to. */
  readonly crypto: CryptoProvider;
}

/** Options shared by every function that does crypto. */
export interface CryptoOptions {
  /** A WebCrypto implementation; default: the one set with `setCryptoProvider`, else `globalThis.crypto`. */
  crypto?: CryptoProvider;
}

export const SUPPORTED_KEY_ALGORITHMS: readonly KeyAlgorithm[] = [
  'ECDSA-P256',
  'ECDSA-P384',
  'RSA-2048',
  'RSA-3072',
  'RSA-4096',
  'Ed25519',
];
