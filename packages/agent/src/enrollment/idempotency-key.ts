import { exportPublicKeyPem, type KeyPair, parseCsr } from '@mtlskit/core';

/**
 * The `Idempotency-Key` an agent sends with its register call: base64url(SHA-256(SPKI)).
 * The same key pair always gives the same value, so a register retried after a lost
 * response is recognised by the backend instead of creating a second identity.
 *
 * @example
 * ```ts
 * const key = await generateKeyPair();
 * const headers = { 'Idempotency-Key': await idempotencyKey(key) };
 * ```
 */
export async function idempotencyKey(key: KeyPair): Promise<string> {
  const spkiPem = await exportPublicKeyPem(key);
  const der = Uint8Array.from(atob(spkiPem.replace(/-----[^-]+-----|\s/g, '')), (c) => c.charCodeAt(0));
  const digest = new Uint8Array(await key.crypto.subtle.digest('SHA-256', der));
  return btoa(String.fromCharCode(...digest))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/**
 * The same key computed from a CSR, as a backend sees it.
 *
 * @example
 * ```ts
 * const expected = await idempotencyKeyOfCsr(body.csr_pem);
 * ```
 */
export async function idempotencyKeyOfCsr(csrPem: string): Promise<string> {
  const csr = await parseCsr(csrPem);
  return csr.spkiSha256.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
