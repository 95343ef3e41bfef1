import { commonNameOf } from '../../x509/name.js';
import type { ChainCert } from '../path/chain-cert.js';
import { fail, type PathFailure, type ValidateContext, who } from '../validate/path-failure.js';
import type { GeneralName } from './general-names.js';
import { isDnsName } from './hostname.js';
import { checkNameAgainst, type NameConstraints } from './name-constraints.js';

/** The names of `c` that name constraints apply to (RFC 5280 §6.1.3 (b)(c)). */
function constrainedNames(c: ChainCert, isLeaf: boolean): GeneralName[] {
  const out: GeneralName[] = [];
  if (c.d.subject.length > 0) out.push({ kind: 'dn', rdns: c.d.subject });
  if (c.sans) for (const n of c.sans) out.push(n);
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

/** Name constraints (RFC 5280 §6.1.3 (b)(c), §6.1.4 (g)), the trust anchor's included. */
export function checkPathNameConstraints(path: ChainCert[], ctx: ValidateContext): PathFailure | undefined {
  const top = path.length - 1;
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

  return undefined;
}
