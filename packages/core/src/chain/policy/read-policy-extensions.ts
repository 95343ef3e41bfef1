import { children, DerError, decodeOid, expectTag, readSingle, TAG } from '../../x509/der.js';
import { OID } from '../../x509/oids.js';

/** The special policy OID that stands for every policy (RFC 5280 §4.2.1.4). */
export const ANY_POLICY = '2.5.29.32.0';

/** The policy-related content of one certificate, as RFC 5280 §6.1.3–§6.1.5 read it. */
export interface CertPolicyInput {
  /** certificatePolicies OIDs in order; undefined when the extension is absent. */
  policies: string[] | undefined;
  /** policyMappings pairs `[issuerDomainPolicy, subjectDomainPolicy]`; undefined when absent. */
  mappings: [string, string][] | undefined;
  /** policyConstraints requireExplicitPolicy (SkipCerts). */
  requireExplicitPolicy: number | undefined;
  /** policyConstraints inhibitPolicyMapping (SkipCerts). */
  inhibitPolicyMapping: number | undefined;
  /** inhibitAnyPolicy SkipCerts. */
  inhibitAnyPolicy: number | undefined;
  /** Whether the certificate is self-issued (its counters are not decremented, §6.1.4 (h)). */
  selfIssued: boolean;
}

/** Extension OIDs this module reads. */
export const POLICY_EXTENSION_OIDS: ReadonlySet<string> = new Set([
  OID.certificatePolicies,
  OID.policyMappings,
  OID.policyConstraints,
  OID.inhibitAnyPolicy,
]);

// SkipCerts ::= INTEGER (0..MAX). Values beyond any real path length are clamped: they can
// only ever mean "not within this path", and a clamp keeps the arithmetic exact.
function skipCerts(value: Uint8Array, what: string): number {
  if (value.length === 0) throw new DerError(`${what} is an empty INTEGER`);
  if (value[0]! & 0x80) throw new DerError(`${what} is negative`);
  if (value.length > 1 && value[0] === 0 && !(value[1]! & 0x80))
    throw new DerError(`${what} is not minimally encoded`);
  let n = 0;
  for (const b of value) {
    n = n * 256 + b;
    if (n > 1_000_000) return 1_000_000;
  }
  return n;
}

function parsePolicies(value: Uint8Array): string[] {
  const items = children(expectTag(readSingle(value), TAG.SEQUENCE, 'certificatePolicies'));
  // RFC 5280 §4.2.1.4: certificatePolicies ::= SEQUENCE SIZE (1..MAX) OF PolicyInformation.
  if (items.length === 0) throw new DerError('certificatePolicies is empty');
  const seen = new Set<string>();
  const out: string[] = [];
  for (const item of items) {
    const [idNode, qualifiers, extra] = children(expectTag(item, TAG.SEQUENCE, 'PolicyInformation'));
    const id = decodeOid(expectTag(idNode, TAG.OID, 'policyIdentifier').value);
    if (extra) throw new DerError('PolicyInformation has trailing elements');
    if (qualifiers) {
      const qs = children(expectTag(qualifiers, TAG.SEQUENCE, 'policyQualifiers'));
      if (qs.length === 0) throw new DerError('policyQualifiers is empty');
      for (const q of qs) {
        const [qid] = children(expectTag(q, TAG.SEQUENCE, 'PolicyQualifierInfo'));
        decodeOid(expectTag(qid, TAG.OID, 'policyQualifierId').value);
      }
    }
    // "A certificate policy OID MUST NOT appear more than once" (§4.2.1.4).
    if (seen.has(id)) throw new DerError(`certificatePolicies lists ${id} twice`);
    seen.add(id);
    out.push(id);
  }
  return out;
}

function parseMappings(value: Uint8Array): [string, string][] {
  const items = children(expectTag(readSingle(value), TAG.SEQUENCE, 'policyMappings'));
  if (items.length === 0) throw new DerError('policyMappings is empty');
  return items.map((item) => {
    const [a, b, extra] = children(expectTag(item, TAG.SEQUENCE, 'PolicyMapping'));
    if (extra) throw new DerError('PolicyMapping has trailing elements');
    return [
      decodeOid(expectTag(a, TAG.OID, 'issuerDomainPolicy').value),
      decodeOid(expectTag(b, TAG.OID, 'subjectDomainPolicy').value),
    ];
  });
}

function parseConstraints(value: Uint8Array): { require?: number; inhibit?: number } {
  const parts = children(expectTag(readSingle(value), TAG.SEQUENCE, 'policyConstraints'));
  const out: { require?: number; inhibit?: number } = {};
  let last = -1;
  for (const p of parts) {
    // [0] requireExplicitPolicy, [1] inhibitPolicyMapping, each at most once and in order.
    const tagNo = p.tag === 0x80 ? 0 : p.tag === 0x81 ? 1 : -1;
    if (tagNo <= last) throw new DerError('policyConstraints malformed');
    last = tagNo;
    if (tagNo === 0) out.require = skipCerts(p.value, 'requireExplicitPolicy');
    else out.inhibit = skipCerts(p.value, 'inhibitPolicyMapping');
  }
  return out;
}

const none = (selfIssued: boolean): CertPolicyInput =>
  Object.freeze({
    policies: undefined,
    mappings: undefined,
    requireExplicitPolicy: undefined,
    inhibitPolicyMapping: undefined,
    inhibitAnyPolicy: undefined,
    selfIssued,
  });
const NONE = none(false);
const NONE_SELF_ISSUED = none(true);

/**
 * Reads the policy extensions of one certificate. Throws a `DerError` for a malformed
 * value; the caller reports it as a malformed certificate.
 */
export function readCertPolicyInput(
  raw: readonly { oid: string; value: Uint8Array }[],
  selfIssued: boolean,
): CertPolicyInput {
  // Most certificates carry no policy extension: share one answer instead of allocating.
  if (!raw.some((r) => POLICY_EXTENSION_OIDS.has(r.oid))) return selfIssued ? NONE_SELF_ISSUED : NONE;
  const out: CertPolicyInput = {
    policies: undefined,
    mappings: undefined,
    requireExplicitPolicy: undefined,
    inhibitPolicyMapping: undefined,
    inhibitAnyPolicy: undefined,
    selfIssued,
  };
  for (const r of raw) {
    switch (r.oid) {
      case OID.certificatePolicies:
        out.policies = parsePolicies(r.value);
        break;
      case OID.policyMappings:
        out.mappings = parseMappings(r.value);
        break;
      case OID.policyConstraints: {
        const pc = parseConstraints(r.value);
        out.requireExplicitPolicy = pc.require;
        out.inhibitPolicyMapping = pc.inhibit;
        break;
      }
      case OID.inhibitAnyPolicy:
        out.inhibitAnyPolicy = skipCerts(
          expectTag(readSingle(r.value), TAG.INTEGER, 'inhibitAnyPolicy').value,
          'inhibitAnyPolicy',
        );
        break;
      default:
        break;
    }
  }
  return out;
}
