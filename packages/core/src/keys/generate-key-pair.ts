import { MtlsError } from '../errors/mtls-error.js';
import { getCrypto } from '../lib/crypto-provider.js';
import { unsupportedWrap, withEd25519Fallback } from '../lib/key-params.js';
import { type CryptoOptions, type KeyAlgorithm, type KeyPair, SUPPORTED_KEY_ALGORITHMS } from './key-pair.js';

/** Options of {@link generateKeyPair}. */
export interface GenerateKeyPairOptions extends CryptoOptions {
  /** Default `'ECDSA-P256'`. */
  algorithm?: KeyAlgorithm;
  /**
   * Whether the private key can be exported (needed to store it or hand it to Node's TLS).
   * Default `true`.
   */
  extractable?: boolean;
}

/**
 * Generates a key pair through WebCrypto.
 *
 * @example
 * ```ts
 * const key = await generateKeyPair();                       // ECDSA P-256
 * const rsa = await generateKeyPair({ algorithm: 'RSA-3072' });
 * const pem = await exportPrivateKeyPem(key);                 // PKCS#8
 * ```
 */
export async function generateKeyPair(options: GenerateKeyPairOptions = {}): Promise<KeyPair> {
  const algorithm = options.algorithm ?? 'ECDSA-P256';
  if (!SUPPORTED_KEY_ALGORITHMS.includes(algorithm)) {
    throw new MtlsError(
      'ERR_MTLS_UNSUPPORTED_ALGORITHM',
      `Key algorithm "${String(algorithm)}" is not supported; use one of ${SUPPORTED_KEY_ALGORITHMS.join(', ')}.`,
    );
  }
  const crypto = getCrypto(options.crypto);
  const extractable = options.extractable ?? true;
  const usages: KeyUsage[] = ['sign', 'verify'];
  const pair = await unsupportedWrap(`Generating a ${algorithm} key`, async () => {
    if (algorithm.startsWith('ECDSA-')) {
      return (await crypto.subtle.generateKey(
        { name: 'ECDSA', namedCurve: `P-${algorithm.slice(7)}` },
        extractable,
        usages,
      )) as CryptoKeyPair;
    }
    if (algorithm.startsWith('RSA-')) {
      return (await crypto.subtle.generateKey(
        {
          name: 'RSASSA-PKCS1-v1_5',
          modulusLength: Number(algorithm.slice(4)),
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: 'SHA-256',
        },
        extractable,
        usages,
      )) as CryptoKeyPair;
    }
    return withEd25519Fallback(
      async (params) => (await crypto.subtle.generateKey(params, extractable, usages)) as CryptoKeyPair,
    );
  });
  return Object.freeze({ algorithm, privateKey: pair.privateKey, publicKey: pair.publicKey, crypto });
}
