import { toHex } from '../../hash/sha.js';
import {
  children,
  DerError,
  type DerNode,
  decodeSmallInt,
  decodeTime,
  expectTag,
  readNode,
  readSingle,
  TAG,
} from '../../x509/der.js';
import { parseExtensionList, type RawExtension } from '../../x509/extensions.js';
import { parseName } from '../../x509/name.js';
import { OID } from '../../x509/oids.js';
import { parseSignatureAlgorithm, type SignatureAlgorithm } from '../../x509/signature.js';
import { bytesEqual, nameKey } from '../names/general-names.js';

/** One revoked entry of a CRL. */
export interface RevokedEntry {
  revocationDate: Date;
  /** CRLReason code (RFC 5280 §5.3.1) when given. */
  reason: number | undefined;
}

/** A decoded X.509 CRL (RFC 5280 §5). */
export interface DecodedCrl {
  der: Uint8Array;
  tbs: Uint8Array;
  signatureAlgorithm: SignatureAlgorithm;
  signature: Uint8Array;
  issuerDer: Uint8Array;
  /** Normalised issuer name (see nameKey). */
  issuerKey: string;
  thisUpdate: Date;
  nextUpdate: Date | undefined;
  authorityKeyId: string | undefined;
  /** Revoked serials as lowercase hex without leading zeros. */
  revoked: Map<string, RevokedEntry>;
  /** Why the CRL cannot be relied on (unsupported critical extension, profile violation), if so. */
  problem: string | undefined;
}

const HANDLED_CRL_EXTENSIONS = new Set<string>([
  OID.authorityKeyIdentifier,
  OID.crlNumber,
  OID.issuerAltName,
]);
const HANDLED_ENTRY_EXTENSIONS = new Set<string>([OID.crlReason, '2.5.29.24' /* invalidityDate */]);

function hex(v: Uint8Array): string {
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  let s = '';
  for (const b of v.subarray(i)) s += b.toString(16).padStart(2, '0');
  return s;
}

function criticalProblem(exts: RawExtension[], handled: Set<string>, where: string): string | undefined {
  for (const e of exts) {
    if (e.critical && !handled.has(e.oid))
      return `${where} has a critical extension mtlskit does not support (${e.oid})`;
  }
  return undefined;
}

/** Decodes a DER CRL strictly; throws DerError on structural problems. */
export function decodeCrl(der: Uint8Array): DecodedCrl {
  const top = children(expectTag(readSingle(der), TAG.SEQUENCE, 'CertificateList'));
  if (top.length !== 3) throw new DerError('CertificateList must have three fields');
  const tbs = expectTag(top[0], TAG.SEQUENCE, 'TBSCertList');
  const outerAlg = expectTag(top[1], TAG.SEQUENCE, 'signatureAlgorithm');
  const sigNode = expectTag(top[2], TAG.BIT_STRING, 'signatureValue');
  if (sigNode.value.length < 1 || sigNode.value[0] !== 0) throw new DerError('CRL signature has unused bits');
  const fields = children(tbs);
  let i = 0;
  let version = 1;
  if (fields[0]?.tag === TAG.INTEGER) version = decodeSmallInt(fields[i++]!) + 1;
  const innerAlg = expectTag(fields[i++], TAG.SEQUENCE, 'TBSCertList.signature');
  const issuer = expectTag(fields[i++], TAG.SEQUENCE, 'issuer');
  const thisUpdate = decodeTime(fields[i++] ?? (undefined as never));
  let nextUpdate: Date | undefined;
  const maybeNext = fields[i];
  if (maybeNext && (maybeNext.tag === TAG.UTC_TIME || maybeNext.tag === TAG.GENERALIZED_TIME)) {
    nextUpdate = decodeTime(maybeNext);
    i++;
  }
  let problem: string | undefined;
  if (!bytesEqual(innerAlg.bytes, outerAlg.bytes)) problem = 'the CRL has two different signature algorithms';
  const revoked = new Map<string, RevokedEntry>();
  let extNode: DerNode | undefined;
  for (; i < fields.length; i++) {
    const f = fields[i]!;
    if (f.tag === TAG.SEQUENCE) {
      for (const entry of children(f)) {
        const parts = children(expectTag(entry, TAG.SEQUENCE, 'revoked entry'));
        const serial = expectTag(parts[0], TAG.INTEGER, 'userCertificate').value;
        const revocationDate = decodeTime(parts[1] ?? (undefined as never));
        let reason: number | undefined;
        if (parts[2]) {
          if (version < 2) throw new DerError('CRL entry extensions in a v1 CRL');
          const exts = parseExtensionList(parts[2]);
          problem ??= criticalProblem(exts, HANDLED_ENTRY_EXTENSIONS, 'a CRL entry');
          const r = exts.find((e) => e.oid === OID.crlReason);
          if (r) {
            const n = readSingle(r.value);
            if (n.tag !== 0x0a || n.value.length !== 1) throw new DerError('CRLReason malformed');
            reason = n.value[0];
          }
        }
        revoked.set(hex(serial), { revocationDate, reason });
      }
    } else if (f.tag === 0xa0) {
      if (version < 2) throw new DerError('CRL extensions in a v1 CRL');
      extNode = readNode(f.value);
    } else throw new DerError('unexpected field in TBSCertList');
  }
  let authorityKeyId: string | undefined;
  if (extNode) {
    const exts = parseExtensionList(extNode);
    problem ??= criticalProblem(exts, HANDLED_CRL_EXTENSIONS, 'the CRL');
    for (const e of exts) {
      // RFC 5280 §5.2.3 / §5.2.1: CRLNumber and AKI MUST be non-critical.
      if ((e.oid === OID.crlNumber || e.oid === OID.authorityKeyIdentifier) && e.critical) {
        problem ??= `the CRL marks ${e.oid === OID.crlNumber ? 'CRLNumber' : 'authorityKeyIdentifier'} critical, which RFC 5280 forbids`;
      }
      // A CRL with an issuingDistributionPoint covers only part of the certificates (RFC 5280
      // §5.2.5); mtlskit does not evaluate its scope, so such a CRL is never taken for a full
      // CRL, whatever its criticality (the extension MUST be critical anyway).
      if (e.oid === '2.5.29.28') {
        problem ??= `the CRL has an issuingDistributionPoint${e.critical ? '' : ' marked non-critical, which RFC 5280 forbids'}; mtlskit only uses full CRLs`;
      }
      // A delta CRL (RFC 5280 §5.2.4) lists only changes since its base CRL: used alone it
      // would pass every certificate revoked earlier. Not supported, so never a full CRL.
      if (e.oid === '2.5.29.27')
        problem ??= 'the CRL is a delta CRL (deltaCRLIndicator); mtlskit only uses full CRLs';
      if (e.oid === OID.authorityKeyIdentifier) {
        for (const p of children(expectTag(readSingle(e.value), TAG.SEQUENCE, 'authorityKeyIdentifier'))) {
          if (p.tag === 0x80) authorityKeyId = toHex(p.value);
        }
      }
    }
  }
  // RFC 5280 §5.2.1 and §5.2.3: conforming CRL issuers MUST include the authorityKeyIdentifier
  // and the CRLNumber (which also makes the CRL v2, §5.1.2.1).
  const extOids = extNode ? parseExtensionList(extNode).map((e) => e.oid) : [];
  if (!extOids.includes(OID.authorityKeyIdentifier))
    problem ??= 'the CRL has no authorityKeyIdentifier (RFC 5280 §5.2.1)';
  if (!extOids.includes(OID.crlNumber)) problem ??= 'the CRL has no CRLNumber (RFC 5280 §5.2.3)';
  return {
    der,
    tbs: tbs.bytes,
    signatureAlgorithm: parseSignatureAlgorithm(outerAlg),
    signature: sigNode.value.subarray(1),
    issuerDer: issuer.bytes,
    issuerKey: nameKey(parseName(issuer)),
    thisUpdate,
    nextUpdate,
    authorityKeyId,
    revoked,
    problem,
  };
}
