import { createHash, X509Certificate } from 'node:crypto';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { MtlsError } from '@mtlskit/core';
import { Agent, type Dispatcher, request } from 'undici';
import type { Redactor } from './redactor.js';

/** What the TLS layer of one backend connection needs. */
export interface BackendTls {
  /** PEM of the CAs the backend's server certificate must chain to. */
  readonly trustAnchorsPem: string;
  /** base64 SHA-256 of allowed server SPKIs; empty means any key the anchors vouch for. */
  readonly spkiPins: readonly string[];
  /** Plain http was explicitly allowed. */
  readonly insecureHttp: boolean;
  readonly connectTimeoutMs: number;
}

/** A client identity presented for mTLS calls. */
export interface ClientIdentity {
  readonly certificateChainPem: string;
  readonly privateKeyPem: string;
}

const PIN_MISMATCH = 'ERR_MTLS_SPKI_PIN_MISMATCH';

/** Normalises an SPKI pin (`sha256/…`, base64 or base64url) to standard base64. */
export function normalizePin(pin: string): string {
  const raw = pin.trim().replace(/^sha256\//i, '');
  const b64 = raw.replace(/-/g, '+').replace(/_/g, '/');
  const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
  const bytes = Buffer.from(padded, 'base64');
  if (bytes.length !== 32 || !/^[A-Za-z0-9+/]+=*$/.test(padded)) {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      'spkiPin must be the base64 SHA-256 of the server SPKI (as `openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`).',
    );
  }
  return bytes.toString('base64');
}

/**
 * An undici Agent for backend calls: peer verification always on against the pinned
 * anchors only (no system roots), TLS 1.2 floor, optional SPKI pin, and the client
 * identity when given. One per credential generation, so a TLS session is never resumed
 * under another identity.
 */
export function createBackendDispatcher(tls: BackendTls, identity?: ClientIdentity): Dispatcher {
  return new Agent({
    connect: {
      ca: tls.trustAnchorsPem,
      ...(identity === undefined ? {} : { cert: identity.certificateChainPem, key: identity.privateKeyPem }),
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
      timeout: tls.connectTimeoutMs,
      checkServerIdentity(host: string, cert: PeerCertificate): Error | undefined {
        const err = checkServerIdentity(host, cert);
        if (err !== undefined) return err;
        if (tls.spkiPins.length > 0) {
          // PeerCertificate.pubkey is the bare key for EC (not the SPKI), so derive the SPKI.
          const spki = new X509Certificate(cert.raw).publicKey.export({ type: 'spki', format: 'der' });
          const pin = createHash('sha256').update(spki).digest('base64');
          if (!tls.spkiPins.includes(pin)) {
            return Object.assign(new Error('The server key does not match the SPKI pin.'), {
              code: PIN_MISMATCH,
            });
          }
        }
        return undefined;
      },
    },
    // Backend calls are rare; do not keep idle sockets (and their identity) around long.
    keepAliveTimeout: 4_000,
  });
}

/** A decoded backend answer. */
export interface BackendResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON, or `undefined` when the body was empty or not JSON. */
  readonly body: unknown;
}

export interface BackendRequest {
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  readonly timeoutMs: number;
}

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_UNSUPPORTED_PROTOCOL',
  'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  PIN_MISMATCH,
]);

function codesOf(err: unknown): string[] {
  const out: string[] = [];
  let e: unknown = err;
  for (let i = 0; i < 6 && typeof e === 'object' && e !== null; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') out.push(code);
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}

/** Maps a transport failure (no HTTP answer) to a coded error. */
export function transportError(err: unknown, url: URL, what: string, redactor: Redactor): MtlsError {
  const codes = codesOf(err);
  const untrusted = codes.find((c) => UNTRUSTED.has(c));
  if (untrusted !== undefined) {
    const why =
      untrusted === PIN_MISMATCH
        ? 'its key does not match spkiPin'
        : untrusted === 'ERR_TLS_CERT_ALTNAME_INVALID'
          ? `its certificate does not name ${url.hostname}`
          : untrusted.startsWith('ERR_SSL')
            ? 'it does not speak TLS 1.2 or later'
            : `its certificate does not verify against trustAnchors (${untrusted})`;
    return new MtlsError(
      'ERR_MTLS_SERVER_NOT_TRUSTED',
      `The backend ${url.origin} is not trusted: ${why}. Nothing secret was sent. Check backendUrl, trustAnchors and spkiPin.`,
      { cause: err, details: { tlsCode: untrusted, origin: url.origin } },
    );
  }
  const aborted = codes.includes('ABORT_ERR') || (err as { name?: string } | null)?.name === 'AbortError';
  const reason = redactor.string(err instanceof Error ? err.message : String(err));
  return new MtlsError(
    'ERR_MTLS_SERVER_UNAVAILABLE',
    `${what} to ${url.origin} failed before an answer arrived (${codes[0] ?? reason}); the agent retries with backoff.`,
    { cause: err, details: { origin: url.origin, transportCode: codes[0], aborted } },
  );
}

/** Sends one JSON request and decodes the answer; transport failures become coded errors. */
export async function sendBackendRequest(
  dispatcher: Dispatcher,
  url: URL,
  req: BackendRequest,
  what: string,
  redactor: Redactor,
): Promise<BackendResponse> {
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, {
      dispatcher,
      method: req.method ?? 'POST',
      headers: {
        accept: 'application/json',
        ...(req.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...req.headers,
      },
      ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
      ...(req.signal === undefined ? {} : { signal: req.signal }),
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
    });
  } catch (e) {
    throw transportError(e, url, what, redactor);
  }
  let text: string;
  try {
    text = await res.body.text();
  } catch (e) {
    throw transportError(e, url, what, redactor);
  }
  let body: unknown;
  if (text.trim() !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) {
    if (typeof v === 'string') headers[k.toLowerCase()] = v;
    else if (Array.isArray(v) && v[0] !== undefined) headers[k.toLowerCase()] = v[0];
  }
  return { status: res.statusCode, headers, body };
}
