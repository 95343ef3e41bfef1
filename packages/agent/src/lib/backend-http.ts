import { createHash, X509Certificate } from 'node:crypto';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { isMtlsError, MtlsError } from '@mtlskit/core';
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
export function createBackendDispatcher(
  tls: BackendTls,
  identity?: ClientIdentity,
  onServerCertificate?: (raw: Buffer) => void,
): Dispatcher {
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
        onServerCertificate?.(cert.raw);
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
  /** Aborts the whole call (connect, headers and body): the caller's total deadline. */
  readonly signal?: AbortSignal;
  /** Idle limit between bytes; the total deadline is the caller's `signal`. */
  readonly timeoutMs: number;
  /** Largest accepted body, bytes; a larger one is refused while streaming. */
  readonly maxResponseBytes: number;
}

/** Default cap of a backend answer: 1 MiB (a certificate chain is a few KiB). */
export const DEFAULT_MAX_RESPONSE_BYTES = 1 << 20;

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
  'INVALID_PURPOSE',
  'CERT_REVOKED',
  'CERT_CHAIN_TOO_LONG',
  'PATH_LENGTH_EXCEEDED',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'ERR_SSL_NO_PROTOCOLS_AVAILABLE',
  'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_UNSUPPORTED_PROTOCOL',
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

function whyUntrusted(code: string, url: URL): string {
  if (code === PIN_MISMATCH) return 'its key does not match spkiPin';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `its certificate does not name ${url.hostname}`;
  if (code === 'INVALID_PURPOSE')
    return 'its certificate is not for TLS servers (extended key usage serverAuth is missing); the backend must use a server certificate';
  if (code === 'CERT_REVOKED') return 'its certificate is revoked';
  if (code.startsWith('ERR_SSL'))
    return 'it offers only TLS versions older than 1.2 (the agent requires TLS 1.2 or later), or does not speak TLS at all on that port';
  return `its certificate does not verify against trustAnchors (${code})`;
}

/** Maps a transport failure (no HTTP answer) to a coded error. */
export function transportError(err: unknown, url: URL, what: string, redactor: Redactor): MtlsError {
  const codes = codesOf(err);
  const untrusted = codes.find((c) => UNTRUSTED.has(c));
  if (untrusted !== undefined) {
    const why = whyUntrusted(untrusted, url);
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
  const text = await readCapped(res, req.maxResponseBytes, url, what, redactor);
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

function tooLarge(url: URL, what: string, limit: number, seen: number): MtlsError {
  return new MtlsError(
    'ERR_MTLS_RESPONSE_TOO_LARGE',
    `${what} to ${url.origin} answered more than ${limit} bytes (at least ${seen}); the answer was refused and the connection closed. A backend answer is a few KiB: check backendUrl, or raise maxResponseBytes.`,
    { details: { origin: url.origin, limit, seen } },
  );
}

/** Reads a body up to `limit` bytes; a larger one is refused mid-stream and its socket destroyed. */
async function readCapped(
  res: Dispatcher.ResponseData,
  limit: number,
  url: URL,
  what: string,
  redactor: Redactor,
): Promise<string> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    res.body.destroy();
    throw tooLarge(url, what, limit, declared);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      const b = chunk as Buffer;
      size += b.length;
      if (size > limit) {
        res.body.destroy();
        throw tooLarge(url, what, limit, size);
      }
      chunks.push(b);
    }
  } catch (e) {
    if (isMtlsError(e)) throw e;
    throw transportError(e, url, what, redactor);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}
