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

/**
 * Compares a presented secret with a stored SHA-256 in constant time. Both sides are
 * 32-byte digests, so neither the length nor the content of the secret leaks through timing.
 */
export function secretMatches(presented: string, storedHash: Buffer): boolean {
  return timingSafeEqual(hashSecret(presented), storedHash);
}

/** base64url(SHA-256(der)), the form of the protocol's `Idempotency-Key`. */
export function sha256Base64Url(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('base64url');
}

/** SHA-256 in OpenSSL's colon form (`AB:CD:…`), as `CertificateInfo.fingerprintSha256`. */
export function colonFingerprint(der: Uint8Array): string {
  return createHash('sha256')
    .update(der)
    .digest('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1:');
}
