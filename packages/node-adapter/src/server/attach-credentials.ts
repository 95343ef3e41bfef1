import { randomBytes, X509Certificate } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerHttp2Session } from 'node:http2';
import type { TLSSocket, Server as TlsServer } from 'node:tls';
import type { CertificateInfo, CredentialSource, Credentials } from '@mtlskit/core';
import { MtlsError, parseCertificate } from '@mtlskit/core';
import { durationOption } from '../lib/durations.js';
import { resolveTlsVersions, type TlsVersionOptions } from '../lib/tls-versions.js';
import { getPeerIdentity, type PeerIdentity } from './get-peer-identity.js';

/** Options of {@link attachCredentials}. */
export interface AttachCredentialsOptions extends TlsVersionOptions {
  /** Ask clients for a certificate and reject those that do not verify. Default `true`. */
  requestCert?: boolean;
  /**
   * With `requestCert`, let clients whose certificate does not verify finish the handshake
   * (check `getPeerIdentity()` yourself). Disables peer verification. Default `false`.
   */
  dangerouslyAcceptUnverifiedClients?: boolean;
  /**
   * Called once per verified connection; returning `false` closes it before any request is
   * read. Use {@link createPeerAllowList} for CN / SAN / SPIFFE ID allow-lists. Default: allow.
   */
  authorize?: (peer: PeerIdentity) => boolean;
  /**
   * After a swap, HTTP/1.1 connections of old generations answer their next response with
   * `Connection: close`, and HTTP/2 sessions of old generations get a GOAWAY (in-flight
   * streams finish). Default `true`.
   */
  retireConnections?: boolean;
  /** Retire connections older than this (ms) the same way, even without a swap. Default: off. */
  maxConnectionAge?: number;
}

/** The handle returned by {@link attachCredentials}. */
export interface AttachedCredentials extends EventEmitter {
  /** The generation the server presents to new connections (0 before the first). */
  readonly generation: number;
  /**
   * Resolves once the server has its first identity: listen after this. Rejects with
   * `ERR_MTLS_CREDENTIALS_UNUSABLE` when that identity cannot serve TLS server
   * authentication (a client-only certificate).
   */
  readonly ready: Promise<void>;
  /** Stops following the source (the server keeps its last context). */
  detach(): void;
}

interface ConnState {
  generation: number;
  openedAt: number;
}

const ALREADY = Symbol.for('mtlskit.attachCredentials');

/**
 * Keeps a `tls.Server`, `https.Server` or `http2` secure server on the current identity of
 * `source`: every swap calls `server.setSecureContext()` with fresh session `ticketKeys`
 * (they survive `setSecureContext` otherwise, and a resumed session skips certificate
 * checks), so new handshakes use the new certificate and trust bundle. Open connections
 * are left alone; with `retireConnections` old-generation HTTP/1.1 connections close after
 * their next response and HTTP/2 sessions are sent a GOAWAY. Client certificates are
 * required and verified by default; `authorize(peer)` can refuse verified peers.
 *
 * Events: `swap` `{from, to}`, `unauthorized` `{peer}`, `error` (MtlsError: material Node could
 * not load; the previous context stays).
 *
 * @example
 * ```ts
 * import https from 'node:https';
 * import { attachCredentials, createPeerAllowList, getPeerIdentity } from '@mtlskit/node-adapter';
 * const server = https.createServer((req, res) => res.end(`hi ${getPeerIdentity(req)?.commonName}`));
 * const attached = attachCredentials(server, source, { authorize: createPeerAllowList({ commonNames: ['billing'] }) });
 * await attached.ready;
 * server.listen(8443);
 * ```
 */
export function attachCredentials(
  server: TlsServer,
  source: CredentialSource,
  options: AttachCredentialsOptions = {},
): AttachedCredentials {
  if (typeof (server as Partial<TlsServer>)?.setSecureContext !== 'function') {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      'attachCredentials needs a tls.Server, https.Server or http2 secure server.',
    );
  }
  if ((server as unknown as Record<symbol, unknown>)[ALREADY] === true) {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      'This server already follows a credential source; detach() it first.',
    );
  }
  const versions = resolveTlsVersions(options);
  const maxAge = durationOption('maxConnectionAge', options.maxConnectionAge, undefined);
  const retire = options.retireConnections !== false;
  const requestCert = options.requestCert !== false;
  const events = new EventEmitter() as AttachedCredentials & EventEmitter;
  const conns = new WeakMap<TLSSocket, ConnState>();
  // session.socket is a proxy, not the TLSSocket seen in secureConnection: tag sessions apart.
  const sessions = new Map<ServerHttp2Session, number>();
  // Serial of each recent generation's leaf, to learn which context a handshake used.
  const serials = new Map<string, number>();
  let generation = 0;
  let detached = false;
  // Without a listener, an 'error' event would throw inside a socket callback.
  const emitError = (e: MtlsError): void => {
    if (events.listenerCount('error') > 0) events.emit('error', e);
  };
  (server as unknown as Record<symbol, unknown>)[ALREADY] = true;

  const s = server as TlsServer & { requestCert?: boolean; rejectUnauthorized?: boolean };
  s.requestCert = requestCert;
  s.rejectUnauthorized = requestCert && options.dangerouslyAcceptUnverifiedClients !== true;

  let refusal: { generation: number; error: MtlsError } | undefined;
  const apply = (c: Credentials): MtlsError | undefined => {
    if (detached || c.generation <= generation) return undefined;
    // The first generation arrives both as an update and through ready(): report it once.
    if (refusal?.generation === c.generation) return refusal.error;
    const unfit = serverAuthProblem(c);
    if (unfit) {
      refusal = { generation: c.generation, error: unfit };
      emitError(unfit);
      return unfit;
    }
    try {
      server.setSecureContext({
        cert: c.certificateChainPem,
        key: c.privateKeyPem,
        ca: c.trustAnchorsPem,
        ...versions,
        ticketKeys: randomBytes(48),
      });
    } catch (e) {
      emitError(
        new MtlsError(
          'ERR_MTLS_CREDENTIALS_UNUSABLE',
          `Node could not load credentials generation ${c.generation} into the server; the previous generation keeps serving.`,
          { cause: e, details: { generation: c.generation } },
        ),
      );
      return undefined;
    }
    // setSecureContext keeps the key and ticket keys as plain server properties; hide them
    // from util.inspect and log serializers (Node only reads them in setSecureContext).
    for (const secret of ['key', 'ticketKeys'] as const) {
      const value = (server as unknown as Record<string, unknown>)[secret];
      Object.defineProperty(server, secret, { value, enumerable: false, writable: true, configurable: true });
    }
    const from = generation;
    generation = c.generation;
    const serial = serialOf(c.certificateChainPem);
    if (serial !== undefined) serials.set(serial, c.generation);
    if (serials.size > 16) serials.delete(serials.keys().next().value as string);
    if (retire) {
      for (const [session, gen] of sessions) {
        if (gen < generation && !session.closed) session.close();
      }
    }
    events.emit('swap', { from, to: generation });
    return undefined;
  };

  const generationOf = (socket: TLSSocket): number => {
    const serial = socket.getCertificate?.();
    const hex = serial && 'serialNumber' in serial ? String(serial.serialNumber).toUpperCase() : undefined;
    return (hex !== undefined ? serials.get(hex) : undefined) ?? generation;
  };

  const onSecureConnection = (socket: TLSSocket): void => {
    conns.set(socket, { generation: generationOf(socket), openedAt: Date.now() });
    if (options.authorize === undefined || socket.authorized !== true) return;
    const peer = getPeerIdentity(socket);
    let allowed = false;
    try {
      allowed = peer !== undefined && options.authorize(peer) === true;
    } catch {
      allowed = false;
    }
    if (!allowed) {
      events.emit('unauthorized', { peer });
      socket.destroy();
    }
  };

  const stale = (socket: TLSSocket | undefined): boolean => {
    const state = socket === undefined ? undefined : conns.get(socket);
    if (state === undefined) return false;
    return (
      (retire && state.generation < generation) ||
      (maxAge !== undefined && Date.now() - state.openedAt > maxAge)
    );
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.httpVersionMajor !== 1) return;
    if (stale(req.socket as TLSSocket) && !res.headersSent) res.setHeader('Connection', 'close');
  };

  const onSession = (session: ServerHttp2Session): void => {
    sessions.set(session, generationOf(session.socket as TLSSocket));
    session.once('close', () => sessions.delete(session));
    if (maxAge !== undefined) {
      const t = setTimeout(() => {
        if (!session.closed && !session.destroyed) session.close();
      }, maxAge);
      t.unref();
      session.once('close', () => clearTimeout(t));
    }
  };

  const onUpdate = (c: Credentials): void => {
    apply(c);
  };
  const onSourceError = (e: MtlsError): void => emitError(e);

  server.on('secureConnection', onSecureConnection);
  server.prependListener('request' as 'secureConnection', onRequest as never);
  server.on('session' as 'secureConnection', onSession as never);
  source.on('update', onUpdate);
  source.on('error', onSourceError);

  let first: Credentials | undefined;
  try {
    first = source.current();
  } catch {
    first = undefined;
  }
  // A first identity that cannot serve TLS server authentication rejects `ready`.
  const refused = first !== undefined ? apply(first) : undefined;
  const ready =
    first !== undefined
      ? refused
        ? Promise.reject(refused)
        : Promise.resolve()
      : source.ready().then((c) => {
          const problem = apply(c);
          if (problem) throw problem;
        });
  ready.catch(() => undefined);

  Object.defineProperties(events, {
    generation: { get: () => generation, enumerable: true },
    ready: { value: ready, enumerable: true },
    detach: {
      value: () => {
        if (detached) return;
        detached = true;
        delete (server as unknown as Record<symbol, unknown>)[ALREADY];
        server.off('secureConnection', onSecureConnection);
        server.off('request' as 'secureConnection', onRequest as never);
        server.off('session' as 'secureConnection', onSession as never);
        source.off('update', onUpdate);
        source.off('error', onSourceError);
      },
    },
  });
  return events;
}

/**
 * Why the leaf cannot be a TLS server certificate (clients would fail with "unsuitable
 * certificate purpose"), as the error to report; undefined when it can.
 */
function serverAuthProblem(c: Credentials): MtlsError | undefined {
  let leaf: CertificateInfo;
  try {
    leaf = parseCertificate(c.certificateChainPem);
  } catch {
    return undefined; // unreadable material is setSecureContext's error to report
  }
  const eku =
    leaf.hasExtendedKeyUsage &&
    !leaf.extendedKeyUsage.some((u) => u === 'serverAuth' || u === 'anyExtendedKeyUsage');
  const ku =
    leaf.hasKeyUsage && !leaf.keyUsage.some((u) => u === 'digitalSignature' || u === 'keyEncipherment');
  if (!eku && !ku) return undefined;
  const why = eku
    ? `its extended key usage is ${leaf.extendedKeyUsage.join(', ') || 'empty'}, without serverAuth`
    : `its key usage (${leaf.keyUsage.join(', ')}) allows neither digitalSignature nor keyEncipherment`;
  return new MtlsError(
    'ERR_MTLS_CREDENTIALS_UNUSABLE',
    `Credentials generation ${c.generation} cannot serve TLS server authentication: certificate "${leaf.subject}" ${why}, so clients would refuse it ("unsuitable certificate purpose"). Give the server a certificate issued with EKU serverAuth (e.g. ca.issue({ profile: 'server' })); an agent's client certificate is not one.`,
    { details: { generation: c.generation, reason: eku ? 'extended-key-usage' : 'key-usage' } },
  );
}

function serialOf(chainPem: string): string | undefined {
  try {
    // The same parser as socket.getCertificate(), so both spell the serial alike.
    return new X509Certificate(chainPem).serialNumber.toUpperCase();
  } catch {
    return undefined;
  }
}
