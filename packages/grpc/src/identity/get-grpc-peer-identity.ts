import type { TLSSocket } from 'node:tls';
import type * as grpc from '@grpc/grpc-js';
import { parseCertificate } from '@mtlskit/core';

/** The verified identity of a gRPC peer, read from its certificate. */
export interface GrpcPeerIdentity {
  /** RFC 4514 subject, e.g. `CN=billing,O=acme`. */
  readonly subject: string;
  readonly commonName: string | undefined;
  readonly dnsNames: readonly string[];
  readonly uris: readonly string[];
  readonly ipAddresses: readonly string[];
  /** The first `spiffe://` URI SAN, if any. */
  readonly spiffeId: string | undefined;
  /** Issuer (RFC 4514). */
  readonly issuer: string;
  readonly serialNumber: string;
  /** SHA-256 fingerprint in openssl colon form. */
  readonly fingerprintSha256: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** Builds the identity of a DER certificate (internal: also used for the server's view of a channel). */
export function identityFromDer(der: Uint8Array): GrpcPeerIdentity {
  const info = parseCertificate(der);
  return Object.freeze({
    subject: info.subject,
    commonName: info.commonName,
    dnsNames: info.dnsNames,
    uris: info.uris,
    ipAddresses: info.ipAddresses,
    spiffeId: info.uris.find((u) => u.toLowerCase().startsWith('spiffe://')),
    issuer: info.issuer,
    serialNumber: info.serialNumber,
    fingerprintSha256: info.fingerprintSha256,
    notBefore: info.notBefore,
    notAfter: info.notAfter,
  });
}

const bySocket = new WeakMap<object, GrpcPeerIdentity | null>();
const byMetadata = new WeakMap<object, GrpcPeerIdentity>();

/** Internal: the verified client identity of a TLS socket (parsed once per connection). */
export function identityOfSocket(socket: TLSSocket | undefined): GrpcPeerIdentity | undefined {
  if (socket === undefined || socket.authorized !== true) return undefined;
  const cached = bySocket.get(socket);
  if (cached !== undefined) return cached ?? undefined;
  const x509 = socket.getPeerX509Certificate?.();
  const identity = x509 === undefined ? null : identityFromDer(new Uint8Array(x509.raw));
  bySocket.set(socket, identity);
  return identity ?? undefined;
}

/**
 * Internal: remembers the identity for the request metadata object grpc-js hands on to the
 * handler, so {@link getGrpcPeerIdentity} also works on grpc-js versions without `getAuthContext()`.
 * Keyed by object identity: a client cannot forge it with a header.
 */
export function rememberIdentity(metadata: object, identity: GrpcPeerIdentity): void {
  byMetadata.set(metadata, identity);
}

interface CallLike {
  readonly metadata?: object;
  getAuthContext?: () => { sslPeerCertificate?: { raw?: Buffer } } | null | undefined;
}

/**
 * The verified client certificate of a server call: common name, SANs, SPIFFE ID and
 * fingerprint. Returns `undefined` when the client presented no certificate or it did not
 * verify (possible only with `requireClientCert: false`), so a present value can be trusted.
 *
 * Works for calls on a server bound with {@link createServerCredentials} on every supported
 * grpc-js version, and on grpc-js ≥ 1.14 for any TLS server (through `call.getAuthContext()`).
 *
 * @example
 * ```ts
 * import * as grpc from '@grpc/grpc-js';
 * import { getGrpcPeerIdentity } from '@mtlskit/grpc';
 * const sayHello: grpc.handleUnaryCall<unknown, unknown> = (call, callback) => {
 *   const peer = getGrpcPeerIdentity(call);
 *   callback(null, { message: `hello ${peer?.spiffeId ?? peer?.commonName ?? 'stranger'}` });
 * };
 * ```
 */
export function getGrpcPeerIdentity(
  call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown> | object,
): GrpcPeerIdentity | undefined {
  const c = call as CallLike;
  if (c.metadata !== undefined) {
    const known = byMetadata.get(c.metadata);
    if (known !== undefined) return known;
  }
  if (typeof c.getAuthContext === 'function') {
    const auth = c.getAuthContext();
    const raw = auth?.sslPeerCertificate?.raw;
    // grpc-js fills sslPeerCertificate only when the TLS socket says the peer verified.
    if (raw !== undefined && raw.length > 0) return identityFromDer(new Uint8Array(raw));
  }
  return undefined;
}
