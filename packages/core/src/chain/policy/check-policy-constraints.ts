import { children, decodeSmallInt, expectTag, readSingle, TAG } from '../../x509/der.js';
import { OID } from '../../x509/oids.js';
import type { ChainCert } from '../path/chain-cert.js';
import { fail, type PathFailure, who } from '../validate/path-failure.js';

// mtlskit has no certificate policy tree yet (RFC 5280 §6.1.2 (a), §6.1.3 (d)–(f)). A path
// in which a policyConstraints extension makes an explicit policy required cannot be judged
// without one, so it fails closed with POLICY_CONSTRAINTS rather than passing unchecked.
// This file is the whole of that stop-gap: policy processing will replace it.

function requireExplicitPolicy(c: ChainCert): number | undefined {
  const ext = c.d.extensions.raw.find((r) => r.oid === OID.policyConstraints);
  if (!ext) return undefined;
  for (const p of children(expectTag(readSingle(ext.value), TAG.SEQUENCE, 'policyConstraints'))) {
    if (p.tag === 0x80) return decodeSmallInt({ ...p, tag: TAG.INTEGER });
  }
  return undefined;
}

/** RFC 5280 §6.1.4 (h)(i) and §6.1.5 (a)(b), the explicit_policy counter only. */
export function checkPolicyConstraints(path: ChainCert[]): PathFailure | undefined {
  const top = path.length - 1;
  let explicitPolicy = top + 1;
  let setBy = -1;
  // Certificates below the trust anchor, from the one it signed down to the leaf.
  for (let i = top - 1; i >= 0; i--) {
    const c = path[i]!;
    if (i > 0) {
      if (!c.selfIssued && explicitPolicy > 0) explicitPolicy--;
      const r = requireExplicitPolicy(c);
      if (r !== undefined && r < explicitPolicy) {
        explicitPolicy = r;
        setBy = i;
      }
    } else {
      if (explicitPolicy > 0) explicitPolicy--;
      if (requireExplicitPolicy(c) === 0) {
        explicitPolicy = 0;
        setBy = 0;
      }
    }
  }
  if (explicitPolicy > 0 || setBy < 0) return undefined;
  return fail(
    'POLICY_CONSTRAINTS',
    path,
    setBy,
    `requires an explicit certificate policy (policyConstraints requireExplicitPolicy), and mtlskit does not process certificate policies yet, so the chain under ${who(path[setBy]!)} cannot be accepted. Use a CA without requireExplicitPolicy.`,
  );
}
