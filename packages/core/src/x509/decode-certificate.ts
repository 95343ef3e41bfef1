import { toHex } from '../hash/sha.js';
import {
  children,
  DerError,
  type DerNode,
  decodeBitString,
  decodeSmallInt,
  decodeTime,
  expectTag,
  integerBytes,
  readSingle,
  TAG,
} from './der.js';
import { type ParsedExtensions, parseExtensionList, parseKnownExtensions } from './extensions.js';
import { type NameAttribute, parseName } from './name.js';
import {
  type PublicKeyFacts,
  parseSignatureAlgorithm,
  type SignatureAlgorithm,
  spkiFacts,
} from './signature.js';

/** Everything a verifier needs from one certificate, with views into the DER. */
export interface DecodedCertificate {
  der: Uint8Array;
  tbs: Uint8Array;
  version: number;
  serial: Uint8Array;
  innerSignatureAlgorithm: Uint8Array;
  signatureAlgorithmDer: Uint8Array;
  signatureAlgorithm: SignatureAlgorithm;
  signature: Uint8Array;
  issuerDer: Uint8Array;
  subjectDer: Uint8Array;
  issuer: NameAttribute[][];
  subject: NameAttribute[][];
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
  publicKey: PublicKeyFacts;
  extensions: ParsedExtensions;
}

/** Decodes a DER certificate strictly; throws DerError on any structural problem. */
export function decodeCertificate(der: Uint8Array): DecodedCertificate {
  const cert = expectTag(readSingle(der), TAG.SEQUENCE, 'Certificate');
  const [tbsNode, sigAlgNode, sigNode, extra] = children(cert);
  if (extra) throw new DerError('Certificate has trailing fields');
  const tbs = expectTag(tbsNode, TAG.SEQUENCE, 'TBSCertificate');
  const sigAlgDer = expectTag(sigAlgNode, TAG.SEQUENCE, 'signatureAlgorithm');
  const signatureBits = decodeBitString(expectTag(sigNode, TAG.BIT_STRING, 'signatureValue'));
  const fields = children(tbs);
  let i = 0;
  let version = 1;
  if (fields[0]?.tag === 0xa0) {
    const inner = children(fields[0]);
    if (inner.length !== 1) throw new DerError('version must hold exactly one INTEGER');
    version = decodeSmallInt(expectTag(inner[0], TAG.INTEGER, 'version')) + 1;
    if (version < 2 || version > 3) throw new DerError(`unsupported certificate version ${version}`);
    i = 1;
  }
  const serialNode = expectTag(fields[i++], TAG.INTEGER, 'serialNumber');
  integerBytes(serialNode, 'serialNumber');
  if (serialNode.value.length > 64) throw new DerError('serialNumber length invalid');
  const innerAlg = expectTag(fields[i++], TAG.SEQUENCE, 'TBSCertificate.signature');
  parseSignatureAlgorithm(innerAlg);
  const issuerNode = expectTag(fields[i++], TAG.SEQUENCE, 'issuer');
  const validity = children(expectTag(fields[i++], TAG.SEQUENCE, 'validity'));
  if (validity.length !== 2) throw new DerError('validity must hold two times');
  // RFC 5280 §4.1.2.5 says dates through 2049 MUST be UTCTime; one Mozilla root uses
  // GeneralizedTime for 2038, and OpenSSL and Go accept it: so does mtlskit (docs/conformance.md).
  const subjectNode = expectTag(fields[i++], TAG.SEQUENCE, 'subject');
  const spkiNode = expectTag(fields[i++], TAG.SEQUENCE, 'subjectPublicKeyInfo');
  let extensionsNode: DerNode | undefined;
  // issuerUniqueID [1], subjectUniqueID [2] (v2 and v3 only), extensions [3] (v3 only):
  // each at most once and in this order.
  let last = 0;
  for (; i < fields.length; i++) {
    const f = fields[i]!;
    const n = f.tag === 0x81 ? 1 : f.tag === 0x82 ? 2 : f.tag === 0xa3 ? 3 : 0;
    if (n === 0 || n <= last)
      throw new DerError('unexpected, repeated or misordered field in TBSCertificate');
    last = n;
    if (n === 3) {
      if (version !== 3) throw new DerError('extensions in a certificate that is not version 3');
      extensionsNode = readSingle(f.value);
    } else {
      if (version < 2) throw new DerError('unique identifiers in a version 1 certificate');
      decodeBitString({ ...f, tag: TAG.BIT_STRING });
    }
  }
  const raw = extensionsNode ? parseExtensionList(extensionsNode) : [];
  return {
    der,
    tbs: tbs.bytes,
    version,
    serial: serialNode.value,
    innerSignatureAlgorithm: innerAlg.bytes,
    signatureAlgorithmDer: sigAlgDer.bytes,
    signatureAlgorithm: parseSignatureAlgorithm(sigAlgDer),
    signature: signatureBits.bytes,
    issuerDer: issuerNode.bytes,
    subjectDer: subjectNode.bytes,
    issuer: parseName(issuerNode),
    subject: parseName(subjectNode),
    notBefore: decodeTime(validity[0]!),
    notAfter: decodeTime(validity[1]!),
    spki: spkiNode.bytes,
    publicKey: spkiFacts(spkiNode),
    extensions: parseKnownExtensions(raw),
  };
}

/** Serial as lowercase hex, as `openssl x509 -serial` prints it (without its leading zero pad). */
export function serialHex(serial: Uint8Array): string {
  let v = serial;
  while (v.length > 1 && v[0] === 0) v = v.subarray(1);
  return toHex(v);
}
