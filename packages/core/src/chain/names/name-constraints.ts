import { children, DerError, expectTag, readSingle, TAG } from '../../x509/der.js';
import { formatIp, parseIp, unmapIpv4 } from '../../x509/ip-address.js';
import { type NameAttribute, nameToString } from '../../x509/name.js';
import type { WorkBudget } from '../path/work-budget.js';
import { type GeneralName, parseGeneralName } from './general-names.js';
import { isDnsName, normalizeHost, referenceHost } from './hostname.js';

type Kind = GeneralName['kind'];

/** A parsed NameConstraints extension (RFC 5280 §4.2.1.10). */
export interface NameConstraints {
  permitted: GeneralName[];
  excluded: GeneralName[];
}

function parseSubtrees(node: ReturnType<typeof readSingle>): GeneralName[] {
  const subtrees = children(node);
  if (subtrees.length === 0) throw new DerError('GeneralSubtrees must not be empty');
  return subtrees.map((st) => {
    const parts = children(expectTag(st, TAG.SEQUENCE, 'GeneralSubtree'));
    const base = parseGeneralName(parts[0] ?? (undefined as never));
    // RFC 5280: minimum MUST be zero and maximum MUST be absent.
    for (const p of parts.slice(1)) {
      if (p.tag === 0x80 && p.value.length === 1 && p.value[0] === 0) continue;
      throw new DerError('GeneralSubtree minimum/maximum must be absent');
    }
    validateBase(base);
    return base;
  });
}

function validateBase(base: GeneralName): void {
  if (base.kind === 'dns') {
    const v = base.value.startsWith('.') ? base.value.slice(1) : base.value;
    if (base.value !== '' && !isDnsName(v)) throw new DerError(`invalid dNSName constraint "${base.value}"`);
  } else if (base.kind === 'ip') {
    if (base.bytes.length !== 8 && base.bytes.length !== 32)
      throw new DerError('iPAddress constraint must be 8 or 32 bytes');
    const half = base.bytes.length / 2;
    let seenZero = false;
    for (let i = half; i < base.bytes.length; i++) {
      for (let bit = 7; bit >= 0; bit--) {
        const one = (base.bytes[i]! >> bit) & 1;
        if (one && seenZero) throw new DerError('iPAddress constraint has a non-contiguous netmask');
        if (!one) seenZero = true;
      }
    }
  }
}

/** Parses a NameConstraints value; throws DerError when it is malformed or has an invalid subtree. */
export function parseNameConstraints(value: Uint8Array): NameConstraints {
  const out: NameConstraints = { permitted: [], excluded: [] };
  const parts = children(expectTag(readSingle(value), TAG.SEQUENCE, 'NameConstraints'));
  if (parts.length === 0) throw new DerError('NameConstraints must hold permitted or excluded subtrees');
  for (const p of parts) {
    if (p.tag === 0xa0) out.permitted = parseSubtrees(p);
    else if (p.tag === 0xa1) out.excluded = parseSubtrees(p);
    else throw new DerError('NameConstraints has an unexpected field');
  }
  return out;
}

function dnsWithin(name: string, constraint: string): boolean {
  const c = normalizeHost(constraint);
  if (c === '') return true;
  const n = normalizeHost(name);
  if (c.startsWith('.')) return n.endsWith(c) && n.length > c.length;
  return n === c || n.endsWith(`.${c}`);
}

/** Whether a presented wildcard could stand for a name inside the excluded subtree. */
function dnsMayOverlap(name: string, constraint: string): boolean {
  if (dnsWithin(name, constraint)) return true;
  const n = normalizeHost(name);
  if (!n.startsWith('*.')) return false;
  const base = n.slice(1); // ".example.com"
  const c = normalizeHost(constraint).replace(/^\./, '');
  const dot = c.indexOf('.');
  return dot > 0 && c.slice(dot) === base;
}

function ipWithin(bytes: Uint8Array, c: Uint8Array): boolean {
  if (c.length !== bytes.length * 2) return false;
  const n = bytes.length;
  for (let i = 0; i < n; i++) if ((bytes[i]! & c[n + i]!) !== (c[i]! & c[n + i]!)) return false;
  return true;
}

function emailWithin(email: string, c: string): boolean {
  const at = email.lastIndexOf('@');
  if (at < 0) return false;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1).toLowerCase();
  const cat = c.lastIndexOf('@');
  // An asterisk is a literal character in rfc822Name constraints, never a wildcard.
  if (cat >= 0) return local === c.slice(0, cat) && domain === c.slice(cat + 1).toLowerCase();
  const cl = c.toLowerCase();
  if (cl.startsWith('.')) return domain.endsWith(cl);
  return domain === cl;
}

/**
 * The host of a URI as name constraints compare it (RFC 5280 §4.2.1.10): percent-decoded,
 * IDNA A-labels, lower case, no trailing dot, so `https://ev%69l.com./x` is `evil.com`.
 * Undefined when the URI has no host or the host cannot be read.
 */
export function uriHost(uri: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/i.exec(uri);
  if (!m?.[1]) return undefined;
  if (m[1].startsWith('[')) {
    const ip = parseIp(m[1]);
    return ip ? formatIp(ip) : undefined;
  }
  let host: string;
  try {
    host = decodeURIComponent(m[1]);
  } catch {
    return undefined;
  }
  if (parseIp(host)) return host;
  return referenceHost(host);
}

function uriWithin(host: string, c: string): boolean {
  const cl = normalizeHost(c);
  if (cl.startsWith('.')) return host.endsWith(cl) && host.length > cl.length;
  return host === cl;
}

const normValue = (v: string) => v.trim().replace(/\s+/g, ' ').toLowerCase();

function rdnEqual(a: NameAttribute[], b: NameAttribute[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x) => b.some((y) => y.oid === x.oid && normValue(y.value) === normValue(x.value)));
}

function dnWithin(rdns: NameAttribute[][], c: NameAttribute[][]): boolean {
  if (c.length > rdns.length) return false;
  return c.every((rdn, i) => rdnEqual(rdns[i]!, rdn));
}

function within(name: GeneralName, c: GeneralName, excluded: boolean): boolean {
  switch (name.kind) {
    case 'dns':
      return (
        c.kind === 'dns' && (excluded ? dnsMayOverlap(name.value, c.value) : dnsWithin(name.value, c.value))
      );
    case 'ip': {
      if (c.kind !== 'ip') return false;
      // An IPv4-mapped IPv6 address is the IPv4 address for IPv4 constraints.
      const v4 = unmapIpv4(name.bytes);
      return ipWithin(name.bytes, c.bytes) || (v4 !== undefined && ipWithin(v4, c.bytes));
    }
    case 'email':
      return c.kind === 'email' && emailWithin(name.value, c.value);
    case 'uri': {
      const host = uriHost(name.value);
      return c.kind === 'uri' && host !== undefined && uriWithin(host, c.value);
    }
    case 'dn':
      return c.kind === 'dn' && dnWithin(name.rdns, c.rdns);
    default:
      return false;
  }
}

/** Why a name falls outside the constraints, or undefined when it is allowed. */
export function checkNameAgainst(
  name: GeneralName,
  nc: NameConstraints,
  work: WorkBudget,
): string | undefined {
  const kind: Kind = name.kind;
  if (kind === 'other') {
    // A form mtlskit cannot compare: allowed only when no constraint speaks about such forms.
    if (nc.permitted.some((c) => c.kind === 'other') || nc.excluded.some((c) => c.kind === 'other')) {
      return 'a name of a form mtlskit cannot check (otherName or similar) is constrained';
    }
    return undefined;
  }
  if (
    name.kind === 'uri' &&
    uriHost(name.value) === undefined &&
    [...nc.permitted, ...nc.excluded].some((c) => c.kind === 'uri')
  ) {
    // Fail closed: a constrained URI whose host cannot be read could be anything.
    return `${describe(name)} has no host name that URI constraints can be checked against`;
  }
  for (const c of nc.excluded) {
    work.spend('nameConstraintChecks');
    if (within(name, c, true)) return `${describe(name)} is in an excluded subtree (${describe(c)})`;
  }
  const relevant = nc.permitted.filter((c) => c.kind === kind);
  if (relevant.length === 0) return undefined;
  for (const c of relevant) {
    work.spend('nameConstraintChecks');
    if (within(name, c, false)) return undefined;
  }
  return `${describe(name)} is outside the permitted subtrees (${relevant.map(describe).join(', ')})`;
}

/** Human form of a name for messages. */
export function describe(n: GeneralName): string {
  switch (n.kind) {
    case 'dns':
      return `DNS:${n.value}`;
    case 'email':
      return `email:${n.value}`;
    case 'uri':
      return `URI:${n.value}`;
    case 'ip': {
      if (n.bytes.length === 8 || n.bytes.length === 32) {
        const half = n.bytes.length / 2;
        let bits = 0;
        for (const b of n.bytes.subarray(half)) bits += b.toString(2).replace(/0/g, '').length;
        return `IP:${formatIp(n.bytes.subarray(0, half))}/${bits}`;
      }
      return `IP:${formatIp(n.bytes)}`;
    }
    case 'dn':
      return `DirName:${nameToString(n.rdns)}`;
    default:
      return 'otherName';
  }
}
