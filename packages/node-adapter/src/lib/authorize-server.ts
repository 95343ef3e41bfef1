import type { PeerCertificate } from 'node:tls';
import { MtlsError } from '@mtlskit/core';
import { type PeerIdentity, peerIdentityOf } from '../server/get-peer-identity.js';

/** A client-side check of the server's verified identity, replacing the host-name check. */
export type AuthorizeServer = (peer: PeerIdentity) => boolean;

/**
 * A `checkServerIdentity` for `tls.connect` that accepts the server when `authorize(peer)`
 * says so, instead of matching the host name (go-spiffe's `tlsconfig.AuthorizeID`): Node
 * calls it after the chain verified against the trust anchors, so `peer` is trustworthy.
 */
export function checkServerIdentityWith(
  authorize: AuthorizeServer,
): (hostname: string, cert: PeerCertificate) => Error | undefined {
  return (hostname, cert) => {
    let peer: PeerIdentity | undefined;
    let allowed = false;
    try {
      peer = peerIdentityOf(new Uint8Array(cert.raw));
      allowed = authorize(peer) === true;
    } catch {
      allowed = false;
    }
    if (allowed) return undefined;
    const who = peer === undefined ? 'an unreadable certificate' : `"${peer.spiffeId ?? peer.subject}"`;
    return new MtlsError(
      'ERR_MTLS_SERVER_NOT_AUTHORIZED',
      `The server at ${hostname} presented a trusted certificate for ${who}, which authorizeServer does not allow; check that you connect to the intended service or extend the allow-list.`,
      {
        details: {
          hostname,
          ...(peer === undefined
            ? {}
            : { subject: peer.subject, spiffeId: peer.spiffeId, fingerprintSha256: peer.fingerprintSha256 }),
        },
      },
    );
  };
}

/** Validates the option. */
export function authorizeServerOption(value: unknown): AuthorizeServer | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      'authorizeServer must be a function (peer) => boolean, e.g. createPeerAllowList({ spiffeIds: [...] }).',
    );
  }
  return value as AuthorizeServer;
}
