import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { type Clock, type CredentialSource, MtlsError } from '@mtlskit/core';
import { type GrpcPeerIdentity, identityFromDer } from '../identity/get-grpc-peer-identity.js';
import { type CredentialsHandle, withHandle } from '../lib/credentials-handle.js';
import { SourceCertificateProvider } from '../provider/source-certificate-provider.js';

/**
 * How the channel checks the server, after its chain verified against the source's trust
 * anchors: by host name (default: the target's host, or `hostname`), by SPIFFE ID (exact, or
 * a path prefix ending in `/*`; host names are then not checked), or by your own function.
 */
export type VerifyPeer =
  | { readonly hostname: string }
  | { readonly spiffeId: string | readonly string[] }
  | ((peer: GrpcPeerIdentity) => boolean);

/** Options of {@link createChannelCredentials}. */
export interface ChannelCredentialsOptions {
  /** How the server is identified. Default: its certificate must match the target's host name. */
  verifyPeer?: VerifyPeer;
  /** Where time comes from (validity checks of updates). Default the system clock. */
  clock?: Clock;
}

/** grpc-js channel credentials that follow a {@link CredentialSource}, with events. */
export type MtlsChannelCredentials = grpc.ChannelCredentials & CredentialsHandle;

function spiffeMatches(pattern: string, id: string): boolean {
  return pattern.endsWith('/*') ? id.startsWith(pattern.slice(0, -1)) : pattern === id;
}

function checkerFor(verifyPeer: VerifyPeer): (host: string, cert: PeerCertificate) => Error | undefined {
  if (typeof verifyPeer === 'function') {
    return (_host, cert) => {
      const peer = identityFromDer(new Uint8Array(cert.raw));
      return verifyPeer(peer) === true
        ? undefined
        : new Error(`mtlskit: the server "${peer.spiffeId ?? peer.subject}" was refused by verifyPeer`);
    };
  }
  if ('hostname' in verifyPeer) {
    const name = verifyPeer.hostname;
    if (typeof name !== 'string' || name === '') {
      throw new MtlsError('ERR_MTLS_INVALID_ARGUMENT', 'verifyPeer.hostname must be a non-empty host name.');
    }
    return (_host, cert) => checkServerIdentity(name, cert);
  }
  const ids = typeof verifyPeer.spiffeId === 'string' ? [verifyPeer.spiffeId] : [...verifyPeer.spiffeId];
  if (ids.length === 0 || ids.some((p) => typeof p !== 'string' || !p.startsWith('spiffe://'))) {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      'verifyPeer.spiffeId takes SPIFFE IDs such as "spiffe://example.org/api" or "spiffe://example.org/ns/prod/*".',
    );
  }
  return (_host, cert) => {
    const id = identityFromDer(new Uint8Array(cert.raw)).spiffeId;
    if (id !== undefined && ids.some((p) => spiffeMatches(p, id))) return undefined;
    return new Error(`mtlskit: the server's SPIFFE ID is ${id ?? 'missing'}, expected ${ids.join(' or ')}`);
  };
}

/**
 * grpc-js `ChannelCredentials` that present the source's current identity on every new
 * connection and verify the server against the source's current trust anchors, by host
 * name or SPIFFE ID. Updates that are bad are refused (`error`), the last good identity stays.
 *
 * A connection keeps the client certificate it was opened with; a server bound with
 * `createServerCredentials` drains connections when its own identity rotates and before
 * either certificate expires, so the channel reconnects with the identity in service.
 * `@grpc/grpc-js` ≥ 1.12 (a peer dependency); await `source.ready()` first.
 *
 * @example
 * ```ts
 * import * as grpc from '@grpc/grpc-js';
 * import type { CredentialSource } from '@mtlskit/core';
 * import { createChannelCredentials } from '@mtlskit/grpc';
 * declare const source: CredentialSource;
 * await source.ready();
 * const credentials = createChannelCredentials(source, { verifyPeer: { spiffeId: 'spiffe://example.org/api' } });
 * const client = new grpc.Client('127.0.0.1:50051', credentials);
 * ```
 */
export function createChannelCredentials(
  source: CredentialSource,
  options: ChannelCredentialsOptions = {},
): MtlsChannelCredentials {
  if (source === null || typeof source !== 'object' || typeof source.on !== 'function') {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      'createChannelCredentials needs a CredentialSource (e.g. MutableCredentialSource, an agent, a file source).',
    );
  }
  const verifyOptions: grpc.VerifyOptions = {};
  if (options.verifyPeer !== undefined) verifyOptions.checkServerIdentity = checkerFor(options.verifyPeer);
  // Channels read the latest update when they connect, so a synchronous first update is safe
  // here and spares the first connection a "credentials not loaded" failure.
  const provider = new SourceCertificateProvider(source, { deliverOnAdd: 'sync', clock: options.clock });
  const credentials = grpc.experimental.createCertificateProviderChannelCredentials(
    provider,
    provider,
    verifyOptions,
  );
  return withHandle(credentials, provider);
}
