import { createHmac } from 'node:crypto';
import { MtlsError } from '@mtlskit/core';

/**
 * Decodes a CFSSL "standard" auth key (the hex string of `auth_keys.<name>.key` in the
 * server's config). The key itself never appears in the error.
 */
export function decodeAuthKey(hex: string): Buffer {
  const text = hex.trim();
  if (text === '' || text.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(text)) {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      'cfsslEnrollment authKey must be the hex key of an auth_keys entry of the CFSSL config (an even number of hex digits, as `openssl rand -hex 16` prints).',
    );
  }
  return Buffer.from(text, 'hex');
}

/**
 * The body of `POST /api/v1/cfssl/authsign`: CFSSL's standard auth provider checks
 * `token = HMAC-SHA256(key, request)` over the exact bytes of the sign request, so the
 * request travels base64-encoded next to its token rather than re-serialised.
 */
export function authsignBody(key: Buffer, requestJson: string): { token: string; request: string } {
  const bytes = Buffer.from(requestJson, 'utf8');
  return {
    token: createHmac('sha256', key).update(bytes).digest('base64'),
    request: bytes.toString('base64'),
  };
}
