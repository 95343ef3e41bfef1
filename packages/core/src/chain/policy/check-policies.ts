import type { ChainCert } from '../path/chain-cert.js';
import { fail, type PathFailure, type ValidateContext, who } from '../validate/path-failure.js';
import { processPolicies } from './process-policies.js';
import { type CertPolicyInput, readCertPolicyInput } from './read-policy-extensions.js';

/**
 * Certificate policies along the path (RFC 5280 §6.1.3 (d)-(f), §6.1.4 (a)-(b), (h)-(j),
 * §6.1.5), below the trust anchor. Cheap when no certificate carries a policy extension and
 * no explicit policy is asked for: every path then passes.
 */
export function checkPolicies(path: ChainCert[], ctx: ValidateContext): PathFailure | undefined {
  const top = path.length - 1;
  if (top <= 0) return undefined;
  // Without any requirement for an explicit policy (and no mapping to check for anyPolicy),
  // §6.1.3 (f) and §6.1.5 can never fail: skip building the graph.
  if (!ctx.policy.requireExplicitPolicy) {
    let needed = false;
    for (let i = 0; i < top && !needed; i++) {
      const p = path[i]!.policy;
      needed = p !== undefined && (p.requireExplicitPolicy !== undefined || p.mappings !== undefined);
    }
    if (!needed) return undefined;
  }
  const inputs: CertPolicyInput[] = [];
  for (let i = top - 1; i >= 0; i--) {
    const c = path[i]!;
    // chainCertOf sets `problem` when the extensions do not decode, and such paths never get here.
    inputs.push(c.policy ?? readCertPolicyInput([], c.selfIssued));
  }
  const r = processPolicies(inputs, ctx.policy);
  if (r.ok) return undefined;
  const depth = top - 1 - r.index;
  const by =
    r.requiredBy < 0
      ? 'the requireExplicitPolicy option of this verification'
      : `the policyConstraints requireExplicitPolicy of ${who(path[top - 1 - r.requiredBy]!)}`;
  return fail(
    'CERTIFICATE_POLICY',
    path,
    depth,
    `fails certificate policy processing (RFC 5280 §6.1): ${r.reason} (an explicit policy is required by ${by}). Issue the certificates under a policy every CA of the path asserts, or use CAs without requireExplicitPolicy.`,
  );
}
