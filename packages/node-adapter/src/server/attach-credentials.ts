import { randomBytes, X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerHttp2Session } from 'node:http2';
import type { TLSSocket, Server as TlsServer } from 'node:tls';
import {
  abortable,
  type CertificateInfo,
  type CredentialSource,
  type Credentials,
  MtlsError,
  parseCertificate,
  type ReadyOptions,
} from '@mtlskit/core';
import { EventEmitter } from 'eventemitter3';
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
  maxConnectionAgeMs?: number;
  /**
   * With `retireConnections`, connections of an old generation are wound down before that
   * generation's certificate expires, whatever they are doing. This long (ms) before its
   * notAfter, raw TLS connections are ended (close_notify + FIN), busy HTTP/1.1 ones close
   * after their response (idle ones already answer their next request with
   * `Connection: close`), HTTP/2 sessions got their GOAWAY at the swap; at a fifth of this
   * before notAfter whatever is left (idle keep-alive sockets, streams that never end) is
   * destroyed. Default `5000`.
   */
  retireBeforeExpiryMs?: number;
}

/** The typed events of {@link AttachedCredentials}. */
export interface AttachedCredentialsEvents {
  /** The server presents generation `to` to new connections from now on. */
  swap: (event: { from: number; to: number }) => void;
  /** `authorize` refused a verified peer; its connection was closed. */
  unauthorized: (event: { peer: PeerIdentity }) => void;
  /** Material Node could not load (the previous context stays), or the source's own error. */
  error: (error: MtlsError) => void;
}

/** The handle returned by {@link attachCredentials}. */
export interface AttachedCredentials extends EventEmitter<AttachedCredentialsEvents> {
  /** The generation the server presents to new connections (0 before the first). */
  readonly generation: number;
  /**
   * Resolves once the server has its first identity: listen after this. Rejects with
   * `ERR_MTLS_CREDENTIALS_UNUSABLE` when that identity cannot serve TLS server
   * authentication (a client-only certificate). `signal` abandons the wait
   * (`ERR_MTLS_ABORTED`); the server keeps following the source.
   */
  ready(options?: ReadyOptions): Promise<void>;
  /** Stops following the source (the server keeps its last context). */
  detach(): void;
}

interface ConnState {
  generation: number;
  openedAt: number;
}

const ALREADY = Symbol.for('mtlskit.attachCredentials');
/** Set once this module put material into a server, so a later attach is not a conflict. */
const OWNED = Symbol.for('mtlskit.attachCredentials.owned');

type ServerState = TlsServer & {
  cert?: unknown;
  key?: unknown;
  pfx?: unknown;
  ca?: unknown;
  requestCert?: boolean;
  rejectUnauthorized?: boolean;
};

/**
 * Refuses TLS options given to `createServer()` that attachCredentials would silently
 * override (Node keeps them as server properties, which is how they are seen here).
 */
function refuseConflicts(server: ServerState, options: AttachCredentialsOptions): void {
  if ((server as unknown as Record<symbol, unknown>)[OWNED] === true) return;
  const conflict = (message: string): MtlsError =>
    new MtlsError(
      'ERR_MTLS_SERVER_OPTIONS_CONFLICT',
      `${message} attachCredentials owns the server's TLS identity and client-certificate policy.`,
    );
  const material = (['cert', 'key', 'pfx', 'ca'] as const).filter((k) => server[k] !== undefined);
  if (material.length > 0) {
    throw conflict(
      `createServer() was given ${material.join(', ')}, which the credential source would replace: remove ${material.length > 1 ? 'them' : 'it'} from the createServer options (extra CAs belong in the source's trustAnchorsPem).`,
    );
  }
  if (server.requestCert === true && options.requestCert === false) {
    throw conflict(
      'createServer() was given requestCert: true but attachCredentials requestCert: false: pass it once, to attachCredentials.',
    );
  }
  if (server.rejectUnauthorized === false && options.dangerouslyAcceptUnverifiedClients !== true) {
    throw conflict(
      'createServer() was given rejectUnauthorized: false, which attachCredentials would turn back on: pass dangerouslyAcceptUnverifiedClients: true to attachCredentials instead.',
    );
  }
}

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
 * **Precedence: attachCredentials owns the server's TLS identity and client-certificate
 * policy.** Pass `requestCert` / `dangerouslyAcceptUnverifiedClients` here, never to
 * `createServer()`: a `requestCert: false` given to `createServer()` cannot be told from
 * Node's default and is overridden (client certificates are required unless you pass
 * `requestCert: false` here). A `cert`, `key`, `pfx` or `ca` given to `createServer()`, or
 * a `requestCert: true` / `rejectUnauthorized: false` there that contradicts these options,
 * is refused with `ERR_MTLS_SERVER_OPTIONS_CONFLICT` instead of being replaced silently.
 *
 * @example
 * ```ts
 * import https from 'node:https';
 * import { attachCredentials, createPeerAllowList, getPeerIdentity } from '@mtlskit/node-adapter';
 * const server = https.createServer((req, res) => res.end(`hi ${getPeerIdentity(req)?.commonName}`));
 * const attached = attachCredentials(server, source, { authorize: createPeerAllowList({ commonNames: ['billing'] }) });
 * await attached.ready();
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
  refuseConflicts(server as ServerState, options);
  const versions = resolveTlsVersions(options);
  const maxAge = durationOption('maxConnectionAgeMs', options.maxConnectionAgeMs, undefined);
  const retireBeforeMs = durationOption('retireBeforeExpiryMs', options.retireBeforeExpiryMs, 5000) ?? 5000;
  const retire = options.retireConnections !== false;
  const requestCert = options.requestCert !== false;
  const events = new EventEmitter<AttachedCredentialsEvents>() as AttachedCredentials;
  const conns = new WeakMap<TLSSocket, ConnState>();
  // session.socket is a proxy, not the TLSSocket seen in secureConnection: tag sessions apart.
  const sessions = new Map<ServerHttp2Session, number>();
  // Serial of each recent generation's leaf, to learn which context a handshake used.
  const serials = new Map<string, number>();
  let generation = 0;
  let detached = false;
  const expiry = createExpiryRetirement(server, retireBeforeMs, sessions);
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
    (server as unknown as Record<symbol, unknown>)[OWNED] = true;
    const from = generation;
    generation = c.generation;
    const serial = serialOf(c.certificateChainPem);
    if (serial !== undefined) serials.set(serial, c.generation);
    if (serials.size > 16) serials.delete(serials.keys().next().value as string);
    expiry.noteGeneration(c.generation, c.notAfter.getTime());
    if (retire) {
      for (const [session, gen] of sessions) {
        if (gen < generation && !session.closed) session.close();
      }
      expiry.planOlderThan(generation);
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
    const gen = generationOf(socket);
    conns.set(socket, { generation: gen, openedAt: Date.now() });
    if (retire) expiry.track(socket, gen);
    if (options.authorize === undefined || socket.authorized !== true) return;
    const peer = getPeerIdentity(socket);
    let allowed = false;
    try {
      allowed = peer !== undefined && options.authorize(peer) === true;
    } catch {
      allowed = false;
    }
    if (!allowed) {
      if (peer !== undefined) events.emit('unauthorized', { peer });
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
    expiry.busy(req.socket as TLSSocket, res);
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
    ready: { value: (o: ReadyOptions = {}): Promise<void> => abortable(ready, o.signal), enumerable: true },
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
        expiry.stop();
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

interface ExpiryRetirement {
  noteGeneration(generation: number, notAfter: number): void;
  track(socket: TLSSocket, generation: number): void;
  busy(socket: TLSSocket, res: ServerResponse): void;
  /** Plans the retirement of every generation older than `current`. */
  planOlderThan(current: number): void;
  stop(): void;
}

/**
 * `setSecureContext()` leaves open connections on the old certificate; a client never
 * re-checks it, so without this a keep-alive or streaming connection would go on being
 * served under a certificate past its notAfter. Timers run on the real clock (like TLS).
 */
function createExpiryRetirement(
  server: TlsServer,
  beforeMs: number,
  sessions: Map<ServerHttp2Session, number>,
): ExpiryRetirement {
  const notAfters = new Map<number, number>();
  const sockets = new Map<number, Set<TLSSocket>>();
  const inFlight = new WeakMap<TLSSocket, number>();
  const closeWhenIdle = new WeakSet<TLSSocket>();
  const planned = new Map<number, NodeJS.Timeout[]>();

  // HTTP/1.1 has no graceful close for an idle keep-alive connection (a client may be
  // sending on it right now), so those wait for the next response's `Connection: close`
  // and only the hard deadline cuts them. Raw TLS gets close_notify at once.
  const soft = (gen: number): void => {
    const http = server.listenerCount('request') > 0;
    for (const socket of sockets.get(gen) ?? []) {
      // HTTP/2 connections are wound down by their session's GOAWAY below.
      if (socket.alpnProtocol === 'h2') continue;
      if ((inFlight.get(socket) ?? 0) > 0) closeWhenIdle.add(socket);
      else if (!http) socket.end();
    }
    for (const [session, g] of sessions) if (g === gen && !session.closed) session.close();
  };
  const hard = (gen: number): void => {
    for (const socket of sockets.get(gen) ?? []) socket.destroy();
    for (const [session, g] of sessions) if (g === gen && !session.destroyed) session.destroy();
    sockets.delete(gen);
    planned.delete(gen);
    notAfters.delete(gen);
  };
  const at = (when: number, fn: () => void): NodeJS.Timeout => {
    const t = setTimeout(fn, Math.max(0, when - Date.now()));
    t.unref();
    return t;
  };

  return {
    noteGeneration(gen, notAfter) {
      notAfters.set(gen, notAfter);
    },
    track(socket, gen) {
      let set = sockets.get(gen);
      if (set === undefined) {
        set = new Set();
        sockets.set(gen, set);
      }
      set.add(socket);
      socket.once('close', () => set.delete(socket));
    },
    busy(socket, res) {
      inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
      res.once('close', () => {
        const left = (inFlight.get(socket) ?? 1) - 1;
        inFlight.set(socket, left);
        if (left === 0 && closeWhenIdle.has(socket)) socket.end();
      });
    },
    planOlderThan(current) {
      for (const [gen, notAfter] of notAfters) {
        if (gen >= current || planned.has(gen)) continue;
        planned.set(gen, [
          at(notAfter - beforeMs, () => soft(gen)),
          at(notAfter - beforeMs / 5, () => hard(gen)),
        ]);
      }
    },
    stop() {
      for (const timers of planned.values()) for (const t of timers) clearTimeout(t);
      planned.clear();
    },
  };
}
