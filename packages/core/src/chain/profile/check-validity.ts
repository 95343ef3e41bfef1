import type { ChainCert } from '../path/chain-cert.js';
import { fail, iso, type PathFailure, type ValidateContext } from '../validate/path-failure.js';

/** Validity at `ctx.at` (inclusive bounds, RFC 5280 §4.1.2.5). */
export function checkValidity(path: ChainCert[], ctx: ValidateContext): PathFailure | undefined {
  const n = path.length;
  const at = ctx.at.getTime();
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

  return undefined;
}
