import { isMtlsError, MtlsError, parseRetryAfter } from '@mtlskit/core';
import type { BackendResponse } from './backend-http.js';
import type { Redactor } from './redactor.js';

/** Which protocol call an answer belongs to: the same status means different things per call. */
export type BackendCall = 'register' | 'renew' | 'heartbeat' | 'allocate' | 'custom';

function field(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const v = (body as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Turns a non-2xx backend answer into a coded error. The server's own message is kept
 * (redacted, so a backend that echoes the token does not leak it) in `details`.
 */
export function httpError(
  call: BackendCall,
  res: BackendResponse,
  url: URL,
  redactor: Redactor,
  now: number,
  identityNotAfter?: Date,
): MtlsError {
  const serverCode = field(res.body, 'code') ?? field(res.body, 'error');
  const rawMessage = field(res.body, 'message');
  const serverMessage = rawMessage === undefined ? undefined : redactor.string(rawMessage).slice(0, 300);
  const retryAfterMs = parseRetryAfter(res.headers['retry-after'], { now });
  const details: Record<string, unknown> = { status: res.status, call, origin: url.origin };
  if (serverCode !== undefined) details['serverCode'] = redactor.string(serverCode).slice(0, 100);
  if (serverMessage !== undefined) details['serverMessage'] = serverMessage;
  if (retryAfterMs !== undefined) details['retryAfterMs'] = retryAfterMs;
  const said = serverMessage === undefined ? '' : ` (server said: "${serverMessage}")`;
  const s = res.status;

  if (s === 429) {
    const wait =
      retryAfterMs === undefined ? 'with backoff' : `after ${Math.ceil(retryAfterMs / 1000)} s (Retry-After)`;
    return new MtlsError(
      'ERR_MTLS_RATE_LIMITED',
      `The backend rate-limited the ${call} call; the agent retries ${wait}.`,
      {
        details,
      },
    );
  }
  if (s >= 500 || s === 408) {
    return new MtlsError(
      'ERR_MTLS_SERVER_UNAVAILABLE',
      `The backend answered ${s} to the ${call} call${said}; the agent retries with backoff.`,
      { details },
    );
  }
  if (call === 'register') {
    if (s === 403 || /SCOPE/i.test(serverCode ?? '')) {
      return new MtlsError(
        'ERR_MTLS_TOKEN_SCOPE_MISMATCH',
        `The install token was issued for another service${said}; check serviceName, serviceType and controllerName, or mint a token for this service.`,
        { details },
      );
    }
    if (s === 409) {
      return new MtlsError(
        'ERR_MTLS_INSTALL_TOKEN_USED',
        `The install token was already used by another key${said}. A token registers one agent once: mint a new token, or restore this agent's state directory.`,
        { details },
      );
    }
    if (s === 401 && /expired/i.test(serverCode ?? '')) {
      return new MtlsError(
        'ERR_MTLS_INSTALL_TOKEN_EXPIRED',
        `The install token expired${said}; mint a new one.`,
        {
          details,
        },
      );
    }
    if (s === 401) {
      return new MtlsError(
        'ERR_MTLS_INSTALL_TOKEN_INVALID',
        `The backend refused the install token: it is unknown, expired or already used${said}. Mint a new install token for this service.`,
        { details },
      );
    }
  }
  if (call === 'allocate' && (s === 401 || s === 403)) {
    return new MtlsError(
      'ERR_MTLS_ALLOCATION_TOKEN_INVALID',
      `The allocation endpoint refused the bearer token${said}; check the allocation token and its pool and namespace.`,
      { details },
    );
  }
  if ((call === 'renew' || call === 'heartbeat') && /NOT_YET_VALID/i.test(serverCode ?? '')) {
    return new MtlsError(
      'ERR_MTLS_CLOCK_SKEW',
      `The backend says this agent's certificate is not valid yet (${call})${said}; synchronise the clocks (NTP) of this host and the backend.`,
      { details },
    );
  }
  if ((call === 'renew' || call === 'heartbeat') && s === 403 && isRevocation(res)) {
    // Only the protocol's explicit, JSON answer is terminal: a WAF page or a proxy's 403 is not.
    return new MtlsError(
      'ERR_MTLS_REVOKED',
      `The backend revoked this agent's identity (403 IDENTITY_REVOKED to ${call})${said}. The agent stopped using it and remembers the revocation across restarts; clear the state directory and enroll again with a new install token.`,
      { details },
    );
  }
  if ((call === 'renew' || call === 'heartbeat') && (s === 401 || s === 403)) {
    const what = describeAnswer(res, serverCode);
    const certificateNotAfter = identityNotAfter?.getTime();
    if (
      /EXPIRED/i.test(`${serverCode ?? ''} ${rawMessage ?? ''}`) &&
      certificateNotAfter !== undefined &&
      certificateNotAfter > now
    ) {
      return new MtlsError(
        'ERR_MTLS_CLOCK_SKEW',
        `The backend answered ${s} to ${call} and says this agent's certificate expired${said}, but by this host's clock it is valid until ${new Date(certificateNotAfter).toISOString()}: the clocks of this host and the backend disagree. Synchronise them (NTP); the agent retries with backoff.`,
        {
          details: {
            ...details,
            notAfter: new Date(certificateNotAfter).toISOString(),
            now: new Date(now).toISOString(),
          },
        },
      );
    }
    return new MtlsError(
      'ERR_MTLS_IDENTITY_REFUSED',
      `The backend answered ${s} to the ${call} call (${what})${said}. This is not a revocation (that is only "403 IDENTITY_REVOKED" in JSON); a proxy or WAF in front of the backend, or a backend problem, may be refusing the client certificate. The agent keeps its identity and retries with backoff.`,
      { details },
    );
  }
  return new MtlsError(
    'ERR_MTLS_BACKEND_REJECTED',
    `The backend rejected the ${call} call with ${s}${said}; check the agent's configuration against the backend's protocol.`,
    { details },
  );
}

/** The protocol's revocation answer: a JSON object whose `code` (or `error`) is `IDENTITY_REVOKED`. */
function isRevocation(res: BackendResponse): boolean {
  const type = res.headers['content-type'] ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) return false;
  return field(res.body, 'code') === 'IDENTITY_REVOKED' || field(res.body, 'error') === 'IDENTITY_REVOKED';
}

/** What came back, in words, for a refusal that is not the protocol's. */
function describeAnswer(res: BackendResponse, serverCode: string | undefined): string {
  const type = (res.headers['content-type'] ?? 'no content-type').split(';')[0]!.trim().slice(0, 60);
  if (typeof res.body !== 'object' || res.body === null) return `a non-JSON body, ${type}`;
  return serverCode === undefined ? `JSON without a code, ${type}` : `JSON code "${serverCode.slice(0, 60)}"`;
}

/** Whether the agent should try again later (with backoff) rather than give up. */
export function isRetryable(e: unknown): boolean {
  if (!isMtlsError(e)) return true;
  return (
    e.code === 'ERR_MTLS_RATE_LIMITED' ||
    e.code === 'ERR_MTLS_SERVER_UNAVAILABLE' ||
    e.code === 'ERR_MTLS_ENROLLMENT_FAILED' ||
    e.code === 'ERR_MTLS_IDENTITY_REFUSED' ||
    e.code === 'ERR_MTLS_RESPONSE_TOO_LARGE' ||
    e.code.startsWith('ERR_MTLS_STORAGE')
  );
}

/** The server's `Retry-After` in ms carried by an error, if any. */
export function retryAfterOf(e: unknown): number | undefined {
  if (!isMtlsError(e)) return undefined;
  const v = e.details?.['retryAfterMs'];
  return typeof v === 'number' ? v : undefined;
}
