import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { ProtocolError } from '../http/protocol-error.js';
import type { ServiceContext } from '../service/service-context.js';
import type { StoredCertificate, StoredIdentity } from '../store/registration-store.js';
import { colonFingerprint } from './secret.js';

/** Whether the TLS session of `req` carries a client certificate. */
export function hasClientCertificate(req: IncomingMessage): boolean {
  const peer = (req.socket as TLSSocket).getPeerCertificate?.(false);
  return Boolean(peer?.raw);
}

/** The error of a revoked identity on an mTLS call or a register replay. */
export function identityRevoked(): ProtocolError {
  return new ProtocolError(
    403,
    'IDENTITY_REVOKED',
    'This identity was revoked: stop using it and register again with a new install token.',
  );
}

/**
 * The identity behind the client certificate of an mTLS call, read from the store on
 * every call (so a revocation on any replica counts at once). The TLS layer only requests
 * the certificate; here the exact certificate must be one this service issued or pinned,
 * which also proves it chains to the service CA, and it must be valid at service time.
 */
export async function clientIdentity(
  ctx: ServiceContext,
  req: IncomingMessage,
): Promise<{ certificate: StoredCertificate; identity: StoredIdentity }> {
  const peer = (req.socket as TLSSocket).getPeerCertificate?.(false);
  if (!peer?.raw) {
    throw new ProtocolError(
      401,
      'CLIENT_CERTIFICATE_REQUIRED',
      'This call needs mutual TLS: present the client certificate this backend issued to you.',
    );
  }
  const known = await ctx.store.authenticate(colonFingerprint(peer.raw));
  if (!known) {
    throw new ProtocolError(
      401,
      'CLIENT_CERTIFICATE_UNKNOWN',
      'The client certificate was not issued or registered by this backend: register with an install token first.',
    );
  }
  if (known.identity.revoked) throw identityRevoked();
  const now = ctx.now();
  if (now < known.certificate.notBefore)
    throw new ProtocolError(
      401,
      'CLIENT_CERTIFICATE_NOT_YET_VALID',
      'The client certificate is not valid yet at the backend time: check the clocks.',
    );
  if (now > known.certificate.notAfter)
    throw new ProtocolError(
      401,
      'CLIENT_CERTIFICATE_EXPIRED',
      'The client certificate has expired: register again with a new install token.',
    );
  return known;
}
