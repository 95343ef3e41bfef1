import { toHex } from '../hash/sha.js';
import {
  children,
  DerError,
  type DerNode,
  decodeBitString,
  decodeSmallInt,
  decodeTime,
  expectTag,
  readNode,
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
    version = decodeSmallInt(expectTag(children(fields[0])[0], TAG.INTEGER, 'version')) + 1;
    if (version < 2 || version > 3) throw new DerError(`unsupported certificate version ${version}`);
    i = 1;
  }
  const serialNode = expectTag(fields[i++], TAG.INTEGER, 'serialNumber');
  if (serialNode.value.length === 0 || serialNode.value.length > 64)
    throw new DerError('serialNumber length invalid');
  const innerAlg = expectTag(fields[i++], TAG.SEQUENCE, 'TBSCertificate.signature');
  const issuerNode = expectTag(fields[i++], TAG.SEQUENCE, 'issuer');
  const validity = children(expectTag(fields[i++], TAG.SEQUENCE, 'validity'));
  if (validity.length !== 2) throw new DerError('validity must hold two times');
  const subjectNode = expectTag(fields[i++], TAG.SEQUENCE, 'subject');
  const spkiNode = expectTag(fields[i++], TAG.SEQUENCE, 'subjectPublicKeyInfo');
  let extensionsNode: DerNode | undefined;
  for (; i < fields.length; i++) {
    const f = fields[i]!;
    if (f.tag === 0xa3) {
      if (version !== 3) throw new DerError('extensions in a certificate that is not version 3');
      extensionsNode = readNode(f.value);
      if (extensionsNode.bytes.length !== f.value.length)
        throw new DerError('extensions wrapper has trailing bytes');
    } else if (f.tag !== 0x81 && f.tag !== 0x82) throw new DerError('unexpected field in TBSCertificate');
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
