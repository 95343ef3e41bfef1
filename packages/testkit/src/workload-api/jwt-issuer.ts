import { randomUUID } from 'node:crypto';
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JSONWebKeySet,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';

type ProtoValue =
  | { nullValue: 'NULL_VALUE' }
  | { numberValue: number }
  | { stringValue: string }
  | { boolValue: boolean }
  | { structValue: { fields: Record<string, ProtoValue> } }
  | { listValue: { values: ProtoValue[] } };

function toValue(v: unknown): ProtoValue {
  if (v === null || v === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  return { structValue: toStruct(v as Record<string, unknown>) };
}

/** A JSON object as a `google.protobuf.Struct` in proto-loader's object form. */
export function toStruct(o: Record<string, unknown>): { fields: Record<string, ProtoValue> } {
  const fields: Record<string, ProtoValue> = {};
  for (const [k, v] of Object.entries(o)) fields[k] = toValue(v);
  return { fields };
}

/** The signing side of the test Workload API's JWT profile (ES256, one key per server). */
export class JwtIssuer {
  readonly kid: string;
  readonly #key: CryptoKey;
  readonly jwks: JSONWebKeySet;

  private constructor(kid: string, key: CryptoKey, jwks: JSONWebKeySet) {
    this.kid = kid;
    this.#key = key;
    this.jwks = jwks;
  }

  static async create(): Promise<JwtIssuer> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const kid = randomUUID();
    const jwk = { ...(await exportJWK(publicKey)), kid, use: 'jwt-svid', alg: 'ES256' };
    return new JwtIssuer(kid, privateKey, { keys: [jwk] });
  }

  sign(spiffeId: string, audience: readonly string[], ttlMs: number): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: this.kid, typ: 'JWT' })
      .setSubject(spiffeId)
      .setAudience([...audience])
      .setIssuedAt(now)
      .setExpirationTime(now + Math.max(1, Math.round(ttlMs / 1000)))
      .sign(this.#key);
  }

  async verify(token: string, audience: string): Promise<JWTPayload> {
    // jose ignores keys whose `use` is not "sig"; SPIFFE bundles say "jwt-svid".
    const keys = this.jwks.keys.map(({ use: _use, ...k }) => k);
    const { payload } = await jwtVerify(token, createLocalJWKSet({ keys }), { audience });
    return payload;
  }
}
