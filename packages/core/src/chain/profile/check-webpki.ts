import { children, readSingle } from '../../x509/der.js';
import { OID } from '../../x509/oids.js';
import type { ChainCert } from '../path/chain-cert.js';
import { fail, type PathFailure, type ValidateContext } from '../validate/path-failure.js';

function refuse(path: ChainCert[], depth: number, rule: string, text: string): PathFailure {
  const f = fail(
    'PROFILE_VIOLATION',
    path,
    depth,
    `${text} (${rule}, webpki profile). Node's TLS stack (OpenSSL) would accept it; verify with profile: 'rfc5280' if this is a private PKI that does not follow the CA/Browser Forum rules, or re-issue it.`,
  );
  f.profileRule = rule;
  return f;
}

/**
 * The CA/Browser Forum Baseline Requirements (§7.1) for TLS server certificates, on top of
 * RFC 5280: only under `profile: 'webpki'`. The trust anchor is exempt (RFC 5280 §6.1.1 (d));
 * a path of the pinned leaf alone has nothing to check.
 */
export function checkWebpki(path: ChainCert[], ctx: ValidateContext): PathFailure | undefined {
  if (ctx.profile !== 'webpki' || path.length < 2) return undefined;
  const top = path.length - 1;
  const leaf = path[0]!;
  const ext = leaf.d.extensions;
  if (ext.basicConstraints?.ca) {
    return refuse(
      path,
      0,
      'CA/B BR 7.1.2.7.8',
      'is a CA certificate used as a server leaf (basicConstraints cA:TRUE)',
    );
  }
  if (ext.keyUsage?.includes('keyCertSign')) {
    return refuse(path, 0, 'CA/B BR 7.1.2.7.11', 'is a leaf whose keyUsage asserts keyCertSign');
  }
  if (leaf.sanDer === undefined) {
    return refuse(
      path,
      0,
      'CA/B BR 7.1.2.7.12',
      'has no subjectAltName extension; a server certificate names its hosts there',
    );
  }
  // Read in one pass with the other SAN checks (chain-cert), on the DER bytes: a leaf may
  // carry 100,000 SANs.
  const bad = leaf.sanBadDnsName;
  if (bad !== undefined) {
    return refuse(
      path,
      0,
      'CA/B BR 7.1.4.2',
      `has the dNSName SAN "${bad}", which is not a host name in preferred name syntax (letters, digits and hyphens; no underscore, empty label or trailing dot; a wildcard only as the whole left-most label)`,
    );
  }
  const eku = ext.raw.find((r) => r.oid === OID.extKeyUsage);
  if (eku?.critical) {
    return refuse(path, 0, 'CA/B BR 7.1.2.7.10', 'has a critical extendedKeyUsage extension');
  }
  for (let i = 0; i < top; i++) {
    const c = path[i]!;
    const serial = c.d.serial;
    if (serial.every((b) => b === 0)) {
      return refuse(
        path,
        i,
        'CA/B BR 7.1.2.7',
        'has serial number zero; serial numbers must be greater than zero',
      );
    }
    const aki = c.d.extensions.raw.find((r) => r.oid === OID.authorityKeyIdentifier);
    if (aki && children(readSingle(aki.value)).some((p) => p.tag !== 0x80)) {
      return refuse(
        path,
        i,
        i === 0 ? 'CA/B BR 7.1.2.7.6' : 'CA/B BR 7.1.2.11.1',
        'has an authorityKeyIdentifier with authorityCertIssuer or authorityCertSerialNumber; only keyIdentifier is allowed',
      );
    }
  }
  return undefined;
}
