import { type CertificateInfo, decodedOf } from '../../cert/parse-certificate.js';
import type { DecodedCertificate } from '../../x509/decode-certificate.js';
import { children, DerError, decodeOid, expectTag, readSingle, TAG } from '../../x509/der.js';
import { latin1At } from '../../x509/general-names-scan.js';
import { OID } from '../../x509/oids.js';
import type { ChainErrorCode } from '../chain-verdict.js';
import {
  bytesEqual,
  type GeneralName,
  nameKey,
  parseGeneralNamesRaw,
  summarizeGeneralNames,
} from '../names/general-names.js';
import { type NameConstraints, parseNameConstraints } from '../names/name-constraints.js';
import { type CertPolicyInput, readCertPolicyInput } from '../policy/read-policy-extensions.js';

/** A problem found in one certificate on its own. */
export interface CertProblem {
  code: ChainErrorCode;
  message: string;
}

/** A certificate with everything path building and validation need, computed once. */
export interface ChainCert {
  info: CertificateInfo;
  d: DecodedCertificate;
  /** Normalised subject / issuer, the keys of issuer lookup. */
  subjectKey: string;
  issuerKey: string;
  selfIssued: boolean;
  /** subject key + SPKI: two certificates with the same value are the same CA for loop detection. */
  identity: string;
  /** SAN entries; undefined when the extension is absent. Made on first read. */
  sans: GeneralName[] | undefined;
  /** The SAN extension value (DER GeneralNames), for scanning without objects. */
  sanDer: Uint8Array | undefined;
  sanCritical: boolean;
  /** The first dNSName SAN not in preferred name syntax (read while checking the SANs). */
  sanBadDnsName: string | undefined;
  nameConstraints: NameConstraints | undefined;
  /** A structural or profile problem (MALFORMED, PROFILE_VIOLATION, UNSUPPORTED_ALGORITHM, NAME_CONSTRAINTS). */
  problem: CertProblem | undefined;
  /**
   * The first problem that still matters when the certificate is a trust anchor (RFC 5280
   * §6.1.1 (d): an anchor is a name and a key): malformed or unsupported content and
   * encoding errors such as a critical SKI, not the profile rules for issued certificates.
   */
  anchorProblem: CertProblem | undefined;
  /** The OID of a critical extension mtlskit does not process, if any. */
  unhandledCritical: string | undefined;
  /** Whether an AIA caIssuers pointer is present (a hint that an intermediate exists). */
  hasCaIssuers: boolean;
  /** The certificate-policy extensions, read for RFC 5280 §6.1 policy processing. */
  policy: CertPolicyInput | undefined;
}

// Extensions whose criticality mtlskit honours: policy extensions are processed by
// chain/policy (RFC 5280 §6.1 with the RFC 9618 graph).
const HANDLED = new Set<string>([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectAltName,
  OID.nameConstraints,
  OID.certificatePolicies,
  OID.policyConstraints,
  OID.policyMappings,
  OID.inhibitAnyPolicy,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
]);

const cache = new WeakMap<CertificateInfo, ChainCert>();

/** Builds (or returns the cached) ChainCert of a parsed certificate. Never throws. */
export function chainCertOf(info: CertificateInfo): ChainCert {
  const hit = cache.get(info);
  if (hit) return hit;
  const d = decodedOf(info);
  const subjectKey = nameKey(d.subject);
  const issuerKey = nameKey(d.issuer);
  const c: ChainCert = {
    info,
    d,
    subjectKey,
    issuerKey,
    selfIssued: subjectKey === issuerKey,
    identity: `${subjectKey}\u0000${latin1At(d.spki, 0, d.spki.length)}`,
    sans: undefined,
    sanDer: undefined,
    sanBadDnsName: undefined,
    sanCritical: false,
    nameConstraints: undefined,
    problem: undefined,
    anchorProblem: undefined,
    unhandledCritical: undefined,
    hasCaIssuers: false,
    policy: undefined,
  };
  try {
    inspect(c);
    c.policy = readCertPolicyInput(d.extensions.raw, c.selfIssued);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    hard(c, { code: 'MALFORMED', message: `an extension is malformed (${why})` });
  }
  cache.set(info, c);
  return c;
}

function hard(c: ChainCert, p: CertProblem): void {
  c.problem ??= p;
  c.anchorProblem ??= p;
}

function violation(c: ChainCert, message: string): void {
  c.problem ??= { code: 'PROFILE_VIOLATION', message };
}

function inspect(c: ChainCert): void {
  const { d } = c;
  const ext = d.extensions;
  if (!bytesEqual(d.innerSignatureAlgorithm, d.signatureAlgorithmDer)) {
    hard(c, { code: 'MALFORMED', message: 'its two signature algorithm fields differ (RFC 5280 §4.1.1.2)' });
  }
  let serial = d.serial;
  if (serial[0]! & 0x80) violation(c, 'its serial number is negative (RFC 5280 §4.1.2.2)');
  while (serial.length > 1 && serial[0] === 0) serial = serial.subarray(1);
  if (serial.length > 20) violation(c, 'its serial number is longer than 20 octets (RFC 5280 §4.1.2.2)');
  if (d.issuer.length === 0) violation(c, 'its issuer name is empty (RFC 5280 §4.1.2.4)');
  for (const r of ext.raw) {
    if (r.critical && !HANDLED.has(r.oid)) c.unhandledCritical ??= r.oid;
    switch (r.oid) {
      case OID.subjectKeyIdentifier:
        // Marking it critical is an encoding error, not a missing feature: anchors too.
        if (r.critical)
          hard(c, {
            code: 'PROFILE_VIOLATION',
            message: 'its subjectKeyIdentifier is marked critical (RFC 5280 §4.2.1.2)',
          });
        break;
      case OID.authorityKeyIdentifier: {
        if (r.critical)
          hard(c, {
            code: 'PROFILE_VIOLATION',
            message: 'its authorityKeyIdentifier is marked critical (RFC 5280 §4.2.1.1)',
          });
        const parts = children(expectTag(readSingle(r.value), TAG.SEQUENCE, 'authorityKeyIdentifier'));
        if (!parts.some((p) => p.tag === 0x80))
          violation(c, 'its authorityKeyIdentifier has no keyIdentifier (RFC 5280 §4.2.1.1)');
        break;
      }
      case OID.subjectAltName: {
        // Checked here without making objects; the names are made on first use.
        const summary = summarizeGeneralNames(r.value);
        if (summary.badIpLength)
          violation(c, 'an IP address in its subjectAltName is not 4 or 16 bytes long (RFC 5280 §4.2.1.6)');
        c.sanBadDnsName = summary.badDnsName;
        let sans: GeneralName[] | undefined;
        Object.defineProperty(c, 'sans', {
          enumerable: true,
          get: () => {
            sans ??= parseGeneralNamesRaw(r.value);
            return sans;
          },
        });
        c.sanDer = r.value;
        c.sanCritical = r.critical;
        break;
      }
      case OID.nameConstraints:
        try {
          c.nameConstraints = parseNameConstraints(r.value);
        } catch (e) {
          hard(c, {
            code: 'NAME_CONSTRAINTS',
            message: `its name constraints are invalid (${e instanceof Error ? e.message : String(e)})`,
          });
        }
        break;
      case OID.policyConstraints:
        if (!r.critical) violation(c, 'its policyConstraints extension is not critical (RFC 5280 §4.2.1.11)');
        if (children(expectTag(readSingle(r.value), TAG.SEQUENCE, 'policyConstraints')).length === 0) {
          violation(c, 'its policyConstraints extension is empty (RFC 5280 §4.2.1.11)');
        }
        break;
      case OID.inhibitAnyPolicy:
        if (!r.critical) violation(c, 'its inhibitAnyPolicy extension is not critical (RFC 5280 §4.2.1.14)');
        break;
      case OID.authorityInfoAccess: {
        if (r.critical) violation(c, 'its authorityInfoAccess extension is critical (RFC 5280 §4.2.2.1)');
        const items = children(expectTag(readSingle(r.value), TAG.SEQUENCE, 'authorityInfoAccess'));
        if (items.length === 0) throw new DerError('authorityInfoAccess is empty');
        for (const it of items) {
          const [method, loc, extra] = children(expectTag(it, TAG.SEQUENCE, 'AccessDescription'));
          const m = decodeOid(expectTag(method, TAG.OID, 'accessMethod').value);
          if (!loc || extra) throw new DerError('AccessDescription malformed');
          if (m === '1.3.6.1.5.5.7.48.2') c.hasCaIssuers = true;
        }
        break;
      }
      default:
        break;
    }
  }
  const bc = ext.basicConstraints;
  if (bc && !bc.ca && bc.pathLength !== undefined)
    violation(c, 'it has a path length but is not a CA (RFC 5280 §4.2.1.9)');
  if (ext.keyUsage && ext.keyUsage.length === 0 && !bc?.ca)
    violation(c, 'its keyUsage extension asserts no usage (RFC 5280 §4.2.1.3)');
  if (ext.keyUsage?.includes('keyCertSign') && !bc?.ca) {
    violation(c, 'it asserts keyCertSign but is not a CA (RFC 5280 §4.2.1.3)');
  }
  if (ext.extendedKeyUsage && ext.extendedKeyUsage.length === 0) {
    violation(c, 'its extendedKeyUsage extension lists no purpose (RFC 5280 §4.2.1.12)');
  }
  if (c.nameConstraints && !bc?.ca)
    violation(c, 'it carries name constraints but is not a CA (RFC 5280 §4.2.1.10)');
  if (d.subject.length === 0) {
    if (bc?.ca) violation(c, 'it is a CA with an empty subject (RFC 5280 §4.1.2.6)');
    else if (!c.sanDer) violation(c, 'its subject is empty and it has no subjectAltName (RFC 5280 §4.1.2.6)');
    else if (!c.sanCritical)
      violation(c, 'its subject is empty but its subjectAltName is not critical (RFC 5280 §4.2.1.6)');
  }
  if (d.version === 3 && bc?.ca && !ext.subjectKeyId) {
    violation(c, 'it is a CA without a subjectKeyIdentifier (RFC 5280 §4.2.1.2)');
  }
  if (d.version === 3 && !c.selfIssued && !ext.raw.some((r) => r.oid === OID.authorityKeyIdentifier)) {
    violation(c, 'it has no authorityKeyIdentifier (RFC 5280 §4.2.1.1)');
  }
  const pk = d.publicKey;
  const supportedKey =
    (pk.algorithm === 'RSA' && pk.size >= 2048 && pk.size % 8 === 0 && pk.size <= 16384) ||
    (pk.algorithm === 'ECDSA' && (pk.curve === 'P-256' || pk.curve === 'P-384' || pk.curve === 'P-521')) ||
    pk.algorithm === 'Ed25519';
  if (!supportedKey) {
    const what =
      pk.algorithm === 'ECDSA'
        ? `an ECDSA key on curve ${pk.curve ?? 'unknown'}`
        : pk.algorithm === 'RSA'
          ? `a ${pk.size}-bit RSA key`
          : `a ${pk.algorithm} key`;
    hard(c, {
      code: 'UNSUPPORTED_ALGORITHM',
      message: `it has ${what}; mtlskit accepts RSA (2048 bits or more), ECDSA P-256/P-384/P-521 and Ed25519 keys`,
    });
  }
}

/** Whether the issuer-side AKI/SKI say `parent` cannot be the issuer of `child`. */
export function keyIdsDisagree(child: ChainCert, parent: ChainCert): boolean {
  const aki = child.d.extensions.authorityKeyId;
  const ski = parent.d.extensions.subjectKeyId;
  return aki !== undefined && ski !== undefined && aki !== ski;
}

/** Whether the AKI/SKI of the pair positively agree. */
export function keyIdsAgree(child: ChainCert, parent: ChainCert): boolean {
  const aki = child.d.extensions.authorityKeyId;
  const ski = parent.d.extensions.subjectKeyId;
  return aki !== undefined && aki === ski;
}
