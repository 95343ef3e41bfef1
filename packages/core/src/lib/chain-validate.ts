import type { ChainErrorCode, ChainPurpose } from '../chain/chain-verdict.js';
import type { ChainCert } from './chain-cert.js';
import type { DecodedCrl } from './chain-crl.js';
import type { GeneralName } from './chain-general-names.js';
import { isDnsName, matchEmail, matchHostname, matchIp, matchUri } from './chain-hostname.js';
import { checkNameAgainst, describe, type NameConstraints } from './chain-name-constraints.js';
import type { WorkBudget } from './chain-work.js';
import { formatIp, parseIp } from './ip.js';
import { commonNameOf } from './name.js';
import { EKU_NAMES, OID } from './oids.js';
import type { SignatureResult } from './signature.js';

/** One failure of one candidate path. */
export interface PathFailure {
  code: ChainErrorCode;
  message: string;
  depth: number;
  cert: ChainCert | undefined;
  missingIssuer?: string;
}

export interface ValidateContext {
  /** Validation time, floored to whole seconds. */
  at: Date;
  purpose: ChainPurpose;
  hostname: string | undefined;
  ip: string | undefined;
  uri: string | undefined;
  email: string | undefined;
  maxDepth: number;
  crls: DecodedCrl[];
  work: WorkBudget;
  /** Verifies `data`/`signature` with the key of `signer` (cached, counted). */
  verify(
    signer: ChainCert,
    alg: ChainCert['d']['signatureAlgorithm'],
    data: Uint8Array,
    signature: Uint8Array,
  ): Promise<SignatureResult>;
}

/** Role of the certificate at `depth` in a path of `length`, for messages. */
export function roleOf(depth: number, length: number): string {
  if (depth === 0) return length === 1 ? 'trusted certificate' : 'leaf certificate';
  if (depth === length - 1) return 'trusted CA certificate';
  return 'intermediate certificate';
}

function who(c: ChainCert): string {
  return c.info.subject === '' ? `(empty subject, serial ${c.info.serialNumber})` : `"${c.info.subject}"`;
}

function fail(code: ChainErrorCode, path: ChainCert[], depth: number, text: string): PathFailure {
  const c = path[depth]!;
  return { code, depth, cert: c, message: `The ${roleOf(depth, path.length)} ${who(c)} ${text}` };
}

const PURPOSE_OID: Record<Exclude<ChainPurpose, 'any'>, string> = {
  serverAuth: OID.serverAuth,
  clientAuth: OID.clientAuth,
};

function ekuOids(c: ChainCert): string[] | undefined {
  const e = c.d.extensions.extendedKeyUsage;
  if (!e) return undefined;
  const back = new Map(Object.entries(EKU_NAMES).map(([o, n]) => [n, o]));
  return e.map((n) => back.get(n) ?? n);
}

const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');

/** The names of `c` that name constraints apply to (RFC 5280 §6.1.3 (b)(c)). */
function constrainedNames(c: ChainCert, isLeaf: boolean): GeneralName[] {
  const out: GeneralName[] = [];
  if (c.d.subject.length > 0) out.push({ kind: 'dn', rdns: c.d.subject });
  if (c.sans) out.push(...c.sans);
  else {
    // Without a SAN, rfc822 constraints apply to emailAddress attributes of the subject.
    for (const rdn of c.d.subject)
      for (const a of rdn) if (a.oid === '1.2.840.113549.1.9.1') out.push({ kind: 'email', value: a.value });
  }
  if (isLeaf && !(c.sans ?? []).some((n) => n.kind === 'dns' || n.kind === 'ip')) {
    // As OpenSSL and browsers do: a host name in the CN of a SAN-less leaf is held to DNS constraints.
    const cn = commonNameOf(c.d.subject);
    if (cn?.includes('.') && isDnsName(cn.replace(/^\*\./, 'x.'))) out.push({ kind: 'dns', value: cn });
  }
  return out;
}

/** Validates a complete candidate path (leaf first, trust anchor last) per RFC 5280 §6.1. */
export async function validatePath(
  path: ChainCert[],
  ctx: ValidateContext,
): Promise<PathFailure | undefined> {
  const n = path.length;
  const top = n - 1;
  const at = ctx.at.getTime();

  // 1. Certificates that are broken on their own.
  for (let i = 0; i < n; i++) {
    const c = path[i]!;
    if (c.problem) {
      const f = fail(c.problem.code, path, i, `is not acceptable: ${c.problem.message}.`);
      f.message +=
        c.problem.code === 'UNSUPPORTED_ALGORITHM'
          ? ' Re-issue it with a supported key type.'
          : ' Re-issue it from a CA that follows RFC 5280.';
      return f;
    }
    if (i < top && c.d.signatureAlgorithm.hash === 'SHA-1') {
      return fail(
        'UNSUPPORTED_ALGORITHM',
        path,
        i,
        'is signed with SHA-1, which is no longer accepted. Re-issue it with SHA-256 or better.',
      );
    }
  }
  const anchor = path[top]!;
  const aki = anchor.d.extensions.authorityKeyId;
  const ski = anchor.d.extensions.subjectKeyId;
  if (n > 1 && anchor.selfIssued && aki !== undefined && ski !== undefined && aki !== ski) {
    // A self-signed root whose AKI names another key is inconsistent; a self-issued
    // rollover certificate (signed by the old key) legitimately has a different AKI.
    if (
      (await ctx.verify(anchor, anchor.d.signatureAlgorithm, anchor.d.tbs, anchor.d.signature)) === 'valid'
    ) {
      return fail(
        'PROFILE_VIOLATION',
        path,
        top,
        'is self-signed but its authorityKeyIdentifier differs from its subjectKeyIdentifier. Re-issue the root.',
      );
    }
  }

  // 2. Validity at `at` (inclusive bounds, RFC 5280 §4.1.2.5).
  for (let i = 0; i < n; i++) {
    const c = path[i]!;
    if (at < c.d.notBefore.getTime()) {
      return fail(
        'NOT_YET_VALID',
        path,
        i,
        `is not valid before ${iso(c.d.notBefore)} (checked at ${iso(ctx.at)}). Wait, or fix the clock of this machine or of the issuing CA.`,
      );
    }
    if (at > c.d.notAfter.getTime()) {
      return fail(
        'EXPIRED',
        path,
        i,
        `expired on ${iso(c.d.notAfter)} (checked at ${iso(ctx.at)}). Renew it and deploy the new certificate.`,
      );
    }
  }

  // 3. Issuers must be CAs allowed to sign certificates, within their path lengths.
  const intermediates = Math.max(0, n - 2);
  if (n > 1 && intermediates > ctx.maxDepth) {
    return fail(
      'DEPTH_EXCEEDED',
      path,
      n - 2,
      `makes the chain ${intermediates} intermediates deep, more than the allowed ${ctx.maxDepth}. Use a shorter chain or raise maxDepth.`,
    );
  }
  for (let i = 1; i < n; i++) {
    const c = path[i]!;
    const bc = c.d.extensions.basicConstraints;
    if (!bc?.ca) {
      return fail(
        'NOT_A_CA',
        path,
        i,
        `signed the certificate below it but is not a CA (basicConstraints ${bc ? 'CA:FALSE' : 'missing'}). Issue certificates only from a CA certificate.`,
      );
    }
    if (c.d.extensions.raw.some((r) => r.oid === OID.basicConstraints && !r.critical)) {
      return fail(
        'PROFILE_VIOLATION',
        path,
        i,
        'is a CA whose basicConstraints extension is not critical (RFC 5280 §4.2.1.9). Re-issue the CA certificate.',
      );
    }
    const ku = c.d.extensions.keyUsage;
    if (ku && !ku.includes('keyCertSign')) {
      return fail(
        'KEY_USAGE',
        path,
        i,
        `is a CA but its keyUsage (${ku.join(', ')}) lacks keyCertSign, so it may not sign certificates. Re-issue it with keyCertSign.`,
      );
    }
    if (!ku && i < top) {
      return fail(
        'PROFILE_VIOLATION',
        path,
        i,
        'is a CA without a keyUsage extension (RFC 5280 §4.2.1.3). Re-issue it with keyCertSign and cRLSign.',
      );
    }
  }
  let maxPath = Number.POSITIVE_INFINITY;
  for (let i = top; i >= 1; i--) {
    const c = path[i]!;
    if (i < top && !c.selfIssued) {
      if (maxPath <= 0) {
        const limiter = path
          .slice(i + 1)
          .find((p) => p.d.extensions.basicConstraints?.pathLength !== undefined);
        return fail(
          'PATH_LENGTH_EXCEEDED',
          path,
          i,
          `is one CA too many: ${limiter ? `${who(limiter)} has pathLenConstraint ${limiter.d.extensions.basicConstraints?.pathLength}` : 'a path length constraint above it is used up'}. Shorten the chain or re-issue the constraining CA with a larger path length.`,
        );
      }
      maxPath--;
    }
    const pl = c.d.extensions.basicConstraints?.pathLength;
    if (pl !== undefined && pl < maxPath) maxPath = pl;
  }

  // 4. Critical extensions nobody here understands.
  for (let i = 0; i < n; i++) {
    const o = path[i]!.unhandledCritical;
    if (o)
      return fail(
        'UNHANDLED_CRITICAL_EXTENSION',
        path,
        i,
        `has a critical extension mtlskit does not understand (${o}); RFC 5280 requires rejecting it. Re-issue it without that extension or mark it non-critical.`,
      );
  }

  // 5. Purpose: extended key usage of the leaf and of intermediate CAs; key usage of the leaf.
  if (ctx.purpose !== 'any') {
    const want = PURPOSE_OID[ctx.purpose];
    for (let i = 0; i < Math.max(1, top); i++) {
      const ekus = ekuOids(path[i]!);
      if (!ekus) continue;
      const anyEku = ekus.includes(OID.anyExtendedKeyUsage);
      // CA/B BR 7.1.2.7.10: anyExtendedKeyUsage is forbidden in a TLS leaf; CAs may carry it.
      const ok = i > 0 ? ekus.includes(want) || anyEku : ekus.includes(want) && !anyEku;
      if (!ok) {
        const listed = path[i]!.info.extendedKeyUsage.join(', ');
        return fail(
          'EXTENDED_KEY_USAGE',
          path,
          i,
          `is not allowed for ${ctx.purpose}: its extendedKeyUsage lists ${listed}${i === 0 && anyEku ? ' (anyExtendedKeyUsage is not accepted in a TLS leaf)' : ''}. Issue it with ${ctx.purpose}${i === 0 && anyEku ? ' only' : ''}.`,
        );
      }
    }
    const leafKu = path[0]!.d.extensions.keyUsage;
    if (
      n > 1 &&
      leafKu &&
      !leafKu.some((u) => u === 'digitalSignature' || u === 'keyEncipherment' || u === 'keyAgreement')
    ) {
      return fail(
        'KEY_USAGE',
        path,
        0,
        `cannot be used for TLS: its keyUsage (${leafKu.join(', ')}) has no digitalSignature. Issue it with digitalSignature.`,
      );
    }
  }

  // 6. Name constraints (RFC 5280 §6.1.3 (b)(c), §6.1.4 (g)), the trust anchor's included.
  const active: { nc: NameConstraints; depth: number }[] = [];
  for (let i = top; i >= 0; i--) {
    const c = path[i]!;
    if (active.length > 0 && (i === 0 || !c.selfIssued)) {
      for (const name of constrainedNames(c, i === 0)) {
        for (const { nc, depth } of active) {
          const why = checkNameAgainst(name, nc, ctx.work);
          if (why) {
            return fail(
              'NAME_CONSTRAINTS',
              path,
              i,
              `violates the name constraints of ${who(path[depth]!)}: ${why}. Issue it for a name the CA may certify, or use another CA.`,
            );
          }
        }
      }
    }
    if (i > 0 && c.nameConstraints) active.push({ nc: c.nameConstraints, depth: i });
  }

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

  // 8. Revocation, when CRLs were given.
  if (ctx.crls.length > 0) {
    const r = await checkRevocation(path, ctx);
    if (r) return r;
  }
  return undefined;
}

async function checkRevocation(path: ChainCert[], ctx: ValidateContext): Promise<PathFailure | undefined> {
  const at = ctx.at.getTime();
  for (let i = 0; i < path.length - 1; i++) {
    const c = path[i]!;
    const issuer = path[i + 1]!;
    const issuerKeyName = issuer.subjectKey;
    for (const crl of ctx.crls) {
      if (crl.issuerKey !== issuerKeyName) continue;
      if (
        crl.authorityKeyId !== undefined &&
        issuer.d.extensions.subjectKeyId !== undefined &&
        crl.authorityKeyId !== issuer.d.extensions.subjectKeyId
      )
        continue;
      const sig = await ctx.verify(issuer, crl.signatureAlgorithm, crl.tbs, crl.signature);
      if (sig !== 'valid') continue;
      const ku = issuer.d.extensions.keyUsage;
      if (crl.problem || (ku && !ku.includes('cRLSign'))) {
        const why = crl.problem ?? `its issuer ${who(issuer)} lacks the cRLSign key usage`;
        return fail(
          'CRL_INVALID',
          path,
          i,
          `cannot be checked for revocation: the CRL from ${who(issuer)} is unusable (${why}). Fix or replace the CRL.`,
        );
      }
      if (crl.thisUpdate.getTime() > at) {
        return fail(
          'CRL_INVALID',
          path,
          i,
          `cannot be checked for revocation: the CRL from ${who(issuer)} is dated ${iso(crl.thisUpdate)}, after the validation time.`,
        );
      }
      if (crl.nextUpdate && crl.nextUpdate.getTime() < at) {
        return fail(
          'CRL_INVALID',
          path,
          i,
          `cannot be checked for revocation: the CRL from ${who(issuer)} is stale (nextUpdate ${iso(crl.nextUpdate)}). Fetch a fresh CRL.`,
        );
      }
      const entry = crl.revoked.get(c.info.serialNumber);
      if (entry && entry.reason !== 8 /* removeFromCRL */) {
        return fail(
          'REVOKED',
          path,
          i,
          `was revoked on ${iso(entry.revocationDate)} by ${who(issuer)}. Replace it with a new certificate.`,
        );
      }
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
