import { ANY_POLICY, type CertPolicyInput } from './read-policy-extensions.js';

/** The user-supplied inputs of RFC 5280 §6.1.1 (c), (e), (f), (g). */
export interface PolicyProcessingOptions {
  /** user-initial-policy-set. Default `[anyPolicy]` (any policy is acceptable). */
  initialPolicySet?: readonly string[];
  /** initial-explicit-policy: the path must be valid for at least one policy of the set. Default false. */
  requireExplicitPolicy?: boolean;
  /** initial-policy-mapping-inhibit. Default false. */
  inhibitPolicyMapping?: boolean;
  /** initial-any-policy-inhibit. Default false. */
  inhibitAnyPolicy?: boolean;
}

/** The outcome of policy processing over one path. */
export type PolicyResult =
  | {
      ok: true;
      /** user_constrained_policy_set (§6.1.5 (g)); contains anyPolicy when every policy is acceptable. */
      userConstrainedPolicySet: string[];
      /** Whether the path had to be valid for a policy (explicit_policy reached 0). */
      explicitPolicyRequired: boolean;
    }
  | {
      ok: false;
      /** Index in the input (0 = the certificate issued by the trust anchor). */
      index: number;
      reason: string;
      /** Index of the certificate whose requireExplicitPolicy made a policy required; -1: the caller's option. */
      requiredBy: number;
    };

// One node of the valid_policy_graph (RFC 9618 §3). Qualifiers are not kept: mtlskit does
// not return them (§6.1.5 (g) allows that), and dropping them keeps nodes small.
interface PolicyNode {
  validPolicy: string;
  expected: string[];
  parents: PolicyNode[];
  /** Set when a descendant reaches the last depth (computed once, at the end). */
  alive: boolean;
}

type Level = Map<string, PolicyNode>;

function node(validPolicy: string, parents: PolicyNode[]): PolicyNode {
  return { validPolicy, expected: [validPolicy], parents, alive: false };
}

/**
 * RFC 5280 §6.1 certificate-policy processing with the policy graph of RFC 9618: every
 * step is linear in the size of the certificates' policy extensions, so hostile policy
 * mappings cannot blow up the way the §6.1.2 tree does. `certs` runs from the certificate
 * issued by the trust anchor (index 0) to the leaf; the anchor itself is not processed
 * (RFC 5280 §6.1.1 (d): a trust anchor is a name and a key).
 */
export function processPolicies(
  certs: readonly CertPolicyInput[],
  options: PolicyProcessingOptions = {},
): PolicyResult {
  const n = certs.length;
  let explicitPolicy = options.requireExplicitPolicy ? 0 : n + 1;
  let requiredBy = -1;
  let inhibitAny = options.inhibitAnyPolicy ? 0 : n + 1;
  let policyMapping = options.inhibitPolicyMapping ? 0 : n + 1;
  const root = node(ANY_POLICY, []);
  const levels: Level[] = [new Map([[ANY_POLICY, root]])];
  let graphNull = false;

  for (let idx = 0; idx < n; idx++) {
    const c = certs[idx]!;
    const i = idx + 1;
    const prev = levels[idx]!;
    const isLast = i === n;
    // §6.1.3 (d): certificate policies present and graph not NULL.
    if (!graphNull && c.policies) {
      const cur: Level = new Map();
      const byExpected = new Map<string, PolicyNode[]>();
      for (const p of prev.values()) {
        for (const e of p.expected) {
          const list = byExpected.get(e);
          if (list) list.push(p);
          else byExpected.set(e, [p]);
        }
      }
      const prevAny = prev.get(ANY_POLICY);
      let hasAnyPolicy = false;
      for (const pOid of c.policies) {
        if (pOid === ANY_POLICY) {
          hasAnyPolicy = true;
          continue;
        }
        // (d)(1)(i): one node with every matching parent (RFC 9618 merges what RFC 5280 duplicated).
        const parents = byExpected.get(pOid);
        if (parents) cur.set(pOid, node(pOid, parents));
        // (d)(1)(ii)
        else if (prevAny) cur.set(pOid, node(pOid, [prevAny]));
      }
      // (d)(2)
      if (hasAnyPolicy && (inhibitAny > 0 || (!isLast && c.selfIssued))) {
        for (const [e, parents] of byExpected) {
          if (!cur.has(e)) cur.set(e, node(e, parents));
        }
      }
      levels.push(cur);
      // (d)(3) is deferred: nodes without children are never parents at the next depth,
      // and the final set is read only from nodes that reach the last depth (see `alive`).
      if (cur.size === 0) graphNull = true;
    } else {
      // §6.1.3 (e)
      graphNull = true;
      levels.push(new Map());
    }
    // §6.1.3 (f)
    if (!(explicitPolicy > 0 || !graphNull)) {
      return {
        ok: false,
        index: idx,
        requiredBy,
        reason: c.policies
          ? 'none of its certificate policies is acceptable along the path, and an explicit policy is required'
          : 'it has no certificatePolicies extension, and an explicit policy is required',
      };
    }
    if (isLast) break;

    // §6.1.4 (a), (b): preparation for the next certificate.
    if (c.mappings) {
      for (const [from, to] of c.mappings) {
        if (from === ANY_POLICY || to === ANY_POLICY)
          return {
            ok: false,
            index: idx,
            requiredBy: -1,
            reason: 'its policyMappings maps anyPolicy (RFC 5280 §6.1.4 (a))',
          };
      }
      const cur = levels[i]!;
      if (!graphNull) {
        const targets = new Map<string, string[]>();
        for (const [from, to] of c.mappings) {
          const list = targets.get(from);
          if (!list) targets.set(from, [to]);
          else if (!list.includes(to)) list.push(to);
        }
        const anyNode = cur.get(ANY_POLICY);
        for (const [from, to] of targets) {
          const existing = cur.get(from);
          if (policyMapping > 0) {
            if (existing) existing.expected = to;
            else if (anyNode) {
              const parent = levels[idx]!.get(ANY_POLICY)!;
              const created = node(from, [parent]);
              created.expected = to;
              cur.set(from, created);
            }
          } else if (existing) cur.delete(from);
        }
        if (cur.size === 0) graphNull = true;
      }
    }
    // §6.1.4 (h)
    if (!c.selfIssued) {
      if (explicitPolicy > 0) explicitPolicy--;
      if (policyMapping > 0) policyMapping--;
      if (inhibitAny > 0) inhibitAny--;
    }
    // §6.1.4 (i), (j)
    if (c.requireExplicitPolicy !== undefined && c.requireExplicitPolicy < explicitPolicy) {
      explicitPolicy = c.requireExplicitPolicy;
      requiredBy = idx;
    }
    if (c.inhibitPolicyMapping !== undefined && c.inhibitPolicyMapping < policyMapping)
      policyMapping = c.inhibitPolicyMapping;
    if (c.inhibitAnyPolicy !== undefined && c.inhibitAnyPolicy < inhibitAny) inhibitAny = c.inhibitAnyPolicy;
  }

  // §6.1.5 (a), (b)
  if (n > 0) {
    if (explicitPolicy > 0) explicitPolicy--;
    if (certs[n - 1]!.requireExplicitPolicy === 0 && explicitPolicy > 0) {
      explicitPolicy = 0;
      requiredBy = n - 1;
    }
  }
  // §6.1.5 (g) as amended by RFC 9618 §4.4.
  const initial = options.initialPolicySet ?? [ANY_POLICY];
  const authority = new Set<string>();
  if (n === 0) authority.add(ANY_POLICY);
  else if (!graphNull) {
    const last = levels[n]!;
    const stack: PolicyNode[] = [...last.values()];
    for (const x of stack) x.alive = true;
    while (stack.length > 0) {
      const x = stack.pop()!;
      if (x.validPolicy !== ANY_POLICY && x.parents.length === 1 && x.parents[0]!.validPolicy === ANY_POLICY)
        authority.add(x.validPolicy);
      for (const p of x.parents) {
        if (!p.alive) {
          p.alive = true;
          stack.push(p);
        }
      }
    }
    if (last.has(ANY_POLICY)) authority.add(ANY_POLICY);
  }
  let user: Set<string>;
  if (initial.includes(ANY_POLICY)) user = authority;
  else {
    user = new Set(initial.filter((p) => authority.has(p)));
    if (authority.has(ANY_POLICY)) for (const p of initial) user.add(p);
  }
  if (explicitPolicy === 0 && user.size === 0) {
    const wanted = initial.includes(ANY_POLICY) ? 'any policy' : initial.join(', ');
    return {
      ok: false,
      index: Math.max(0, n - 1),
      requiredBy,
      reason:
        authority.size === 0
          ? 'the path is valid for no certificate policy, and an explicit policy is required'
          : `the path is valid only for ${[...authority].join(', ')}, not for ${wanted}, and an explicit policy is required`,
    };
  }
  return { ok: true, userConstrainedPolicySet: [...user], explicitPolicyRequired: explicitPolicy === 0 };
}
