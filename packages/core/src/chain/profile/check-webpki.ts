import { children, readSingle } from '../../x509/der.js';
import { OID } from '../../x509/oids.js';
import type { ChainCert } from '../path/chain-cert.js';
import { fail, type PathFailure, type ValidateContext } from '../validate/path-failure.js';

// BR 7.1.4.2 / RFC 5280 §4.2.1.6 preferred name syntax: LDH labels, no underscore (BR
// ballot SC-017 retired them), no empty label (so no leading or doubled dot), no trailing dot.
const LDH_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

function badDnsSan(name: string): boolean {
  if (name.length === 0 || name.length > 253) return true;
  const labels = name.split('.');
  return labels.some((l, k) => !(LDH_LABEL.test(l) || (k === 0 && l === '*' && labels.length > 1)));
}

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
  if (!leaf.sans) {
    return refuse(
      path,
      0,
      'CA/B BR 7.1.2.7.12',
      'has no subjectAltName extension; a server certificate names its hosts there',
    );
  }
  for (const n of leaf.sans) {
    if (n.kind === 'dns' && badDnsSan(n.value)) {
      return refuse(
        path,
        0,
        'CA/B BR 7.1.4.2',
        `has the dNSName SAN "${n.value}", which is not a host name in preferred name syntax (letters, digits and hyphens; no underscore, empty label or trailing dot; a wildcard only as the whole left-most label)`,
      );
    }
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
