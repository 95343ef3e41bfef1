import type { WebCryptoKey } from '../crypto/web-crypto-types.js';
import { getCrypto } from '../lib/crypto-provider.js';
import { unsupportedWrap } from '../lib/key-params.js';
import { encodePem } from '../pem/pem-blocks.js';
import type { KeyPair } from './key-pair.js';

/**
 * Exports the private key as unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`),
 * newline-terminated. Treat the result as a secret: store it 0600 and never log it.
 *
 * @example
 * ```ts
 * await writeFile('client.key', await exportPrivateKeyPem(key), { mode: 0o600 });
 * ```
 */
export async function exportPrivateKeyPem(key: KeyPair): Promise<string> {
  const crypto = getCrypto(key.crypto);
  const der = await unsupportedWrap('Exporting the private key', () =>
    crypto.subtle.exportKey('pkcs8', key.privateKey),
  );
  return encodePem('PRIVATE KEY', new Uint8Array(der));
}

/**
 * Exports the public key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`), newline-terminated.
 *
 * @example
 * ```ts
 * const spkiPem = await exportPublicKeyPem(key);
 * ```
 */
export async function exportPublicKeyPem(key: KeyPair | WebCryptoKey): Promise<string> {
  return encodePem('PUBLIC KEY', await exportSpki(key));
}

/** SPKI DER of a key pair or public CryptoKey. */
export async function exportSpki(key: KeyPair | WebCryptoKey): Promise<Uint8Array> {
  const pub = 'publicKey' in key ? key.publicKey : key;
  const crypto = getCrypto('crypto' in key ? key.crypto : undefined);
  return new Uint8Array(
    await unsupportedWrap('Exporting the public key', () => crypto.subtle.exportKey('spki', pub)),
  );
}
