import { OID } from '../../x509/oids.js';
import type { ChainCert } from '../path/chain-cert.js';
import { fail, type PathFailure, type ValidateContext, who } from '../validate/path-failure.js';

/** Certificates that are broken on their own, and an inconsistent self-signed anchor. */
export async function checkStandalone(
  path: ChainCert[],
  ctx: ValidateContext,
): Promise<PathFailure | undefined> {
  const n = path.length;
  const top = n - 1;
  // 1. Certificates that are broken on their own.
  for (let i = 0; i < n; i++) {
    const c = path[i]!;
    // Profile rules are for the certificates below the anchor; of the anchor only its name,
    // its key and the constraints it states are used (RFC 5280 §6.1.1 (d)).
    const problem = i === top && n > 1 ? c.anchorProblem : c.problem;
    // An end-entity certificate in an issuer position is reported as NOT_A_CA by checkCaChain,
    // the cause a user can act on, rather than as a profile violation of that certificate.
    const eeAsIssuer = i > 0 && problem?.code === 'PROFILE_VIOLATION' && !c.d.extensions.basicConstraints?.ca;
    if (problem && !eeAsIssuer) {
      const f = fail(problem.code, path, i, `is not acceptable: ${problem.message}.`);
      f.message +=
        problem.code === 'UNSUPPORTED_ALGORITHM'
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

  return undefined;
}

/** Issuers must be CAs allowed to sign certificates, within their path lengths (RFC 5280 §6.1.4). */
export function checkCaChain(path: ChainCert[], ctx: ValidateContext): PathFailure | undefined {
  const n = path.length;
  const top = n - 1;
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
    // A trust anchor without basicConstraints (version 1 roots among them) is a CA because it
    // is trusted as one; one that says CA:FALSE is not.
    if (i === top && !bc) continue;
    if (!bc?.ca) {
      return fail(
        'NOT_A_CA',
        path,
        i,
        `signed the certificate below it but is not a CA (basicConstraints ${bc ? 'CA:FALSE' : 'missing'}): this certificate is an end-entity certificate used as an issuer. Issue certificates only from a CA certificate.`,
      );
    }
    if (i < top && c.d.extensions.raw.some((r) => r.oid === OID.basicConstraints && !r.critical)) {
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

  return undefined;
}

/** Critical extensions nobody here understands (RFC 5280 §4.2). */
export function checkCriticalExtensions(path: ChainCert[]): PathFailure | undefined {
  const n = path.length;
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

  return undefined;
}
