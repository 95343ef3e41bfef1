import type { KeyPair } from '../keys/key-pair.js';
import { bufferOf, getCrypto } from '../lib/crypto-provider.js';
import { unsupportedWrap } from '../lib/key-params.js';
import { bitString, derNull, oid, seq, unsignedInteger } from './der.js';
import { OID } from './oids.js';

/** The AlgorithmIdentifier mtlskit signs with for a key. */
export function signatureAlgorithmFor(key: KeyPair): Uint8Array {
  const a = key.algorithm;
  if (a === 'ECDSA-P256') return seq(oid(OID.ecdsaWithSHA256));
  if (a === 'ECDSA-P384') return seq(oid(OID.ecdsaWithSHA384));
  if (a === 'ECDSA-P521') return seq(oid(OID.ecdsaWithSHA512));
  if (a.startsWith('RSA-')) return seq(oid(OID.sha256WithRSA), derNull());
  return seq(oid(OID.ed25519));
}

function ecdsaHash(a: string): string {
  return a === 'ECDSA-P384' ? 'SHA-384' : a === 'ECDSA-P521' ? 'SHA-512' : 'SHA-256';
}

/** Signs `data` and returns the BIT STRING of the signature in X.509 form. */
export async function signToBitString(key: KeyPair, data: Uint8Array): Promise<Uint8Array> {
  const crypto = getCrypto(key.crypto);
  const a = key.algorithm;
  const algName = key.privateKey.algorithm.name;
  const params: Algorithm | EcdsaParams =
    algName === 'ECDSA' ? { name: 'ECDSA', hash: ecdsaHash(a) } : { name: algName };
  const sig = new Uint8Array(
    await unsupportedWrap('Signing', () => crypto.subtle.sign(params, key.privateKey, bufferOf(data))),
  );
  if (algName !== 'ECDSA') return bitString(sig);
  // WebCrypto gives r‖s; X.509 wants SEQUENCE { INTEGER r, INTEGER s }.
  const half = sig.length / 2;
  return bitString(seq(unsignedInteger(sig.subarray(0, half)), unsignedInteger(sig.subarray(half))));
}
