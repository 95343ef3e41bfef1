import { sha256, toBase64, toHex } from '../hash/sha.js';
import { bufferOf, bytesFor, type CryptoProvider } from '../lib/crypto-provider.js';
import {
  checkAny,
  children,
  DerError,
  type DerNode,
  decodeBitString,
  decodeOid,
  expectTag,
  integerBytes,
  readSingle,
  TAG,
} from './der.js';
import { OID } from './oids.js';

export type HashName = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

/** A signature algorithm as mtlskit understands it. */
export interface SignatureAlgorithm {
  oid: string;
  /** e.g. `sha256WithRSAEncryption`, `ecdsa-with-SHA256`, `Ed25519`, `RSASSA-PSS`. */
  name: string;
  kind: 'RSA' | 'RSA-PSS' | 'ECDSA' | 'Ed25519' | 'unsupported';
  hash?: HashName;
  saltLength?: number;
}

const HASH_BY_OID: Record<string, HashName> = {
  [OID.sha1]: 'SHA-1',
  [OID.sha256]: 'SHA-256',
  [OID.sha384]: 'SHA-384',
  [OID.sha512]: 'SHA-512',
};

const TABLE: Record<string, Omit<SignatureAlgorithm, 'oid'>> = {
  [OID.sha1WithRSA]: { name: 'sha1WithRSAEncryption', kind: 'RSA', hash: 'SHA-1' },
  [OID.sha256WithRSA]: { name: 'sha256WithRSAEncryption', kind: 'RSA', hash: 'SHA-256' },
  [OID.sha384WithRSA]: { name: 'sha384WithRSAEncryption', kind: 'RSA', hash: 'SHA-384' },
  [OID.sha512WithRSA]: { name: 'sha512WithRSAEncryption', kind: 'RSA', hash: 'SHA-512' },
  [OID.md5WithRSA]: { name: 'md5WithRSAEncryption', kind: 'unsupported' },
  [OID.ecdsaWithSHA1]: { name: 'ecdsa-with-SHA1', kind: 'ECDSA', hash: 'SHA-1' },
  [OID.ecdsaWithSHA256]: { name: 'ecdsa-with-SHA256', kind: 'ECDSA', hash: 'SHA-256' },
  [OID.ecdsaWithSHA384]: { name: 'ecdsa-with-SHA384', kind: 'ECDSA', hash: 'SHA-384' },
  [OID.ecdsaWithSHA512]: { name: 'ecdsa-with-SHA512', kind: 'ECDSA', hash: 'SHA-512' },
  [OID.ed25519]: { name: 'Ed25519', kind: 'Ed25519' },
};

export function parseSignatureAlgorithm(node: DerNode): SignatureAlgorithm {
  const parts = children(expectTag(node, TAG.SEQUENCE, 'AlgorithmIdentifier'));
  if (parts.length > 2) throw new DerError('AlgorithmIdentifier has trailing elements');
  const o = decodeOid(expectTag(parts[0], TAG.OID, 'algorithm').value);
  if (parts[1]) checkAny(parts[1]);
  if (o === OID.rsassaPss) {
    // RSASSA-PSS-params: [0] hashAlgorithm, [1] maskGen, [2] saltLength; defaults SHA-1 / 20.
    let hash: HashName | undefined = 'SHA-1';
    let saltLength = 20;
    const params = parts[1];
    if (params && params.tag === TAG.SEQUENCE) {
      let last = -1;
      for (const p of children(params)) {
        const n = p.tag - 0xa0;
        if (n < 0 || n > 3 || n <= last) throw new DerError('RSASSA-PSS-params malformed');
        last = n;
        if (p.tag === 0xa0) {
          const h = decodeOid(
            expectTag(children(expectTag(children(p)[0], TAG.SEQUENCE, 'hash'))[0], TAG.OID, 'hash').value,
          );
          hash = HASH_BY_OID[h];
        } else if (p.tag === 0xa2) {
          const n = children(p)[0];
          if (n?.tag === TAG.INTEGER && n.value.length <= 2)
            saltLength = n.value.reduce((a, b) => a * 256 + b, 0);
        }
      }
    }
    if (!hash) return { oid: o, name: 'RSASSA-PSS', kind: 'unsupported' };
    return { oid: o, name: 'RSASSA-PSS', kind: 'RSA-PSS', hash, saltLength };
  }
  const known = TABLE[o];
  if (!known) return { oid: o, name: o, kind: 'unsupported' };
  // RFC 5758 / 8410: ECDSA and Ed25519 identifiers carry no parameters.
  if ((known.kind === 'ECDSA' || known.kind === 'Ed25519') && parts.length > 1) {
    throw new DerError(`${known.name} AlgorithmIdentifier must not have parameters`);
  }
  // RFC 4055 §5: PKCS #1 v1.5 identifiers carry NULL parameters (absent is tolerated).
  if (known.kind === 'RSA' && parts[1] && parts[1].tag !== TAG.NULL)
    throw new DerError(`${known.name} parameters must be NULL`);
  return { oid: o, ...known };
}

/** Key facts read from a SubjectPublicKeyInfo without any crypto. */
export interface PublicKeyFacts {
  algorithm: 'RSA' | 'ECDSA' | 'Ed25519' | 'Ed448' | 'RSA-PSS' | string;
  size: number;
  curve?: 'P-256' | 'P-384' | 'P-521' | string;
}

const CURVES: Record<string, { curve: string; size: number }> = {
  [OID.p256]: { curve: 'P-256', size: 256 },
  [OID.p384]: { curve: 'P-384', size: 384 },
  [OID.p521]: { curve: 'P-521', size: 521 },
};

export function spkiFacts(spki: DerNode): PublicKeyFacts {
  const parts = children(expectTag(spki, TAG.SEQUENCE, 'SubjectPublicKeyInfo'));
  if (parts.length !== 2) throw new DerError('SubjectPublicKeyInfo must hold an algorithm and a key');
  const [algId, key] = parts;
  const algParts = children(expectTag(algId, TAG.SEQUENCE, 'public key algorithm'));
  if (algParts.length > 2) throw new DerError('public key AlgorithmIdentifier has trailing elements');
  const o = decodeOid(expectTag(algParts[0], TAG.OID, 'public key algorithm').value);
  if (algParts[1]) checkAny(algParts[1]);
  const bitString = decodeBitString(expectTag(key, TAG.BIT_STRING, 'subjectPublicKey'));
  if (bitString.unused !== 0) throw new DerError('subjectPublicKey has unused bits');
  const bits = bitString.bytes;
  if (o === OID.rsaEncryption || o === OID.rsassaPss) {
    if (o === OID.rsaEncryption && algParts[1] && algParts[1].tag !== TAG.NULL)
      throw new DerError('rsaEncryption parameters must be NULL');
    const rsa = children(expectTag(readSingle(bits), TAG.SEQUENCE, 'RSAPublicKey'));
    if (rsa.length !== 2) throw new DerError('RSAPublicKey must hold a modulus and an exponent');
    const mod = integerBytes(rsa[0]!, 'modulus');
    if (mod[0]! & 0x80 || integerBytes(rsa[1]!, 'publicExponent')[0]! & 0x80)
      throw new DerError('RSAPublicKey integers must be positive');
    let i = 0;
    while (i < mod.length && mod[i] === 0) i++;
    const first = mod[i] ?? 0;
    const size = (mod.length - i) * 8 - (first === 0 ? 8 : Math.clz32(first) - 24);
    return { algorithm: o === OID.rsaEncryption ? 'RSA' : 'RSA-PSS', size };
  }
  if (o === OID.ecPublicKey) {
    // RFC 5480 §2.1.1: namedCurve only (implicit and explicit curves are not accepted).
    const curveOid = decodeOid(expectTag(algParts[1], TAG.OID, 'namedCurve').value);
    if (algParts.length !== 2) throw new DerError('ECDSA key parameters malformed');
    const c = CURVES[curveOid];
    return { algorithm: 'ECDSA', size: c?.size ?? 0, curve: c?.curve ?? curveOid };
  }
  if (o === OID.ed25519) {
    if (algParts.length > 1 || bits.length !== 32) throw new DerError('Ed25519 public key malformed');
    return { algorithm: 'Ed25519', size: 256 };
  }
  if (o === OID.ed448) return { algorithm: 'Ed448', size: 456 };
  return { algorithm: o, size: 0 };
}

/**
 * ECDSA signatures are DER `SEQUENCE { r, s }` in X.509 but raw r‖s in WebCrypto. Decoded as
 * strict DER (exactly two minimal positive INTEGERs, nothing after): any other encoding would
 * let anyone mint new byte strings (new fingerprints) for an existing signature.
 */
export function ecdsaDerToRaw(sig: Uint8Array, size: number): Uint8Array | undefined {
  try {
    const parts = children(expectTag(readSingle(sig), TAG.SEQUENCE, 'ECDSA-Sig-Value'));
    if (parts.length !== 2) return undefined;
    const n = Math.ceil(size / 8);
    const out = new Uint8Array(n * 2);
    for (const [i, part] of parts.entries()) {
      let v = integerBytes(part, 'ECDSA integer');
      if (v[0]! & 0x80) return undefined;
      if (v[0] === 0) v = v.subarray(1);
      if (v.length === 0 || v.length > n) return undefined;
      out.set(v, i * n + (n - v.length));
    }
    return out;
  } catch {
    return undefined;
  }
}

const keyCache = new WeakMap<CryptoProvider, Map<string, Promise<CryptoKey | undefined>>>();
// Results of signature checks, per provider, keyed by key, algorithm, signature and the
// SHA-256 of the signed data: the same intermediate sent with every handshake is verified
// once, not once per call. Bounded; the oldest entry goes first.
const resultCache = new WeakMap<CryptoProvider, Map<string, Promise<SignatureResult>>>();
const RESULT_CACHE_SIZE = 4096;

async function importVerifyKey(
  crypto: CryptoProvider,
  spkiDer: Uint8Array,
  facts: PublicKeyFacts,
  alg: SignatureAlgorithm,
): Promise<CryptoKey | undefined> {
  const subtle = crypto.subtle;
  const data = bufferOf(spkiDer);
  try {
    if (alg.kind === 'ECDSA' && facts.algorithm === 'ECDSA' && facts.curve) {
      return await subtle.importKey('spki', data, { name: 'ECDSA', namedCurve: facts.curve }, false, [
        'verify',
      ]);
    }
    if (alg.kind === 'RSA' && facts.algorithm === 'RSA') {
      return await subtle.importKey('spki', data, { name: 'RSASSA-PKCS1-v1_5', hash: alg.hash! }, false, [
        'verify',
      ]);
    }
    if (alg.kind === 'RSA-PSS' && (facts.algorithm === 'RSA' || facts.algorithm === 'RSA-PSS')) {
      return await subtle.importKey('spki', data, { name: 'RSA-PSS', hash: alg.hash! }, false, ['verify']);
    }
    if (alg.kind === 'Ed25519' && facts.algorithm === 'Ed25519') {
      try {
        return await subtle.importKey('spki', data, { name: 'Ed25519' }, false, ['verify']);
      } catch {
        // @peculiar/webcrypto names it EdDSA with a curve.
        return await subtle.importKey(
          'spki',
          data,
          { name: 'EdDSA', namedCurve: 'Ed25519' } as EcKeyImportParams,
          false,
          ['verify'],
        );
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}

export type SignatureResult = 'valid' | 'invalid' | 'unsupported';

/**
 * Verifies `signature` over `data` with the key in `spkiDer`, through the WebCrypto provider.
 * `onDispatched` is called once the provider has been handed the work (for the platform's
 * WebCrypto: queued on its thread pool), so a caller can do other work meanwhile.
 */
export function verifySignature(
  crypto: CryptoProvider,
  spkiDer: Uint8Array,
  alg: SignatureAlgorithm,
  data: Uint8Array,
  signature: Uint8Array,
  onDispatched?: () => void,
): Promise<SignatureResult> {
  if (alg.kind === 'unsupported') return Promise.resolve('unsupported');
  // Hashing huge data for the cache key would cost as much as verifying it.
  if (data.length > 64 * 1024) return verifyUncached(crypto, spkiDer, alg, data, signature, onDispatched);
  let results = resultCache.get(crypto);
  if (!results) {
    results = new Map();
    resultCache.set(crypto, results);
  }
  const key = `${alg.oid}/${alg.hash ?? ''}/${alg.saltLength ?? ''}/${spkiBase64(spkiDer)}/${toHex(sha256(data))}/${toHex(signature)}`;
  const hit = results.get(key);
  if (hit) return hit;
  const result = verifyUncached(crypto, spkiDer, alg, data, signature, onDispatched);
  if (results.size >= RESULT_CACHE_SIZE) results.delete(results.keys().next().value!);
  results.set(key, result);
  return result;
}

async function verifyUncached(
  crypto: CryptoProvider,
  spkiDer: Uint8Array,
  alg: SignatureAlgorithm,
  data: Uint8Array,
  signature: Uint8Array,
  onDispatched: (() => void) | undefined,
): Promise<SignatureResult> {
  let facts: PublicKeyFacts;
  try {
    facts = spkiFacts(readSingle(spkiDer));
  } catch {
    return 'invalid';
  }
  let cache = keyCache.get(crypto);
  if (!cache) {
    cache = new Map();
    keyCache.set(crypto, cache);
  }
  const cacheKey = `${alg.kind}/${alg.hash ?? ''}/${spkiBase64(spkiDer)}`;
  let keyP = cache.get(cacheKey);
  if (!keyP) {
    keyP = importVerifyKey(crypto, spkiDer, facts, alg);
    if (cache.size > 1000) cache.clear();
    cache.set(cacheKey, keyP);
  }
  const key = await keyP;
  if (!key) return facts.algorithm === 'ECDSA' && !facts.curve?.startsWith('P-') ? 'unsupported' : 'invalid';
  let sig = signature;
  let params: AlgorithmIdentifier | EcdsaParams | RsaPssParams;
  switch (alg.kind) {
    case 'ECDSA': {
      const raw = ecdsaDerToRaw(signature, facts.size);
      if (!raw) return 'invalid';
      sig = raw;
      params = { name: 'ECDSA', hash: alg.hash! };
      break;
    }
    case 'RSA':
      params = { name: 'RSASSA-PKCS1-v1_5' };
      break;
    case 'RSA-PSS':
      params = { name: 'RSA-PSS', saltLength: alg.saltLength ?? 32 };
      break;
    default:
      params =
        key.algorithm.name === 'EdDSA' ? ({ name: 'EdDSA' } as AlgorithmIdentifier) : { name: 'Ed25519' };
  }
  try {
    const pending = crypto.subtle.verify(params, key, bufferOf(sig), bytesFor(crypto, data));
    onDispatched?.();
    return (await pending) ? 'valid' : 'invalid';
  } catch {
    return 'invalid';
  }
}

function spkiBase64(der: Uint8Array): string {
  return toBase64(der);
}
