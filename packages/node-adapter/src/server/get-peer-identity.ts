import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest, ServerHttp2Session } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { parseCertificate } from '@mtlskit/core';

/** The verified identity of a TLS peer, read from its certificate. */
export interface PeerIdentity {
  /** RFC 4514 subject, e.g. `CN=billing,O=acme`. */
  readonly subject: string;
  readonly commonName: string | undefined;
  readonly dnsNames: readonly string[];
  readonly uris: readonly string[];
  readonly emails: readonly string[];
  readonly ipAddresses: readonly string[];
  /** The first `spiffe://` URI SAN, if any. */
  readonly spiffeId: string | undefined;
  /** Issuer (RFC 4514). */
  readonly issuer: string;
  readonly serialNumber: string;
  /** SHA-256 fingerprint in openssl colon form. */
  readonly fingerprintSha256: string;
  readonly notAfter: Date;
}

const cache = new WeakMap<TLSSocket, PeerIdentity | null>();

function socketOf(
  target: TLSSocket | IncomingMessage | Http2ServerRequest | ServerHttp2Session,
): TLSSocket | undefined {
  const stream = (target as Http2ServerRequest).stream;
  if (stream !== undefined && typeof stream === 'object' && 'session' in stream) {
    return stream.session?.socket as TLSSocket | undefined;
  }
  if ('encrypted' in target && typeof (target as TLSSocket).getPeerX509Certificate === 'function')
    return target as TLSSocket;
  const socket = (target as IncomingMessage | ServerHttp2Session).socket as TLSSocket | undefined;
  return socket !== undefined && typeof socket.getPeerX509Certificate === 'function' ? socket : undefined;
}

/**
 * Reads the verified client identity of a TLS socket, an HTTP/1.1 request, an HTTP/2
 * request or session. Returns `undefined` when the peer sent no certificate or it did not
 * verify, so a present value can be trusted. Parsed once per connection.
 *
 * @example
 * ```ts
 * import { getPeerIdentity } from '@mtlskit/node-adapter';
 * server.on('request', (req, res) => {
 *   const peer = getPeerIdentity(req);
 *   res.end(peer ? `hello ${peer.spiffeId ?? peer.commonName}` : 'who are you?');
 * });
 * ```
 */
export function getPeerIdentity(
  target: TLSSocket | IncomingMessage | Http2ServerRequest | ServerHttp2Session,
): PeerIdentity | undefined {
  const socket = socketOf(target);
  if (socket === undefined || socket.authorized !== true) return undefined;
  const cached = cache.get(socket);
  if (cached !== undefined) return cached ?? undefined;
  const x509 = socket.getPeerX509Certificate();
  const identity = x509 === undefined ? null : peerIdentityOf(new Uint8Array(x509.raw));
  cache.set(socket, identity);
  return identity ?? undefined;
}

/** The {@link PeerIdentity} of a DER certificate (a client's, or a server's for `authorizeServer`). */
export function peerIdentityOf(der: Uint8Array): PeerIdentity {
  const info = parseCertificate(der);
  return Object.freeze({
    subject: info.subject,
    commonName: info.commonName,
    dnsNames: info.dnsNames,
    uris: info.uris,
    emails: info.emails,
    ipAddresses: info.ipAddresses,
    spiffeId: info.uris.find((u) => u.toLowerCase().startsWith('spiffe://')),
    issuer: info.issuer,
    serialNumber: info.serialNumber,
    fingerprintSha256: info.fingerprintSha256,
    notAfter: info.notAfter,
  });
}
