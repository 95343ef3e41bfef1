import { MtlsError } from '@mtlskit/core';
import { decodeJwt } from 'jose';
import type { WorkloadApiCallOptions } from '../lib/unary-call.js';
import { workloadApiCall } from '../lib/unary-call.js';
import type { JwtClaims as JWTPayload } from './jwt-types.js';

/** Options of {@link fetchJwtSvid}. */
export interface FetchJwtSvidOptions extends WorkloadApiCallOptions {
  /** The audience(s) the token is for (required). */
  audience: string | readonly string[];
  /** Only a token for this SPIFFE ID (when the workload has several). Default: the agent's default. */
  spiffeId?: string;
}

/** A JWT-SVID. The token is a bearer secret: it is not enumerable and never printed. */
export interface JwtSvid {
  readonly spiffeId: string;
  /** The compact JWS. A secret. */
  readonly token: string;
  readonly hint: string;
  readonly audience: readonly string[];
  readonly expiresAt: Date;
  /** The token's claims (as the agent issued them; verify received tokens with {@link validateJwtSvid}). */
  readonly claims: JWTPayload;
}

interface JwtSvidResponse {
  svids?: { spiffe_id?: string; svid?: string; hint?: string }[];
}

/** Wraps a JWT-SVID so JSON and util.inspect never show the token. */
export function makeJwtSvid(spiffeId: string, token: string, hint: string): JwtSvid {
  let claims: JWTPayload;
  try {
    claims = decodeJwt(token);
  } catch (e) {
    throw new MtlsError(
      'ERR_MTLS_SPIFFE_JWT_INVALID',
      `The Workload API sent a JWT-SVID for "${spiffeId}" that does not decode.`,
      {
        cause: e,
      },
    );
  }
  const audience = typeof claims.aud === 'string' ? [claims.aud] : [...(claims.aud ?? [])];
  const expiresAt = new Date((claims.exp ?? 0) * 1000);
  const summary = { spiffeId, hint, audience, expiresAt: expiresAt.toISOString(), token: '[redacted]' };
  const out = { spiffeId, hint, audience, expiresAt, claims };
  Object.defineProperty(out, 'token', { value: token, enumerable: false });
  Object.defineProperty(out, 'toJSON', { value: () => summary, enumerable: false });
  Object.defineProperty(out, Symbol.for('nodejs.util.inspect.custom'), {
    value: () => `JwtSvid ${JSON.stringify(summary)}`,
    enumerable: false,
  });
  return Object.freeze(out) as unknown as JwtSvid;
}

/**
 * Fetches a JWT-SVID for `audience` from the Workload API (`FetchJWTSVID`), with the
 * `workload.spiffe.io: true` header. Returns the first SVID the agent sent (or the one
 * for `spiffeId`).
 *
 * @throws {MtlsError} `ERR_MTLS_SPIFFE_PERMISSION_DENIED`, `ERR_MTLS_SPIFFE_UNAVAILABLE`,
 * `ERR_MTLS_SPIFFE_CALL_FAILED`, `ERR_MTLS_SPIFFE_NO_SVID`, `ERR_MTLS_INVALID_ARGUMENT`.
 * @example
 * ```ts
 * import { fetchJwtSvid } from '@mtlskit/spiffe';
 * const svid = await fetchJwtSvid({ audience: 'https://billing.internal' });
 * await fetch('https://billing.internal/charge', { headers: { authorization: `Bearer ${svid.token}` } });
 * ```
 */
export async function fetchJwtSvid(options: FetchJwtSvidOptions): Promise<JwtSvid> {
  const audience =
    typeof options?.audience === 'string' ? [options.audience] : [...(options?.audience ?? [])];
  if (audience.length === 0 || audience.some((a) => typeof a !== 'string' || a === '')) {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      'fetchJwtSvid needs an audience, e.g. { audience: "https://billing.internal" }.',
    );
  }
  const response = await workloadApiCall<JwtSvidResponse>(
    'FetchJWTSVID',
    { audience, spiffe_id: options.spiffeId ?? '' },
    options,
  );
  const first = response.svids?.[0];
  if (first === undefined || !first.svid) {
    throw new MtlsError(
      'ERR_MTLS_SPIFFE_NO_SVID',
      `The Workload API returned no JWT-SVID for audience ${audience.join(', ')}.`,
    );
  }
  return makeJwtSvid(first.spiffe_id ?? '', first.svid, first.hint ?? '');
}
