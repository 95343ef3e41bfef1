import { describe, expect, it } from 'vitest';
import { processPolicies } from '../../../src/chain/policy/process-policies.js';
import {
  ANY_POLICY,
  type CertPolicyInput,
  readCertPolicyInput,
} from '../../../src/chain/policy/read-policy-extensions.js';
import { ctx, oid, seq, smallInteger, tlv } from '../../../src/x509/der.js';

const A = '1.2.3.1';
const B = '1.2.3.2';
const C = '1.2.3.3';

function cert(o: Partial<CertPolicyInput> = {}): CertPolicyInput {
  return {
    policies: undefined,
    mappings: undefined,
    requireExplicitPolicy: undefined,
    inhibitPolicyMapping: undefined,
    inhibitAnyPolicy: undefined,
    selfIssued: false,
    ...o,
  };
}
const pol = (...p: string[]) => cert({ policies: p });

describe('processPolicies (RFC 5280 §6.1 with the RFC 9618 graph)', () => {
  it('accepts a path without any policy when no explicit policy is required (§6.1.3 (e), (f))', () => {
    const r = processPolicies([cert(), cert()]);
    expect(r).toEqual({ ok: true, userConstrainedPolicySet: [], explicitPolicyRequired: false });
  });

  it('refuses a path without policies when the caller requires an explicit policy (§6.1.1 (f))', () => {
    const r = processPolicies([pol(A), cert()], { requireExplicitPolicy: true });
    expect(r).toMatchObject({ ok: false, index: 1 });
    expect(processPolicies([cert(), pol(A)], { requireExplicitPolicy: true })).toMatchObject({
      ok: false,
      index: 0,
    });
  });

  it('gives the intersection of the policies asserted along the path (§6.1.3 (d)(1))', () => {
    const r = processPolicies([pol(A, B), pol(B, C)], { requireExplicitPolicy: true });
    expect(r).toEqual({ ok: true, userConstrainedPolicySet: [B], explicitPolicyRequired: true });
    expect(processPolicies([pol(A), pol(B)], { requireExplicitPolicy: true }).ok).toBe(false);
  });

  it('lets anyPolicy in a CA stand for every policy expected of it (§6.1.3 (d)(2))', () => {
    const r = processPolicies([pol(ANY_POLICY), pol(ANY_POLICY), pol(C)], { requireExplicitPolicy: true });
    expect(r).toMatchObject({ ok: true, userConstrainedPolicySet: [C] });
    const anyAll = processPolicies([pol(ANY_POLICY), pol(ANY_POLICY)], { requireExplicitPolicy: true });
    expect(anyAll).toMatchObject({ ok: true, userConstrainedPolicySet: [ANY_POLICY] });
  });

  it('filters by the user-initial-policy-set (§6.1.5 (g))', () => {
    expect(processPolicies([pol(A), pol(A)], { requireExplicitPolicy: true, initialPolicySet: [B] }).ok).toBe(
      false,
    );
    const r = processPolicies([pol(A, B), pol(A, B)], { requireExplicitPolicy: true, initialPolicySet: [B] });
    expect(r).toMatchObject({ ok: true, userConstrainedPolicySet: [B] });
    // anyPolicy everywhere: every policy of the initial set is acceptable.
    const any = processPolicies([pol(ANY_POLICY), pol(ANY_POLICY)], {
      requireExplicitPolicy: true,
      initialPolicySet: [C],
    });
    expect(any).toMatchObject({ ok: true, userConstrainedPolicySet: [C] });
  });

  it('honours requireExplicitPolicy in a CA with its SkipCerts (§6.1.4 (i), §6.1.5 (b))', () => {
    // requireExplicitPolicy 0 in the first CA: every following certificate needs a policy.
    expect(processPolicies([cert({ policies: [A], requireExplicitPolicy: 0 }), cert()]).ok).toBe(false);
    expect(processPolicies([cert({ policies: [A], requireExplicitPolicy: 0 }), pol(A)]).ok).toBe(true);
    // SkipCerts 2: the leaf (two below) is past the limit and must assert a valid policy.
    const skip2 = cert({ policies: [A], requireExplicitPolicy: 2 });
    expect(processPolicies([skip2, pol(A), cert()]).ok).toBe(false);
    expect(processPolicies([skip2, pol(A), pol(A)]).ok).toBe(true);
    // SkipCerts 3 never reaches a leaf at depth 3.
    expect(processPolicies([cert({ policies: [A], requireExplicitPolicy: 3 }), pol(A), cert()]).ok).toBe(
      true,
    );
    // A leaf that requires an explicit policy itself.
    expect(processPolicies([pol(B), cert({ policies: [A], requireExplicitPolicy: 0 })]).ok).toBe(false);
  });

  it('does not count self-issued intermediates against SkipCerts (§6.1.4 (h))', () => {
    // SkipCerts 2: one more CA may follow; a self-issued one does not count.
    const top = cert({ policies: [A], requireExplicitPolicy: 2 });
    const selfIssued = cert({ policies: [A], selfIssued: true });
    expect(processPolicies([top, selfIssued, cert()]).ok).toBe(true);
    expect(processPolicies([top, pol(A), cert()]).ok).toBe(false);
  });

  it('maps issuer-domain policies to subject-domain policies (§6.1.4 (b)(1))', () => {
    const mapper = cert({ policies: [A], mappings: [[A, B]] });
    const r = processPolicies([mapper, pol(B)], { requireExplicitPolicy: true });
    expect(r).toMatchObject({ ok: true, userConstrainedPolicySet: [A] });
    // The issuer-domain policy no longer matches itself below the mapping.
    expect(processPolicies([mapper, pol(A)], { requireExplicitPolicy: true }).ok).toBe(false);
    // A mapping of a policy that reached the CA through anyPolicy.
    const anyMapper = cert({ policies: [ANY_POLICY], mappings: [[C, B]] });
    expect(processPolicies([anyMapper, pol(B)], { requireExplicitPolicy: true })).toMatchObject({
      ok: true,
      userConstrainedPolicySet: [C],
    });
  });

  it('deletes mapped policies when mapping is inhibited (§6.1.4 (b)(2), (i))', () => {
    const mapper = cert({ policies: [A], mappings: [[A, B]] });
    expect(
      processPolicies([mapper, pol(B)], { requireExplicitPolicy: true, inhibitPolicyMapping: true }).ok,
    ).toBe(false);
    const inhibitor = cert({ policies: [A], inhibitPolicyMapping: 0 });
    expect(processPolicies([inhibitor, mapper, pol(B)], { requireExplicitPolicy: true }).ok).toBe(false);
    const inhibitor1 = cert({ policies: [A], inhibitPolicyMapping: 1 });
    expect(processPolicies([inhibitor1, mapper, pol(B)], { requireExplicitPolicy: true }).ok).toBe(true);
  });

  it('refuses a mapping to or from anyPolicy (§6.1.4 (a))', () => {
    const bad = cert({ policies: [A], mappings: [[ANY_POLICY, B]] });
    expect(processPolicies([bad, pol(B)])).toMatchObject({ ok: false, index: 0 });
    const bad2 = cert({ policies: [A], mappings: [[A, ANY_POLICY]] });
    expect(processPolicies([bad2, pol(B)])).toMatchObject({ ok: false, index: 0 });
  });

  it('stops anyPolicy from matching when inhibited (§6.1.3 (d)(2), §6.1.4 (j))', () => {
    expect(
      processPolicies([pol(ANY_POLICY), pol(A)], { requireExplicitPolicy: true, inhibitAnyPolicy: true }).ok,
    ).toBe(false);
    const inhibitor = cert({ policies: [ANY_POLICY], inhibitAnyPolicy: 0 });
    expect(processPolicies([inhibitor, pol(ANY_POLICY), pol(A)], { requireExplicitPolicy: true }).ok).toBe(
      false,
    );
    const inhibitor1 = cert({ policies: [ANY_POLICY], inhibitAnyPolicy: 1 });
    // SkipCerts 1: the next CA's anyPolicy still counts, the one after it no longer does.
    expect(processPolicies([inhibitor1, pol(ANY_POLICY), pol(A)], { requireExplicitPolicy: true }).ok).toBe(
      true,
    );
    const twoAny = [inhibitor1, pol(ANY_POLICY), pol(ANY_POLICY), pol(A)];
    expect(processPolicies(twoAny, { requireExplicitPolicy: true }).ok).toBe(false);
    const inhibitor2 = cert({ policies: [ANY_POLICY], inhibitAnyPolicy: 2 });
    expect(processPolicies([inhibitor2, pol(ANY_POLICY), pol(A)], { requireExplicitPolicy: true }).ok).toBe(
      true,
    );
    // A self-issued CA below the limit still passes anyPolicy on (§6.1.3 (d)(2)(b)).
    const self = cert({ policies: [ANY_POLICY], selfIssued: true });
    expect(
      processPolicies([pol(ANY_POLICY), self, pol(A)], {
        requireExplicitPolicy: true,
        inhibitAnyPolicy: true,
      }).ok,
    ).toBe(false);
  });

  it('stays linear on hostile mappings that would grow the RFC 5280 tree exponentially', () => {
    // Every CA asserts k policies and maps each to all k: the §6.1.2 tree has k^depth leaves.
    const k = 20;
    const depth = 30;
    const oids = Array.from({ length: k }, (_, j) => `1.2.3.99.${j}`);
    const mappings: [string, string][] = oids.flatMap((a) => oids.map((b) => [a, b] as [string, string]));
    const chain = Array.from({ length: depth }, () => cert({ policies: oids, mappings }));
    chain.push(pol(oids[3]!));
    const r = processPolicies(chain, { requireExplicitPolicy: true });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.userConstrainedPolicySet.sort()).toEqual([...oids].sort());
  });
});

describe('readCertPolicyInput', () => {
  const policies = (...ids: string[]) => seq(...ids.map((i) => seq(oid(i))));
  it('reads the four policy extensions', () => {
    const r = readCertPolicyInput(
      [
        { oid: '2.5.29.32', value: policies(A, ANY_POLICY) },
        { oid: '2.5.29.33', value: seq(seq(oid(A), oid(B))) },
        { oid: '2.5.29.36', value: seq(tlv(0x80, new Uint8Array([0])), tlv(0x81, new Uint8Array([2]))) },
        { oid: '2.5.29.54', value: smallInteger(1) },
      ],
      false,
    );
    expect(r).toEqual({
      policies: [A, ANY_POLICY],
      mappings: [[A, B]],
      requireExplicitPolicy: 0,
      inhibitPolicyMapping: 2,
      inhibitAnyPolicy: 1,
      selfIssued: false,
    });
  });

  it('refuses a repeated policy OID, an empty extension and out-of-order constraints', () => {
    expect(() => readCertPolicyInput([{ oid: '2.5.29.32', value: policies(A, A) }], false)).toThrow(/twice/);
    expect(() => readCertPolicyInput([{ oid: '2.5.29.32', value: seq() }], false)).toThrow(/empty/);
    expect(() =>
      readCertPolicyInput(
        [{ oid: '2.5.29.36', value: seq(tlv(0x81, new Uint8Array([0])), tlv(0x80, new Uint8Array([0]))) }],
        false,
      ),
    ).toThrow(/malformed/);
    expect(() => readCertPolicyInput([{ oid: '2.5.29.33', value: seq(seq(oid(A))) }], false)).toThrow();
    expect(() =>
      readCertPolicyInput([{ oid: '2.5.29.54', value: ctx(0, false, smallInteger(1)) }], false),
    ).toThrow();
  });
});
