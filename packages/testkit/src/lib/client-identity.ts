import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { BackendContext } from './backend-context.js';
import type { KnownCertificate } from './backend-state.js';
import { ApiError } from './http.js';
import { colonFingerprint } from './secret.js';

/** Whether the TLS session of `req` carries a client certificate. */
export function hasClientCertificate(req: IncomingMessage): boolean {
  const peer = (req.socket as TLSSocket).getPeerCertificate?.(false);
  return Boolean(peer?.raw);
}

/**
 * The identity behind the client certificate of an mTLS call. The TLS layer only requests
 * the certificate (`rejectUnauthorized: false`, so the register call works without one);
 * here the exact certificate must be one this backend issued or pinned, which also proves
 * it chains to the backend CA, and it must be valid at backend time (so a fake or shifted
 * clock is honoured where OpenSSL would use the real one).
 */
export function clientIdentity(ctx: BackendContext, req: IncomingMessage): KnownCertificate {
  const peer = (req.socket as TLSSocket).getPeerCertificate?.(false);
  if (!peer?.raw) {
    throw new ApiError(
      401,
      'CLIENT_CERTIFICATE_REQUIRED',
      'This call needs mutual TLS: present the client certificate this backend issued to you.',
    );
  }
  const known = ctx.state.byFingerprint.get(colonFingerprint(peer.raw));
  if (!known) {
    throw new ApiError(
      401,
      'CLIENT_CERTIFICATE_UNKNOWN',
      'The client certificate was not issued or registered by this backend: register with an install token first.',
    );
  }
  if (known.agent.revoked) {
    throw new ApiError(
      403,
      'IDENTITY_REVOKED',
      'This identity was revoked: stop using it and register again with a new install token.',
    );
  }
  const now = ctx.now();
  if (now < known.notBefore)
    throw new ApiError(
      401,
      'CLIENT_CERTIFICATE_NOT_YET_VALID',
      'The client certificate is not valid yet at the backend time: check the clocks.',
    );
  if (now > known.notAfter)
    throw new ApiError(
      401,
      'CLIENT_CERTIFICATE_EXPIRED',
      'The client certificate has expired: register again with a new install token.',
    );
  return known;
}
