import { isMtlsError, MtlsError } from '@mtlskit/core';

/** Facts that make the explanation of a failed mTLS connection more precise. */
export interface TlsFailureContext {
  /** The origin the client talked to, e.g. `https://api.internal:8443`. */
  origin?: string;
  /** The credential generation that was presented. */
  generation?: number;
  /** The subject of the client certificate that was presented. */
  subject?: string;
}

const LIKELY_CAUSES =
  'Likely causes: the server does not trust the CA that issued this client certificate (compare its trust bundle with your issuer, ' +
  'e.g. a regenerated CA with the same name); the certificate has expired or is not yet valid by the server clock; ' +
  'it lacks the clientAuth extended key usage; the server allow-list (CN, SAN or SPIFFE ID) refuses this identity; ' +
  'or no client certificate was sent. Check the server log for the exact reason (run `mtlskit doctor` on both certificates).';

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function where(context: TlsFailureContext): string {
  const parts: string[] = [];
  if (context.origin !== undefined) parts.push(`server ${context.origin}`);
  if (context.subject !== undefined) parts.push(`client certificate "${context.subject}"`);
  if (context.generation !== undefined) parts.push(`generation ${context.generation}`);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

// OpenSSL's verification codes, as Node reports them when the *server's* certificate fails
// the client's checks: the client refused the server, not the other way round.
const SERVER_VERIFY_FAILURES: Readonly<Record<string, string>> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    'its issuer is not among the trusted CAs (or the server did not send its intermediate)',
  UNABLE_TO_GET_ISSUER_CERT: 'its issuer is not among the trusted CAs',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    'its issuer is not among the trusted CAs (or the server did not send its intermediate)',
  SELF_SIGNED_CERT_IN_CHAIN: 'its chain ends at a root that is not trusted',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'it is self-signed and not trusted',
  CERT_SIGNATURE_FAILURE: 'its signature does not verify (a CA regenerated under the same name?)',
  CERT_HAS_EXPIRED: 'it has expired',
  CERT_NOT_YET_VALID: 'it is not valid yet (check the clocks)',
  INVALID_PURPOSE: 'it does not allow TLS server authentication (extended key usage serverAuth is missing)',
  CERT_REVOKED: 'it is revoked',
  ERR_TLS_CERT_ALTNAME_INVALID: 'it does not cover the host name connected to',
  ERR_MTLS_SPKI_PIN_MISMATCH: 'its public key does not match the pinned SPKI',
};

// No TLS version in common: the peer speaks only versions this side refuses (or the reverse).
// The alert comes from the handshake, before any certificate was looked at.
const VERSION_MISMATCH = new Set([
  'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
  'ERR_SSL_UNSUPPORTED_PROTOCOL',
  'ERR_SSL_NO_PROTOCOLS_AVAILABLE',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

function classify(error: unknown): { how: string; alert?: string } | undefined {
  const code = codeOf(error);
  if (code === undefined) return undefined;
  const message = error instanceof Error ? error.message : '';
  if (code === 'UND_ERR_SOCKET') {
    // bytesRead counts decrypted application bytes: 0 means no response ever arrived on
    // this connection, which under TLS 1.3 is what a rejected client certificate looks like.
    const bytesRead = (error as { socket?: { bytesRead?: unknown } }).socket?.bytesRead;
    if (bytesRead === 0)
      return { how: 'The server closed the connection right after the TLS handshake, before any response' };
    return undefined;
  }
  if (code === 'ECONNRESET' && /before secure TLS connection/i.test(message)) {
    return { how: 'The server reset the connection during the TLS handshake' };
  }
  // node:https and everything built on it (axios, got, node-fetch 2 and 3) report a TLS 1.3
  // rejection as "socket hang up": the handshake looked done, then the socket closed with
  // no response.
  if (code === 'ECONNRESET' && /socket hang up/i.test(message)) {
    return {
      how: 'The server closed the connection before sending any response ("socket hang up"; when it happens only now and then on a reused keep-alive connection, the server\'s idle timeout is the likelier cause)',
    };
  }
  const alert = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_(.+)$/.exec(code);
  if (alert?.[1] !== undefined) {
    return {
      how: `The server aborted the TLS handshake with the alert "${alert[1].toLowerCase().replace(/_/g, ' ')}"`,
      alert: alert[1],
    };
  }
  return undefined;
}

/**
 * Turns the bare socket errors a client sees when a server rejects its certificate into a
 * coded `ERR_MTLS_PEER_REJECTED_CERTIFICATE` {@link MtlsError} that names the likely causes.
 * Under TLS 1.3 the server checks the client certificate after the client considers the
 * handshake done, so the client sees only a closed socket (`UND_ERR_SOCKET` with no bytes
 * read) from undici, and `ECONNRESET` "socket hang up" from `https.request`, axios, got and
 * node-fetch 2 / 3; under TLS 1.2 an `ECONNRESET` or a TLS alert during the handshake. Looks
 * through `error.cause` (as thrown by `fetch` and axios). A server certificate that the client refused
 * (unknown CA, expired, no serverAuth, name mismatch) becomes `ERR_MTLS_SERVER_NOT_TRUSTED`
 * with the reason in plain words. Any other error is returned unchanged.
 *
 * @example
 * ```ts
 * import { explainTlsFailure } from '@mtlskit/node-adapter';
 * try { await request(url, { dispatcher: agent }); } catch (e) {
 *   const err = explainTlsFailure(e, { origin: url });
 *   console.error(err instanceof Error ? err.message : err);
 * }
 * ```
 */
export function explainTlsFailure(error: unknown, context: TlsFailureContext = {}): unknown {
  if (isMtlsError(error)) return error;
  let candidate: unknown = error;
  for (let depth = 0; depth < 4 && candidate !== undefined && candidate !== null; depth++) {
    if (isMtlsError(candidate)) return candidate;
    const code = codeOf(candidate);
    const refused = code === undefined ? undefined : SERVER_VERIFY_FAILURES[code];
    if (refused !== undefined) {
      return new MtlsError(
        'ERR_MTLS_SERVER_NOT_TRUSTED',
        `The server's certificate was refused${where(context)}: ${refused}. The trust anchors come from the current credentials' trustAnchorsPem; run \`mtlskit doctor --connect HOST:PORT --cert … --key … --ca …\` to see the server's chain.`,
        { cause: candidate, details: { tlsCode: code, ...context } },
      );
    }
    if (code !== undefined && VERSION_MISMATCH.has(code)) {
      return new MtlsError(
        'ERR_MTLS_TLS_VERSION_MISMATCH',
        `The server and this client have no TLS version in common${where(context)} (${code}); the certificates were never looked at. mtlskit speaks TLS 1.2 and 1.3: upgrade the server, or check that the port speaks TLS at all.`,
        { cause: candidate, details: { tlsCode: code, ...context } },
      );
    }
    const found = classify(candidate);
    if (found !== undefined) {
      return new MtlsError(
        'ERR_MTLS_PEER_REJECTED_CERTIFICATE',
        `${found.how}${where(context)}: it most likely rejected the client certificate. ${LIKELY_CAUSES}`,
        {
          cause: candidate,
          details: {
            ...(found.alert === undefined ? {} : { alert: found.alert }),
            ...(codeOf(candidate) === undefined ? {} : { socketCode: codeOf(candidate) }),
            ...context,
          },
        },
      );
    }
    candidate = (candidate as { cause?: unknown }).cause;
  }
  return error;
}
