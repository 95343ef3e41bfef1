import { isMtlsError, MtlsError } from '@mtlskit/core';
import { createLocalJWKSet, decodeJwt, type JSONWebKeySet as JoseKeySet, jwtVerify } from 'jose';
import { parseSpiffeId } from '../id/parse-spiffe-id.js';
import { type WorkloadApiCallOptions, workloadApiCall } from '../lib/unary-call.js';
import type { JwtBundles } from './fetch-jwt-bundles.js';
import type { JsonWebKeySet as JSONWebKeySet, JwtClaims as JWTPayload } from './jwt-types.js';

/** Options of {@link validateJwtSvid}. */
export interface ValidateJwtSvidOptions extends WorkloadApiCallOptions {
  /**
   * Validate locally against these JWT bundles (from {@link fetchJwtBundles}) with `jose`
   * instead of asking the Workload API. Default: ask the Workload API (`ValidateJWTSVID`).
   */
  bundles?: JwtBundles;
  /** Local validation only: "now" in ms. Default `Date.now()`. */
  now?: () => number;
}

/** A validated JWT-SVID. */
export interface ValidatedJwtSvid {
  readonly spiffeId: string;
  readonly claims: JWTPayload;
}

// google.protobuf.Value as proto-loader decodes it: protobufjs bundles struct.proto with
// camelCase field names, so keepCase does not snake-case them.
interface ProtoValue {
  nullValue?: string;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: { fields?: Record<string, ProtoValue> };
  listValue?: { values?: ProtoValue[] };
  kind?: string;
}

function fromValue(v: ProtoValue): unknown {
  switch (v.kind) {
    case 'numberValue':
      return v.numberValue;
    case 'stringValue':
      return v.stringValue;
    case 'boolValue':
      return v.boolValue;
    case 'structValue':
      return fromStruct(v.structValue);
    case 'listValue':
      return (v.listValue?.values ?? []).map(fromValue);
    default:
      return null;
  }
}

function fromStruct(s: { fields?: Record<string, ProtoValue> } | undefined | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s?.fields ?? {})) out[k] = fromValue(v);
  return out;
}

// Algorithms the JWT-SVID specification allows; `none` and HMAC never validate.
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512'];

function refused(why: string, cause?: unknown): MtlsError {
  return new MtlsError('ERR_MTLS_SPIFFE_JWT_INVALID', `The JWT-SVID was refused: ${why}.`, { cause });
}

/**
 * SPIFFE bundles mark JWT keys `"use": "jwt-svid"` (and X.509 keys `"x509-svid"`), while
 * jose only takes keys without `use` or with `"sig"`: keep the JWT-SVID keys, minus `use`.
 */
function jwtSvidKeys(jwks: JSONWebKeySet): JSONWebKeySet {
  return {
    keys: jwks.keys
      .filter((k) => k.use === undefined || k.use === 'jwt-svid')
      .map(({ use: _use, ...k }) => k),
  };
}

async function validateLocally(
  token: string,
  audience: string,
  bundles: JwtBundles,
  now?: () => number,
): Promise<ValidatedJwtSvid> {
  let sub: unknown;
  try {
    sub = decodeJwt(token).sub;
  } catch (e) {
    throw refused('it is not a JWT', e);
  }
  if (typeof sub !== 'string') throw refused('it has no "sub" claim');
  let trustDomain: string;
  try {
    trustDomain = parseSpiffeId(sub).trustDomain;
  } catch (e) {
    throw refused(`its subject "${sub}" is not a SPIFFE ID`, e);
  }
  const jwks = bundles[trustDomain];
  if (jwks === undefined) throw refused(`there is no JWT bundle for its trust domain "${trustDomain}"`);
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwtSvidKeys(jwks) as JoseKeySet), {
      audience,
      algorithms: ALGORITHMS,
      requiredClaims: ['exp', 'sub', 'aud'],
      ...(now === undefined ? {} : { currentDate: new Date(now()) }),
    });
    return { spiffeId: sub, claims: payload };
  } catch (e) {
    throw refused((e as { code?: string }).code ?? 'the signature or claims do not verify', e);
  }
}

/**
 * Validates a JWT-SVID for `audience`: by default through the Workload API
 * (`ValidateJWTSVID`), or locally with `jose` against `options.bundles` (signature by a key
 * of the subject's trust domain, `aud` contains `audience`, not expired, `sub` a SPIFFE ID).
 *
 * @throws {MtlsError} `ERR_MTLS_SPIFFE_JWT_INVALID` when the token is refused (locally), or
 * the Workload API call error (`ERR_MTLS_SPIFFE_CALL_FAILED` for a refused token).
 * @example
 * ```ts
 * import { validateJwtSvid } from '@mtlskit/spiffe';
 * const token = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
 * const { spiffeId, claims } = await validateJwtSvid(token, 'https://billing.internal');
 * ```
 */
export async function validateJwtSvid(
  token: string,
  audience: string,
  options: ValidateJwtSvidOptions = {},
): Promise<ValidatedJwtSvid> {
  if (typeof token !== 'string' || token === '') throw refused('it is empty');
  if (typeof audience !== 'string' || audience === '') {
    throw new MtlsError(
      'ERR_MTLS_INVALID_ARGUMENT',
      'validateJwtSvid needs the audience to check, e.g. "https://billing.internal".',
    );
  }
  if (options.bundles !== undefined) return validateLocally(token, audience, options.bundles, options.now);
  try {
    const response = await workloadApiCall<{
      spiffe_id?: string;
      claims?: { fields?: Record<string, ProtoValue> };
    }>('ValidateJWTSVID', { audience, svid: token }, options);
    return { spiffeId: response.spiffe_id ?? '', claims: fromStruct(response.claims) as JWTPayload };
  } catch (e) {
    if (
      isMtlsError(e) &&
      e.code === 'ERR_MTLS_SPIFFE_CALL_FAILED' &&
      e.details?.grpcStatus === 'INVALID_ARGUMENT'
    ) {
      throw refused(`the Workload API says: ${String(e.details?.grpcMessage ?? '')}`, e);
    }
    throw e;
  }
}
