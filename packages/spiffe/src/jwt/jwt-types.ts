/**
 * The claims of a JWT (RFC 7519 §4.1 plus any others), as the Workload API returns them.
 * Our own type rather than jose's, so CommonJS consumers need no ESM-only type import.
 *
 * @example
 * ```ts
 * import type { JwtClaims } from '@mtlskit/spiffe';
 * const audienceOf = (c: JwtClaims) => (Array.isArray(c.aud) ? c.aud : [c.aud]);
 * ```
 */
export interface JwtClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  [claim: string]: unknown;
}

/**
 * A JSON Web Key Set (RFC 7517 §5): one trust domain's JWT bundle.
 *
 * @example
 * ```ts
 * import type { JsonWebKeySet } from '@mtlskit/spiffe';
 * const kids = (set: JsonWebKeySet) => set.keys.map((k) => k.kid);
 * ```
 */
export interface JsonWebKeySet {
  keys: Array<{ kty: string; kid?: string; use?: string; alg?: string; [parameter: string]: unknown }>;
}
