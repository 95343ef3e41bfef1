import { MtlsError } from '../errors/mtls-error.js';

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
