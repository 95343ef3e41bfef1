import { MtlsError } from '../errors/mtls-error.js';
import type { KeyAlgorithmName } from '../keys/key-pair.js';
import type { CryptoProvider } from './crypto-provider.js';

/** The WebCrypto parameters mtlskit signs with for each key algorithm. */
export function signingParams(alg: KeyAlgorithmName): {
  importParams: RsaHashedImportParams | EcKeyImportParams | Algorithm;
} {
  if (alg.startsWith('ECDSA-P')) return { importParams: { name: 'ECDSA', namedCurve: `P-${alg.slice(7)}` } };
  if (alg.startsWith('RSA-')) return { importParams: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } };
  return { importParams: { name: 'Ed25519' } };
}

/** Ed25519 is `Ed25519` natively and `EdDSA`+curve in @peculiar/webcrypto. */
export async function withEd25519Fallback<T>(fn: (params: Algorithm) => Promise<T>): Promise<T> {
  try {
    return await fn({ name: 'Ed25519' });
  } catch (e) {
    try {
      return await fn({ name: 'EdDSA', namedCurve: 'Ed25519' } as EcKeyAlgorithm);
    } catch {
      throw e;
    }
  }
}

export async function unsupportedWrap<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof MtlsError) throw e;
    throw new MtlsError(
      'ERR_MTLS_CRYPTO_FAILED',
      `${what} failed in the WebCrypto provider; check the key and the provider.`,
      {
        cause: e,
      },
    );
  }
}

export type { CryptoProvider };
