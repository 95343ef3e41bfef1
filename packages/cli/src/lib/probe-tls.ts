import { isIP } from 'node:net';
import { checkServerIdentity, connect, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';

/** What a real handshake showed (see `mtlskit doctor --connect`). */
export interface TlsProbeResult {
  /** The TCP connection was established. */
  tcpConnected: boolean;
  /** The TLS handshake completed on our side. */
  handshakeCompleted: boolean;
  protocol: string | undefined;
  cipher: string | undefined;
  /** The server's certificates as sent (leaf first), DER. */
  serverCertificates: Buffer[];
  /** OpenSSL's verdict on the server chain against the CA file (undefined when no handshake). */
  serverAuthorized: boolean | undefined;
  serverAuthorizationError: string | undefined;
  /** The server certificate does not cover the name we connected to. */
  serverNameError: string | undefined;
  /** What happened to the connection after the handshake (or instead of it). */
  outcome: 'open' | 'closed-after-handshake' | 'failed-during-handshake' | 'connect-failed' | 'timeout';
  /** The error code seen, e.g. `ECONNRESET`, `ERR_SSL_TLSV1_ALERT_UNKNOWN_CA`. */
  errorCode: string | undefined;
  /** How long after the handshake the server closed the connection, in ms. */
  closedAfterMs: number | undefined;
}

export interface TlsProbeOptions {
  host: string;
  port: number;
  servername?: string;
  cert?: string;
  key?: string;
  ca: string;
  /** Overall connect + handshake limit. */
  timeoutMs: number;
  /**
   * How long to watch the connection after the handshake. A TLS 1.3 server checks the
   * client certificate only after our side has finished, so a rejection shows up as an
   * alert or a close in this window.
   */
  settleMs: number;
}

function chainOf(socket: TLSSocket): Buffer[] {
  const out: Buffer[] = [];
  const seen = new Set<string>();
  let c = socket.getPeerCertificate(true) as DetailedPeerCertificate | undefined;
  while (c?.raw && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    out.push(c.raw);
    c = c.issuerCertificate;
  }
  return out;
}

/** Opens one real mTLS connection (TLS ≥ 1.2) and reports what the server did. */
export function probeTls(o: TlsProbeOptions): Promise<TlsProbeResult> {
  return new Promise((resolve) => {
    const r: TlsProbeResult = {
      tcpConnected: false,
      handshakeCompleted: false,
      protocol: undefined,
      cipher: undefined,
      serverCertificates: [],
      serverAuthorized: undefined,
      serverAuthorizationError: undefined,
      serverNameError: undefined,
      outcome: 'connect-failed',
      errorCode: undefined,
      closedAfterMs: undefined,
    };
    const name = o.servername ?? (isIP(o.host) ? undefined : o.host);
    let secureAt = 0;
    let done = false;
    let settleTimer: NodeJS.Timeout | undefined;
    const socket = connect({
      host: o.host,
      port: o.port,
      ...(name ? { servername: name } : {}),
      ...(o.cert ? { cert: o.cert } : {}),
      ...(o.key ? { key: o.key } : {}),
      ca: o.ca,
      minVersion: 'TLSv1.2',
      // We report on the server's chain ourselves instead of failing the probe.
      rejectUnauthorized: false,
    });
    const finish = (outcome: TlsProbeResult['outcome']) => {
      if (done) return;
      done = true;
      clearTimeout(overall);
      if (settleTimer) clearTimeout(settleTimer);
      r.outcome = outcome;
      socket.removeAllListeners('data');
      socket.on('error', () => {});
      socket.destroy();
      resolve(r);
    };
    const overall = setTimeout(() => finish(r.handshakeCompleted ? 'open' : 'timeout'), o.timeoutMs);
    socket.on('connect', () => {
      r.tcpConnected = true;
    });
    socket.on('secureConnect', () => {
      secureAt = Date.now();
      r.handshakeCompleted = true;
      r.protocol = socket.getProtocol() ?? undefined;
      r.cipher = socket.getCipher()?.name;
      r.serverAuthorized = socket.authorized;
      r.serverAuthorizationError = socket.authorizationError ? String(socket.authorizationError) : undefined;
      r.serverCertificates = chainOf(socket);
      const peer = socket.getPeerCertificate();
      if (peer && Object.keys(peer).length > 0) {
        const err = checkServerIdentity(o.servername ?? o.host, peer);
        if (err) r.serverNameError = err.message;
      }
      // Reading keeps the socket flowing so an alert or a FIN is noticed at once.
      socket.on('data', () => {});
      settleTimer = setTimeout(() => finish('open'), o.settleMs);
    });
    const closed = (code?: string) => {
      if (done) return;
      if (code) r.errorCode ??= code;
      if (r.handshakeCompleted) {
        r.closedAfterMs = Date.now() - secureAt;
        finish('closed-after-handshake');
      } else finish(r.tcpConnected ? 'failed-during-handshake' : 'connect-failed');
    };
    socket.on('error', (e: NodeJS.ErrnoException) => closed(e.code ?? 'ERR_UNKNOWN'));
    socket.on('end', () => closed());
    socket.on('close', () => closed());
  });
}
