import { indexGeneralNames, latin1At, nextNameCandidate } from '../../x509/general-names-scan.js';
import { formatIp, parseIp } from '../../x509/ip-address.js';
import { commonNameOf } from '../../x509/name.js';
import type { ChainCert } from '../path/chain-cert.js';
import { fail, type PathFailure, type ValidateContext } from '../validate/path-failure.js';
import { matchEmail, matchHostnameInSan, matchIp, matchUri } from './hostname.js';
import { describe } from './name-constraints.js';

/** The answers of {@link checkLeafIdentity} that read every SAN of the leaf. */
export interface LeafNameAnswers {
  /** Whether a dNSName SAN matches `ctx.hostname` (undefined: no host name reference). */
  hostMatches: boolean | undefined;
  /** Whether the CN names a SAN entry without being an exact copy (webpki profile only). */
  cnMiscopiesSan: boolean;
}

/**
 * Reads the leaf's SANs for the host name and CN checks, once per verification: verifyChain
 * asks for it while the platform hashes the leaf's signed part (both take milliseconds for a
 * certificate with 100,000 SANs), and checkLeafIdentity takes the answers later, in its
 * order. Pure reads of the leaf and the options: asking early changes no verdict.
 */
export function leafNameAnswers(leaf: ChainCert, ctx: ValidateContext): LeafNameAnswers {
  const hit = ctx.leafNames.get(leaf);
  if (hit) return hit;
  const cn = ctx.profile === 'webpki' ? commonNameOf(leaf.d.subject) : undefined;
  const answers: LeafNameAnswers = {
    hostMatches:
      ctx.hostname === undefined || parseIp(ctx.hostname)
        ? undefined
        : matchHostnameInSan(ctx.hostname, leaf.sanDer),
    cnMiscopiesSan: cn !== undefined && cnMiscopiesSan(cn, leaf.sanDer, ipsOf(leaf.sanDer)),
  };
  ctx.leafNames.set(leaf, answers);
  return answers;
}

/** The leaf's identity: host name, IP, URI and email references (RFC 6125). */
export function checkLeafIdentity(path: ChainCert[], ctx: ValidateContext): PathFailure | undefined {
  const n = path.length;
  // 7. The leaf's identity.
  const leaf = path[0]!;
  // Made only when needed: a leaf may carry 100,000 SANs.
  const sans = () => leaf.sans ?? [];
  const ipSans = () => ipsOf(leaf.sanDer);
  const list = () =>
    sans().slice(0, 20).map(describe).join(', ') +
    (sans().length > 20 ? `, … (${sans().length} in all)` : '');
  const sanList = { toString: () => list() || 'none' };
  if (ctx.hostname !== undefined) {
    const asIp = parseIp(ctx.hostname);
    const ok = asIp ? matchIp(ctx.hostname, ipSans()) : leafNameAnswers(leaf, ctx).hostMatches;
    if (!ok) {
      return fail(
        'NAME_MISMATCH',
        path,
        0,
        `is not valid for "${ctx.hostname}" (its subjectAltName: ${sanList}; the common name is not used). Issue it with ${asIp ? 'an IP' : 'a DNS'} SAN for that name, or connect with a name it has.`,
      );
    }
  }
  if (ctx.ip !== undefined && !matchIp(ctx.ip, ipSans())) {
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
      sans().flatMap((s) => (s.kind === 'uri' ? [s.value] : [])),
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
      sans().flatMap((s) => (s.kind === 'email' ? [s.value] : [])),
    )
  ) {
    return fail(
      'NAME_MISMATCH',
      path,
      0,
      `does not carry the email address "${ctx.email}" (its subjectAltName: ${sanList}).`,
    );
  }
  if (ctx.profile === 'webpki' && n > 1) {
    const cn = commonNameOf(leaf.d.subject);
    // CA/B BR 7.1.4.3: a CN that names one of the SAN entries must be a byte-for-byte copy of
    // it: `Example.COM` for `example.com` or `192.168.001.001` for 192.168.1.1 is refused.
    if (cn !== undefined && leafNameAnswers(leaf, ctx).cnMiscopiesSan) {
      const f = fail(
        'NAME_MISMATCH',
        path,
        0,
        `has the common name "${cn}", which names one of its SAN entries (${sanList}) but is not an exact copy of it (CA/B BR 7.1.4.3, webpki profile; Node's TLS stack would accept it). Re-issue it with the CN copied from the SAN.`,
      );
      f.profileRule = 'CA/B BR 7.1.4.3';
      return f;
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

/**
 * CA/B BR 7.1.4.3: whether `cn` names one of the SAN entries (a dNSName equal without case,
 * or an IP address written differently) without being a byte-for-byte copy of it.
 */
export function cnMiscopiesSan(cn: string, sanDer: Uint8Array | undefined, ips: Uint8Array[]): boolean {
  const lower = cn.toLowerCase().replace(/\.$/, '');
  let caseless = false;
  let exact = false;
  if (sanDer) {
    const index = indexGeneralNames(sanDer);
    const { count, tags, starts, ends } = index;
    // Only names equal to the CN without case are candidates (the kernel skips the others).
    for (
      let k = nextNameCandidate(index, 0, lower, '');
      k < count;
      k = nextNameCandidate(index, k + 1, lower, '')
    ) {
      const start = starts[k]!;
      const end = ends[k]!;
      // Only names of about the CN's length can equal it: no string for the others.
      if (tags[k] !== 0x82 || end - start < lower.length || end - start > lower.length + 1) continue;
      if (!startsCaseless(sanDer, start, lower)) continue;
      const d = latin1At(sanDer, start, end);
      if (d === cn) exact = true;
      if (d.toLowerCase().replace(/\.$/, '') === lower) caseless = true;
    }
  }
  if (caseless && !exact) return true;
  const ip = looseIpv4(cn) ?? parseIp(cn);
  if (!ip) return false;
  return ips.some((b) => b.length === ip.length && b.every((x, k) => x === ip[k]) && formatIp(b) !== cn);
}

/** Whether `buf` at `start` begins with `lower` (lowercase), ASCII letters compared without case. */
function startsCaseless(buf: Uint8Array, start: number, lower: string): boolean {
  for (let j = 0; j < lower.length; j++) {
    let b = buf[start + j]!;
    if (b >= 0x41 && b <= 0x5a) b |= 0x20;
    // A non-ASCII CN never equals an IA5 name byte for byte: the strings decide then.
    const c = lower.charCodeAt(j);
    if (c > 0x7f) return true;
    if (b !== c) return false;
  }
  return true;
}

/** The IP address entries of a DER GeneralNames value. */
function ipsOf(sanDer: Uint8Array | undefined): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (!sanDer) return out;
  const { count, tags, starts, ends, odd } = indexGeneralNames(sanDer);
  // An IP entry is never a plain dNSName: the kernel's list of the others has them all.
  const n = odd ? odd.length : count;
  for (let i = 0; i < n; i++) {
    const k = odd ? odd[i]! : i;
    if (tags[k] === 0x87) out.push(sanDer.subarray(starts[k], ends[k]));
  }
  return out;
}
