import { MtlsError } from '../errors/mtls-error.js';
import { bufferOf, getCrypto } from '../lib/crypto-provider.js';
import { withEd25519Fallback } from '../lib/key-params.js';
import { decodePemBlocks, toDer } from '../pem/pem-blocks.js';
import {
  children,
  DerError,
  decodeOid,
  derNull,
  expectTag,
  octetString,
  oid,
  readSingle,
  seq,
  smallInteger,
  TAG,
} from '../x509/der.js';
import { OID } from '../x509/oids.js';
import type { CryptoOptions, KeyAlgorithmName, KeyPair } from './key-pair.js';

const CURVE_BY_OID: Record<string, string> = {
  [OID.p256]: 'P-256',
  [OID.p384]: 'P-384',
  [OID.p521]: 'P-521',
};
const CURVE_BY_SIZE: Record<number, string> = { 32: OID.p256, 48: OID.p384, 66: OID.p521 };

function bad(message: string, cause?: unknown): MtlsError {
  return new MtlsError('ERR_MTLS_KEY_MALFORMED', message, cause === undefined ? {} : { cause });
}

/** Wraps SEC1 `EC PRIVATE KEY` in PKCS#8. */
function sec1ToPkcs8(der: Uint8Array): Uint8Array {
  const parts = children(expectTag(readSingle(der), TAG.SEQUENCE, 'ECPrivateKey'));
  const priv = expectTag(parts[1], TAG.OCTET_STRING, 'ECPrivateKey.privateKey');
  let curve: string | undefined;
  for (const p of parts.slice(2))
    if (p.tag === 0xa0) curve = decodeOid(expectTag(children(p)[0], TAG.OID, 'curve').value);
  curve ??= CURVE_BY_SIZE[priv.value.length];
  if (!curve || !CURVE_BY_OID[curve]) throw new DerError('EC key on an unsupported curve');
  return seq(smallInteger(0), seq(oid(OID.ecPublicKey), oid(curve)), octetString(der));
}

/** Wraps PKCS#1 `RSA PRIVATE KEY` in PKCS#8. */
function pkcs1ToPkcs8(der: Uint8Array): Uint8Array {
  expectTag(readSingle(der), TAG.SEQUENCE, 'RSAPrivateKey');
  return seq(smallInteger(0), seq(oid(OID.rsaEncryption), derNull()), octetString(der));
}

function modulusBits(n: string): number {
  // JWK `n` is base64url without leading zeros.
  const bytes = atob(n.replace(/-/g, '+').replace(/_/g, '/'));
  const first = bytes.charCodeAt(0);
  return bytes.length * 8 - (Math.clz32(first) - 24);
}

/**
 * Imports a private key from PEM (`PRIVATE KEY` PKCS#8, `EC PRIVATE KEY` SEC1 or
 * `RSA PRIVATE KEY` PKCS#1) or PKCS#8 DER, and derives its public key.
 * Encrypted keys are refused with `ERR_MTLS_KEY_ENCRYPTED`; anything else unreadable
 * gives `ERR_MTLS_KEY_MALFORMED`. Error messages never contain key bytes.
 *
 * @example
 * ```ts
 * const key = await importPrivateKey(readFileSync('client.key', 'utf8'));
 * console.log(key.algorithm); // e.g. 'ECDSA-P256'
 * ```
 */
export async function importPrivateKey(
  pemOrDer: string | Uint8Array,
  options: CryptoOptions = {},
): Promise<KeyPair> {
  const crypto = getCrypto(options.crypto);
  if (
    typeof pemOrDer === 'string' &&
    decodePemBlocks(pemOrDer, 'private key').some((b) => b.label === 'ENCRYPTED PRIVATE KEY')
  ) {
    throw new MtlsError(
      'ERR_MTLS_KEY_ENCRYPTED',
      'The private key is encrypted; decrypt it first (openssl pkey -in key.pem -out plain.pem) and keep it at mode 0600.',
    );
  }
  const block = toDer(pemOrDer, ['PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY'], 'private key');
  let pkcs8: Uint8Array;
  let algOid: string;
  let curveOid: string | undefined;
  try {
    pkcs8 =
      block.label === 'EC PRIVATE KEY'
        ? sec1ToPkcs8(block.der)
        : block.label === 'RSA PRIVATE KEY'
          ? pkcs1ToPkcs8(block.der)
          : block.der;
    const parts = children(expectTag(readSingle(pkcs8), TAG.SEQUENCE, 'PrivateKeyInfo'));
    expectTag(parts[0], TAG.INTEGER, 'version');
    const algParts = children(expectTag(parts[1], TAG.SEQUENCE, 'privateKeyAlgorithm'));
    algOid = decodeOid(expectTag(algParts[0], TAG.OID, 'algorithm').value);
    if (algParts[1]?.tag === TAG.OID) curveOid = decodeOid(algParts[1].value);
    expectTag(parts[2], TAG.OCTET_STRING, 'privateKey');
  } catch (e) {
    throw bad(
      'The private key is not valid PKCS#8, SEC1 or PKCS#1 DER; re-export it with `openssl pkey`.',
      e,
    );
  }

  const data = bufferOf(pkcs8);
  const importBoth = async (params: Algorithm) => {
    const privateKey = await crypto.subtle.importKey('pkcs8', data, params, true, ['sign']);
    const jwk = await crypto.subtle.exportKey('jwk', privateKey);
    const pub: JsonWebKey = { kty: jwk.kty, ext: true };
    for (const k of ['crv', 'x', 'y', 'n', 'e'] as const) if (jwk[k] !== undefined) pub[k] = jwk[k];
    const publicKey = await crypto.subtle.importKey('jwk', pub, params, true, ['verify']);
    return { privateKey, publicKey, jwk };
  };

  try {
    if (algOid === OID.ecPublicKey) {
      const curve = curveOid ? CURVE_BY_OID[curveOid] : undefined;
      if (!curve)
        throw new MtlsError(
          'ERR_MTLS_UNSUPPORTED_ALGORITHM',
          'The EC private key uses a curve other than P-256, P-384 or P-521.',
        );
      const { privateKey, publicKey } = await importBoth({
        name: 'ECDSA',
        namedCurve: curve,
      } as EcKeyImportParams);
      return Object.freeze({
        algorithm: `ECDSA-${curve.replace('-', '')}` as KeyAlgorithmName,
        privateKey,
        publicKey,
        crypto,
      });
    }
    if (algOid === OID.rsaEncryption) {
      const { privateKey, publicKey, jwk } = await importBoth({
        name: 'RSASSA-PKCS1-v1_5',
        hash: 'SHA-256',
      } as RsaHashedImportParams);
      return Object.freeze({
        algorithm: `RSA-${modulusBits(jwk.n ?? '')}` as KeyAlgorithmName,
        privateKey,
        publicKey,
        crypto,
      });
    }
    if (algOid === OID.ed25519) {
      const { privateKey, publicKey } = await withEd25519Fallback(importBoth);
      return Object.freeze({ algorithm: 'Ed25519' as const, privateKey, publicKey, crypto });
    }
  } catch (e) {
    if (e instanceof MtlsError) throw e;
    throw bad('The private key could not be imported: its contents are inconsistent or corrupt.', e);
  }
  throw new MtlsError(
    'ERR_MTLS_UNSUPPORTED_ALGORITHM',
    `The private key's algorithm (${algOid}) is not supported; use ECDSA P-256/P-384, RSA or Ed25519.`,
  );
}
