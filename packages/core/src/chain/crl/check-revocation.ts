import type { ChainCert } from '../path/chain-cert.js';
import { fail, iso, type PathFailure, type ValidateContext, who } from '../validate/path-failure.js';

/** Revocation of every non-anchor certificate against the CRLs given (RFC 5280 §6.3). */
export async function checkRevocation(
  path: ChainCert[],
  ctx: ValidateContext,
): Promise<PathFailure | undefined> {
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
