import { MtlsError } from '@mtlskit/core';
import { trustDomainName } from '../id/trust-domain-name.js';
import { type WorkloadApiCallOptions, workloadApiCall } from '../lib/unary-call.js';
import type { JsonWebKeySet as JSONWebKeySet } from './jwt-types.js';

/** JWT bundles (JWKS documents) keyed by trust domain name. */
export type JwtBundles = Readonly<Record<string, JSONWebKeySet>>;

interface JwtBundlesResponse {
  bundles?: Record<string, Uint8Array>;
}

/**
 * Fetches the JWT bundles (JWKS per trust domain) from the Workload API
 * (`FetchJWTBundles`, first message) for local JWT-SVID validation with
 * {@link validateJwtSvid}.
 *
 * @throws {MtlsError} `ERR_MTLS_SPIFFE_*` call errors; `ERR_MTLS_SPIFFE_JWT_INVALID` when a bundle is not a JWKS.
 * @example
 * ```ts
 * import { fetchJwtBundles, validateJwtSvid } from '@mtlskit/spiffe';
 * const bundles = await fetchJwtBundles();
 * const { spiffeId } = await validateJwtSvid(token, 'https://billing.internal', { bundles });
 * ```
 */
export async function fetchJwtBundles(options: WorkloadApiCallOptions = {}): Promise<JwtBundles> {
  const response = await workloadApiCall<JwtBundlesResponse>('FetchJWTBundles', {}, options, true);
  const out: Record<string, JSONWebKeySet> = {};
  for (const [key, bytes] of Object.entries(response.bundles ?? {})) {
    let jwks: JSONWebKeySet;
    try {
      jwks = JSON.parse(Buffer.from(bytes).toString('utf8')) as JSONWebKeySet;
      if (!Array.isArray(jwks.keys)) throw new TypeError('no "keys" array');
    } catch (e) {
      throw new MtlsError(
        'ERR_MTLS_SPIFFE_JWT_INVALID',
        `The JWT bundle of "${key}" is not a JWKS document.`,
        { cause: e },
      );
    }
    out[trustDomainName(key)] = jwks;
  }
  return out;
}
