// Differential tests against `openssl verify` where OpenSSL has a matching strict flag:
// -x509_strict, -purpose, -verify_hostname/-verify_ip/-verify_email, -crl_check and the
// policy flags (-policy, -explicit_policy, -inhibit_any, -inhibit_map). Where mtlskit
// deliberately differs, the divergence is listed with the clause that decides it.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/chain/verify-chain.js';
import type { KeyAlgorithm } from '../../src/keys/key-pair.js';
import { type CorpusKey, type Ext, newKey, X } from './corpus/build-cert.js';
import { ANY_POLICY, append, buildCase, type CertMod, VT } from './corpus/chain-spec.js';
import { CLAUSES } from './corpus/clauses.js';
import { generateCorpus } from './corpus/generate-corpus.js';
import { opensslVerify } from './corpus/openssl-verify.js';

/** `<clause id>::<twin>` → the clause that makes mtlskit decide differently from OpenSSL. */
const DELIBERATE: Record<string, string> = {
  'rfc5280::serial-negative::invalid': 'RFC 5280 §4.1.2.2: serial numbers are positive (OpenSSL accepts)',
  'rfc5280::serial-21-octets::invalid': 'RFC 5280 §4.1.2.2: at most 20 octets (OpenSSL accepts)',
  'rfc5280::validity-leaf-expired::valid':
    'RFC 5280 §4.1.2.5: the validity period includes notAfter (OpenSSL counts notAfter itself as expired)',
  'rfc5280::anchor-without-ski-ku::valid':
    'RFC 5280 §6.1.1 (d): a trust anchor is a name and a key (-x509_strict wants keyUsage in the root)',
  'rfc5280::san-ip-length::invalid': 'RFC 5280 §4.2.1.6: an iPAddress is 4 or 16 octets (OpenSSL ignores it)',
  'rfc5280::nc-in-leaf::invalid': 'RFC 5280 §4.2.1.10: name constraints only in CA certificates',
  'rfc5280::nc-empty::invalid': 'RFC 5280 §4.2.1.10: NameConstraints must not be empty',
  'rfc5280::nc-both-subtrees-empty::invalid': 'RFC 5280 §4.2.1.10: GeneralSubtrees SIZE (1..MAX)',
  'rfc5280::pc-noncritical::invalid': 'RFC 5280 §4.2.1.11: policyConstraints MUST be critical',
  'rfc5280::inhibit-any-noncritical::invalid': 'RFC 5280 §4.2.1.14: inhibitAnyPolicy MUST be critical',
  'rfc5280::eku-ica-any::valid':
    'RFC 5280 §4.2.1.12: anyExtendedKeyUsage allows every purpose, in a CA too (as Go does; OpenSSL refuses it for TLS)',
  'rfc6125::public-suffix-wildcard::invalid':
    'RFC 6125 §7.2, CA/B BR 3.2.2.6: no wildcard over a public suffix',
  'rfc5280::crl-critical-unknown::invalid':
    'RFC 5280 §5.2, §5.2.4: delta CRLs are not supported, so a CRL that is one is refused, not used as a full CRL',
  'rfc5280::crl-delta-noncritical::invalid':
    'RFC 5280 §5.2.4: a delta CRL is never a full CRL (OpenSSL uses it as one)',
  'rfc5280::crl-without-aki::invalid': 'RFC 5280 §5.2.1: CRLs MUST carry an authorityKeyIdentifier',
  'rfc5280::crl-without-number::invalid': 'RFC 5280 §5.2.3: CRLs MUST carry a CRLNumber',
};
// Every webpki-only rule (CA/B BR §7.1) is a divergence by design: OpenSSL has no such profile.
for (const c of CLAUSES) if (c.id.startsWith('webpki::')) DELIBERATE[`${c.id}::webpki-refuses`] = c.clause;

describe('the generated corpus against openssl verify -x509_strict -policy_check', () => {
  it('agrees on every case except the deliberate, named divergences', async () => {
    const { cases } = await generateCorpus(1);
    const diverged = new Set<string>();
    const unexplained: string[] = [];
    for (const tc of cases) {
      const o = await opensslVerify(tc);
      if ((o.ok ? 'SUCCESS' : 'FAILURE') === tc.expected_result) continue;
      const key = tc.id.replace(/^mtlskit::/, '').replace(/::(server|client)::[^:]+$/, '');
      diverged.add(key);
      if (!DELIBERATE[key])
        unexplained.push(`${tc.id}: expected ${tc.expected_result}; openssl: ${o.out.trim()}`);
    }
    expect(unexplained).toEqual([]);
    // The list stays honest: each entry still describes a real divergence.
    expect(Object.keys(DELIBERATE).filter((k) => !diverged.has(k))).toEqual([]);
    expect(cases.length).toBeGreaterThan(300);
  }, 300_000);
});

// ------------------------------------------------------------------ policy property test

const P = ['1.3.6.1.4.1.55738.200.1', '1.3.6.1.4.1.55738.200.2', '1.3.6.1.4.1.55738.200.3'];
const policyOid = fc.constantFrom(...P);
const caPolicy: fc.Arbitrary<CaPolicy> = fc.record({
  policies: fc.option(
    fc.uniqueArray(fc.oneof(policyOid, fc.constant(ANY_POLICY)), { minLength: 1, maxLength: 3 }),
    {
      nil: undefined,
      freq: 4,
    },
  ),
  mappings: fc.option(
    fc.uniqueArray(fc.tuple(policyOid, policyOid), {
      minLength: 1,
      maxLength: 3,
      selector: ([a, b]) => `${a}>${b}`,
    }),
    { nil: undefined, freq: 2 },
  ),
  require: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined, freq: 3 }),
  inhibitMap: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined, freq: 3 }),
  inhibitAny: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined, freq: 3 }),
});
const scenario = fc.record({
  cas: fc.array(caPolicy, { minLength: 1, maxLength: 3 }),
  leafPolicies: fc.option(
    fc.uniqueArray(fc.oneof(policyOid, fc.constant(ANY_POLICY)), { minLength: 1, maxLength: 2 }),
    {
      nil: undefined,
      freq: 4,
    },
  ),
  initial: fc.option(fc.uniqueArray(policyOid, { minLength: 1, maxLength: 2 }), { nil: undefined }),
  explicit: fc.boolean(),
  inhibitAny: fc.boolean(),
  inhibitMap: fc.boolean(),
});

interface CaPolicy {
  policies: string[] | undefined;
  mappings: [string, string][] | undefined;
  require: number | undefined;
  inhibitMap: number | undefined;
  inhibitAny: number | undefined;
}

function caExtensions(c: CaPolicy): Ext[] {
  const out: Ext[] = [];
  if (c.policies) out.push(X.policies(c.policies));
  if (c.mappings) out.push(X.mappings(c.mappings.filter(([a, b]) => a !== b)));
  if (c.require !== undefined || c.inhibitMap !== undefined)
    out.push(X.pc({ require: c.require ?? undefined, inhibit: c.inhibitMap ?? undefined }));
  if (c.inhibitAny !== undefined) out.push(X.inhibitAny(c.inhibitAny));
  // An empty mapping list (only self-mappings drawn) is left out rather than encoded empty.
  return out.filter((e) => !(e.oid === '2.5.29.33' && e.value.length <= 2));
}

describe('certificate policies: verifyChain agrees with openssl verify -policy_check', () => {
  let keys: CorpusKey[] = [];
  beforeAll(async () => {
    const alg: KeyAlgorithm = 'ECDSA-P256';
    keys = await Promise.all(Array.from({ length: 5 }, () => newKey(alg)));
  });

  it('on 200 random policy chains and caller policy options', async () => {
    let n = 0;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const icas: CertMod[] = s.cas.map((c) => ({ ext: append(...caExtensions(c)) }));
        const tc = await buildCase(
          `policy-prop-${n++}`,
          'random policy chain',
          'CLIENT',
          'SUCCESS',
          { icas, leaf: s.leafPolicies ? { ext: append(X.policies(s.leafPolicies)) } : {}, peer: null },
          keys,
        );
        const [oracle, verdict] = await Promise.all([
          opensslVerify(tc, {
            ...(s.initial ? { policies: s.initial } : {}),
            explicitPolicy: s.explicit,
            inhibitAny: s.inhibitAny,
            inhibitMap: s.inhibitMap,
          }),
          verifyChain({
            leaf: tc.peer_certificate,
            intermediates: tc.untrusted_intermediates,
            trustAnchors: tc.trusted_certs,
            at: VT,
            purpose: 'clientAuth',
            ...(s.initial ? { initialPolicySet: s.initial } : {}),
            requireExplicitPolicy: s.explicit,
            inhibitAnyPolicy: s.inhibitAny,
            inhibitPolicyMapping: s.inhibitMap,
          }),
        ]);
        if (verdict.ok) accepted++;
        if (verdict.ok !== oracle.ok) {
          throw new Error(
            `openssl ${oracle.ok ? 'accepts' : 'refuses'} (${oracle.out.trim()}), mtlskit ${verdict.ok ? 'accepts' : `refuses: ${verdict.code} ${verdict.message}`}`,
          );
        }
      }),
      { numRuns: 200, seed: 20_261_202, endOnFailure: true },
    );
    // Both outcomes are well represented.
    expect(accepted).toBeGreaterThan(20);
    expect(n - accepted).toBeGreaterThan(20);
  }, 300_000);
});
