// A certificate builder with full control over every field, for the generated x509-limbo
// corpus: the dev CA always writes a well-formed profile, these cases need the opposite.
import { createHash } from 'node:crypto';
import { exportSpki } from '../../../src/keys/export-key.js';
import { generateKeyPair } from '../../../src/keys/generate-key-pair.js';
import type { KeyAlgorithm, KeyPair } from '../../../src/keys/key-pair.js';
import { encodePem } from '../../../src/pem/pem-blocks.js';
import {
  bitString,
  boolean,
  children,
  ctx,
  expectTag,
  ia5String,
  octetString,
  oid,
  readSingle,
  seq,
  smallInteger,
  TAG,
  time,
  tlv,
  unsignedInteger,
} from '../../../src/x509/der.js';
import { parseIp } from '../../../src/x509/ip-address.js';
import { encodeName, subjectFromString } from '../../../src/x509/name.js';
import { signatureAlgorithmFor, signToBitString } from '../../../src/x509/sign.js';

/** A key with its SPKI and RFC 5280 §4.2.1.2 method-1 key identifier. */
export interface CorpusKey {
  pair: KeyPair;
  spki: Uint8Array;
  keyId: Uint8Array;
}

export async function newKey(algorithm: KeyAlgorithm): Promise<CorpusKey> {
  const pair = await generateKeyPair({ algorithm });
  const spki = await exportSpki(pair);
  const [, bits] = children(expectTag(readSingle(spki), TAG.SEQUENCE, 'spki'));
  const keyId = new Uint8Array(createHash('sha1').update(bits!.value.subarray(1)).digest());
  return { pair, spki, keyId };
}

export interface Ext {
  oid: string;
  critical: boolean;
  value: Uint8Array;
}

export interface CertSpec {
  subject: string;
  /** Issuer name; default the subject (self-issued). */
  issuer?: string;
  key: CorpusKey;
  /** The signing key; default `key` (self-signed). */
  signer?: CorpusKey;
  serial?: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  extensions: Ext[];
  /** Replace the inner (TBS) signature AlgorithmIdentifier. */
  innerAlgorithm?: Uint8Array;
  /** Sign, then flip a bit of the signature. */
  corruptSignature?: boolean;
  /** The version field; default 3. */
  version?: 1 | 2 | 3;
}

const enc = new TextEncoder();

export async function buildCert(s: CertSpec): Promise<string> {
  const signer = s.signer ?? s.key;
  const alg = signatureAlgorithmFor(signer.pair);
  const subjectDer = encodeName(s.subject === '' ? [] : subjectFromString(s.subject));
  const issuerDer =
    s.issuer === undefined ? subjectDer : encodeName(s.issuer === '' ? [] : subjectFromString(s.issuer));
  const tbs = seq(
    ...((s.version ?? 3) === 1 ? [] : [ctx(0, true, smallInteger((s.version ?? 3) - 1))]),
    s.serial ? tlv(TAG.INTEGER, s.serial) : unsignedInteger(crypto.getRandomValues(new Uint8Array(16))),
    s.innerAlgorithm ?? alg,
    issuerDer,
    seq(time(s.notBefore), time(s.notAfter)),
    subjectDer,
    s.key.spki,
    ...(s.extensions.length > 0
      ? [
          ctx(
            3,
            true,
            seq(
              ...s.extensions.map((e) =>
                seq(oid(e.oid), ...(e.critical ? [boolean(true)] : []), octetString(e.value)),
              ),
            ),
          ),
        ]
      : []),
  );
  let sig = await signToBitString(signer.pair, tbs);
  if (s.corruptSignature) {
    sig = sig.slice();
    sig[sig.length - 3]! ^= 0x01;
  }
  return encodePem('CERTIFICATE', seq(tbs, alg, sig));
}

// ------------------------------------------------------------------ extension values

const KU_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
] as const;
export type Ku = (typeof KU_BITS)[number];

export const X = {
  bc: (ca: boolean, pathLen?: number, critical = true): Ext => ({
    oid: '2.5.29.19',
    critical,
    value: seq(...(ca ? [boolean(true)] : []), ...(pathLen !== undefined ? [smallInteger(pathLen)] : [])),
  }),
  ku: (usages: Ku[], critical = true): Ext => {
    const bytes = new Uint8Array(2);
    for (const u of usages) {
      const bit = KU_BITS.indexOf(u);
      bytes[bit >> 3]! |= 0x80 >> (bit & 7);
    }
    const len = bytes[1] ? 2 : bytes[0] ? 1 : 0;
    const last = len === 0 ? 0 : bytes[len - 1]!;
    let unused = 0;
    while (len > 0 && unused < 7 && !(last & (1 << unused))) unused++;
    return { oid: '2.5.29.15', critical, value: bitString(bytes.subarray(0, len), len === 0 ? 0 : unused) };
  },
  eku: (oids: string[], critical = false): Ext => ({
    oid: '2.5.29.37',
    critical,
    value: seq(...oids.map(oid)),
  }),
  ski: (k: CorpusKey, critical = false): Ext => ({ oid: '2.5.29.14', critical, value: octetString(k.keyId) }),
  aki: (
    k: CorpusKey | undefined,
    o: { critical?: boolean; issuerAndSerial?: { issuerName: string; serial: Uint8Array } | undefined } = {},
  ): Ext => ({
    oid: '2.5.29.35',
    critical: o.critical ?? false,
    value: seq(
      ...(k ? [tlv(0x80, k.keyId)] : []),
      ...(o.issuerAndSerial
        ? [
            ctx(1, true, ctx(4, true, encodeName(subjectFromString(o.issuerAndSerial.issuerName)))),
            tlv(0x82, o.issuerAndSerial.serial),
          ]
        : []),
    ),
  }),
  san: (names: string[], critical = false): Ext => ({
    oid: '2.5.29.17',
    critical,
    value: seq(...names.map(generalName)),
  }),
  nc: (o: { permitted?: string[]; excluded?: string[]; emptyBoth?: boolean }, critical = true): Ext => ({
    oid: '2.5.29.30',
    critical,
    value: o.emptyBoth
      ? seq(ctx(0, true), ctx(1, true))
      : seq(
          ...(o.permitted ? [ctx(0, true, ...o.permitted.map((p) => seq(generalName(p))))] : []),
          ...(o.excluded ? [ctx(1, true, ...o.excluded.map((p) => seq(generalName(p))))] : []),
        ),
  }),
  policies: (oids: string[], critical = false): Ext => ({
    oid: '2.5.29.32',
    critical,
    value: seq(...oids.map((o) => seq(oid(o)))),
  }),
  mappings: (pairs: [string, string][], critical = true): Ext => ({
    oid: '2.5.29.33',
    critical,
    value: seq(...pairs.map(([a, b]) => seq(oid(a), oid(b)))),
  }),
  pc: (o: { require?: number; inhibit?: number }, critical = true): Ext => ({
    oid: '2.5.29.36',
    critical,
    value: seq(
      ...(o.require !== undefined ? [tlv(0x80, new Uint8Array([o.require]))] : []),
      ...(o.inhibit !== undefined ? [tlv(0x81, new Uint8Array([o.inhibit]))] : []),
    ),
  }),
  inhibitAny: (n: number, critical = true): Ext => ({ oid: '2.5.29.54', critical, value: smallInteger(n) }),
  aia: (critical = false): Ext => ({
    oid: '1.3.6.1.5.5.7.1.1',
    critical,
    value: seq(seq(oid('1.3.6.1.5.5.7.48.2'), tlv(0x86, enc.encode('http://ca.example/ca.crt')))),
  }),
  unknown: (critical: boolean): Ext => ({ oid: '1.3.6.1.4.1.55738.666.1', critical, value: seq() }),
};

/** `dns:x`, `ip:1.2.3.4` (or `ip:10.0.0.0/8` in a constraint), `email:x`, `uri:x`, `dn:CN=x`. */
export function generalName(spec: string): Uint8Array {
  const i = spec.indexOf(':');
  const kind = spec.slice(0, i);
  const value = spec.slice(i + 1);
  switch (kind) {
    case 'dns':
      return tlv(0x82, enc.encode(value));
    case 'email':
      return tlv(0x81, enc.encode(value));
    case 'uri':
      return tlv(0x86, enc.encode(value));
    case 'dn':
      return ctx(4, true, encodeName(subjectFromString(value)));
    case 'ip': {
      const [addr, bits] = value.split('/');
      const a = parseIp(addr!)!;
      if (bits === undefined) return tlv(0x87, a);
      const mask = new Uint8Array(a.length);
      let n = Number(bits);
      for (let k = 0; k < mask.length; k++) {
        const take = Math.max(0, Math.min(8, n));
        mask[k] = take === 0 ? 0 : (0xff << (8 - take)) & 0xff;
        n -= take;
      }
      const both = new Uint8Array(a.length * 2);
      both.set(a, 0);
      both.set(mask, a.length);
      return tlv(0x87, both);
    }
    case 'rawip':
      return tlv(0x87, new Uint8Array(value.split(',').map(Number)));
    default:
      throw new Error(`unknown general name kind ${kind}`);
  }
}

export { ia5String };
