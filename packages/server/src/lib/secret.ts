import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A random URL-safe secret of `bytes` random bytes. */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** A random lowercase hex identifier (not secret: it names a token in logs and certificates). */
export function randomId(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}

/** SHA-256 of a UTF-8 string. Secrets are stored only in this form. */
export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

// Compared against when a token id is unknown, so that an unknown id costs the same hash
// and comparison as a known one with a wrong secret.
const DUMMY_HASH = hashSecret('mtlskit-server-dummy-secret');

/**
 * Compares a presented secret with a stored SHA-256 (a Buffer or lowercase hex) in
 * constant time. Both sides are 32-byte digests, so neither the length nor the content of
 * the secret leaks through timing; `undefined` (unknown token) compares against a dummy.
 */
export function secretMatches(presented: string, stored: Buffer | string | undefined): boolean {
  let expected = DUMMY_HASH;
  if (Buffer.isBuffer(stored) && stored.length === 32) expected = stored;
  else if (typeof stored === 'string' && /^[0-9a-f]{64}$/.test(stored)) expected = Buffer.from(stored, 'hex');
  const ok = timingSafeEqual(hashSecret(presented), expected);
  return ok && stored !== undefined;
}

/** SHA-256 in OpenSSL's colon form (`AB:CD:…`), as `CertificateInfo.fingerprintSha256`. */
export function colonFingerprint(der: Uint8Array): string {
  return createHash('sha256')
    .update(der)
    .digest('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1:');
}
