import { formatIp, parseIp } from '../../x509/ip-address.js';
import { commonNameOf } from '../../x509/name.js';
import type { ChainCert } from '../path/chain-cert.js';
import { fail, type PathFailure, type ValidateContext } from '../validate/path-failure.js';
import { matchEmail, matchHostname, matchIp, matchUri } from './hostname.js';
import { describe } from './name-constraints.js';

/** The leaf's identity: host name, IP, URI and email references (RFC 6125). */
export function checkLeafIdentity(path: ChainCert[], ctx: ValidateContext): PathFailure | undefined {
  const n = path.length;
  // 7. The leaf's identity.
  const leaf = path[0]!;
  const sans = leaf.sans ?? [];
  const dns = sans.flatMap((s) => (s.kind === 'dns' ? [s.value] : []));
  const ips = sans.flatMap((s) => (s.kind === 'ip' ? [s.bytes] : []));
  const sanList = sans.map(describe).join(', ') || 'none';
  if (ctx.hostname !== undefined) {
    const asIp = parseIp(ctx.hostname);
    const ok = asIp ? matchIp(ctx.hostname, ips) : matchHostname(ctx.hostname, dns);
    if (!ok) {
      return fail(
        'NAME_MISMATCH',
        path,
        0,
        `is not valid for "${ctx.hostname}" (its subjectAltName: ${sanList}; the common name is not used). Issue it with ${asIp ? 'an IP' : 'a DNS'} SAN for that name, or connect with a name it has.`,
      );
    }
  }
  if (ctx.ip !== undefined && !matchIp(ctx.ip, ips)) {
    return fail(
      'NAME_MISMATCH',
      path,
      0,
      `is not valid for IP ${ctx.ip} (its subjectAltName: ${sanList}). Issue it with that IP address SAN.`,
    );
  }
  if (
    ctx.uri !== undefined &&
    !matchUri(
      ctx.uri,
      sans.flatMap((s) => (s.kind === 'uri' ? [s.value] : [])),
    )
  ) {
    return fail(
      'NAME_MISMATCH',
      path,
      0,
      `does not carry the URI "${ctx.uri}" (its subjectAltName: ${sanList}). Issue it with that URI SAN (e.g. the SPIFFE ID).`,
    );
  }
  if (
    ctx.email !== undefined &&
    !matchEmail(
      ctx.email,
      sans.flatMap((s) => (s.kind === 'email' ? [s.value] : [])),
    )
  ) {
    return fail(
      'NAME_MISMATCH',
      path,
      0,
      `does not carry the email address "${ctx.email}" (its subjectAltName: ${sanList}).`,
    );
  }
  if (ctx.purpose === 'serverAuth' && n > 1) {
    const cn = commonNameOf(leaf.d.subject);
    // CA/B BR 7.1.4.3: a CN that names one of the SAN entries must be a byte-for-byte copy of
    // it: `Example.COM` for `example.com` or `192.168.001.001` for 192.168.1.1 is refused.
    if (cn !== undefined && cnMiscopiesSan(cn, dns, ips)) {
      return fail(
        'NAME_MISMATCH',
        path,
        0,
        `has the common name "${cn}", which names one of its SAN entries (${sanList}) but is not an exact copy of it. Re-issue it with the CN copied from the SAN.`,
      );
    }
  }

  return undefined;
}

/** Loose IPv4 reading (leading zeros, hex parts) used only to spot CNs that miscopy an IP SAN. */
function looseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (const [i, p] of parts.entries()) {
    const v = /^0x[0-9a-f]+$/i.test(p)
      ? Number.parseInt(p.slice(2), 16)
      : /^\d+$/.test(p)
        ? Number(p)
        : Number.NaN;
    if (!(v >= 0 && v <= 255)) return undefined;
    out[i] = v;
  }
  return out;
}

function cnMiscopiesSan(cn: string, dns: string[], ips: Uint8Array[]): boolean {
  const lower = cn.toLowerCase().replace(/\.$/, '');
  if (dns.some((d) => d.toLowerCase().replace(/\.$/, '') === lower) && !dns.includes(cn)) return true;
  const ip = looseIpv4(cn) ?? parseIp(cn);
  if (!ip) return false;
  return ips.some((b) => b.length === ip.length && b.every((x, k) => x === ip[k]) && formatIp(b) !== cn);
}
