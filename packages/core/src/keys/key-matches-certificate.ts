import { type CertificateInfo, decodedOf, parseCertificate } from '../cert/parse-certificate.js';
import { bufferOf, getCrypto } from '../lib/crypto-provider.js';
import { withEd25519Fallback } from '../lib/key-params.js';
import { importPrivateKey } from './import-private-key.js';
import type { KeyPair } from './key-pair.js';

/**
 * Whether the private key belongs to the certificate (the same public key), compared on
 * the key material itself so encoding differences do not matter.
 * A key given as PEM is imported first (bad PEM throws the importer's `MtlsError`).
 *
 * @example
 * ```ts
 * if (!(await keyMatchesCertificate(keyPem, certPem))) throw new Error('key and certificate do not match');
 * ```
 */
export async function keyMatchesCertificate(
  key: KeyPair | string | Uint8Array,
  certificate: CertificateInfo | string | Uint8Array,
): Promise<boolean> {
  const pair = typeof key === 'string' || key instanceof Uint8Array ? await importPrivateKey(key) : key;
  const cert =
    typeof certificate === 'string' || certificate instanceof Uint8Array
      ? parseCertificate(certificate)
      : certificate;
  const crypto = getCrypto(pair.crypto);
  const mine = await crypto.subtle.exportKey('jwk', pair.publicKey);
  const spki = bufferOf(decodedOf(cert).spki);
  const params = pair.publicKey.algorithm;
  let theirs: JsonWebKey;
  try {
    const imported =
      params.name === 'Ed25519' || params.name === 'EdDSA'
        ? await withEd25519Fallback((p) => crypto.subtle.importKey('spki', spki, p, true, ['verify']))
        : await crypto.subtle.importKey('spki', spki, params as Algorithm, true, ['verify']);
    theirs = await crypto.subtle.exportKey('jwk', imported);
  } catch {
    // The certificate's key is of another type or curve: it cannot match.
    return false;
  }
  return (
    mine.kty === theirs.kty &&
    mine.crv === theirs.crv &&
    mine.x === theirs.x &&
    mine.y === theirs.y &&
    mine.n === theirs.n &&
    mine.e === theirs.e
  );
}
