import type { ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { type Clock, type CredentialSource, MtlsError, systemClock } from '@mtlskit/core';
import {
  type GrpcPeerIdentity,
  identityOfSocket,
  rememberIdentity,
} from '../identity/get-grpc-peer-identity.js';
import { type CredentialsHandle, withHandle } from '../lib/credentials-handle.js';
import { SourceCertificateProvider } from '../provider/source-certificate-provider.js';
import { SessionRetirer } from './session-retirer.js';

/** Options of {@link createServerCredentials}. */
export interface ServerCredentialsOptions {
  /**
   * Reject clients without a certificate that verifies against the source's trust anchors
   * (during the TLS handshake). Default `true`.
   */
  requireClientCert?: boolean;
  /**
   * Decides per call whether the verified client may call `method` (e.g. by SPIFFE ID).
   * Refused calls end with `PERMISSION_DENIED` (or `UNAUTHENTICATED` without a verified
   * client certificate) before the handler runs.
   */
  authorize?: (peer: GrpcPeerIdentity, method: string) => boolean;
  /** Where time comes from (certificate validity, connection retirement). Default the system clock. */
  clock?: Clock;
}

/** grpc-js server credentials that follow a {@link CredentialSource}, with events. */
export type MtlsServerCredentials = grpc.ServerCredentials & CredentialsHandle;

interface InternalCall {
  /** grpc-js' BaseServerInterceptingCall keeps its HTTP/2 stream here (1.12 – 1.14). */
  readonly stream?: ServerHttp2Stream;
  getAuthContext?: () => unknown;
}

function deny(call: grpc.ServerInterceptingCallInterface, code: grpc.status, details: string): void {
  call.sendStatus({ code, details, metadata: new grpc.Metadata() });
}

/**
 * grpc-js `ServerCredentials` that serve the source's current identity to every new
 * connection, trust the source's current anchors for client certificates, and move open
 * connections to the new identity: a connection made with an older server certificate gets
 * a graceful GOAWAY as soon as a new generation is in service (its running calls finish,
 * the client reconnects), and every connection is drained before the earlier `notAfter` of
 * the two certificates on it. An update that is bad (key does not match, expired, not yet
 * valid) is refused: the last good identity keeps serving and `error` says why.
 *
 * Bind it with `server.bindAsync()` as usual. `@grpc/grpc-js` ≥ 1.12 (a peer dependency);
 * await `source.ready()` first, or connections are refused until the first identity arrives.
 *
 * @example
 * ```ts
 * import * as grpc from '@grpc/grpc-js';
 * import type { CredentialSource } from '@mtlskit/core';
 * import { createServerCredentials } from '@mtlskit/grpc';
 * declare const source: CredentialSource;
 * await source.ready();
 * const credentials = createServerCredentials(source, {
 *   authorize: (peer) => peer.spiffeId === 'spiffe://example.org/billing',
 * });
 * credentials.on('error', (e) => console.error(e.code, e.message));
 * const server = new grpc.Server();
 * server.bindAsync('127.0.0.1:0', credentials, (err, port) => console.log(err ?? port));
 * ```
 */
export function createServerCredentials(
  source: CredentialSource,
  options: ServerCredentialsOptions = {},
): MtlsServerCredentials {
  if (source === null || typeof source !== 'object' || typeof source.on !== 'function') {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      'createServerCredentials needs a CredentialSource (e.g. MutableCredentialSource, an agent, a file source).',
    );
  }
  const { requireClientCert = true, authorize } = options;
  if (authorize !== undefined && typeof authorize !== 'function') {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      'authorize must be a function (peer, method) => boolean.',
    );
  }
  // grpc-js 1.12 builds the TLS server before the provider's first update and never passes
  // requestCert to it: clients would not be asked for a certificate at all.
  if (
    typeof (grpc.ServerCredentials.prototype as { _getConstructorOptions?: unknown })
      ._getConstructorOptions !== 'function'
  ) {
    throw new MtlsError(
      'ERR_MTLS_GRPC_UNSUPPORTED',
      'This @grpc/grpc-js cannot request client certificates from rotating credentials; install @grpc/grpc-js >= 1.13.',
    );
  }
  const clock = options.clock ?? systemClock;
  const provider = new SourceCertificateProvider(source, { deliverOnAdd: 'async', clock });
  const retirer = new SessionRetirer({ clock, current: () => provider.accepted });
  // Listeners run in order: grpc-js' listeners (setSecureContext) were called before this.
  provider.on('update', () => retirer.retireStale());
  provider.on('withdraw', () => retirer.retireStale());

  const isAllowed = (peer: GrpcPeerIdentity, path: string): boolean => {
    try {
      return authorize!(peer, path) === true;
    } catch {
      return false;
    }
  };

  const interceptor: grpc.ServerInterceptor = (method, call) => {
    const session = (call as unknown as InternalCall).stream?.session;
    if (session !== undefined) retirer.track(session as ServerHttp2Session);
    const hasAuthContext = typeof (call as unknown as InternalCall).getAuthContext === 'function';
    // Nothing to add per call: skip the wrapper (grpc-js only chains these calls).
    if (authorize === undefined && hasAuthContext) return call as grpc.ServerInterceptingCall;
    const peer = identityOfSocket(session?.socket as TLSSocket | undefined);
    // Decided before the call is read: the peer is fixed for the connection.
    const refusal: [grpc.status, string] | undefined =
      authorize === undefined
        ? undefined
        : peer === undefined
          ? [grpc.status.UNAUTHENTICATED, 'mtlskit: this call needs a verified client certificate']
          : isAllowed(peer, method.path)
            ? undefined
            : [
                grpc.status.PERMISSION_DENIED,
                `mtlskit: client ${peer.spiffeId ?? peer.subject} may not call ${method.path}`,
              ];
    // Allowed, and getGrpcPeerIdentity() can use getAuthContext(): no wrapper needed.
    if (refusal === undefined && hasAuthContext) return call as grpc.ServerInterceptingCall;
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            if (refusal !== undefined) {
              deny(call, refusal[0], refusal[1]);
              return;
            }
            if (peer !== undefined) rememberIdentity(metadata, peer);
            nextMetadata(metadata);
          },
        }),
    });
  };

  const base = grpc.experimental.createCertificateProviderServerCredentials(
    provider,
    provider,
    requireClientCert,
  );
  const credentials = grpc.experimental.createServerCredentialsWithInterceptors(base, [interceptor]);
  return withHandle(credentials, provider, () => retirer.close());
}
