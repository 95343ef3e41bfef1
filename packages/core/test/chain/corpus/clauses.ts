// The clauses of the generated corpus: each entry is a pair of twins that differ only in
// the rule it names. `T` makes a valid and an invalid twin (for the listed validation kinds);
// `P` makes a webpki-only rule: the same chain fails as SERVER (webpki) and passes as CLIENT
// (rfc5280).
import { derNull, oid, seq } from '../../../src/x509/der.js';
import { type CorpusKey, X } from './build-cert.js';
import {
  ANY_EKU,
  ANY_POLICY,
  append,
  type ChainSpec,
  CLIENT_AUTH,
  drop,
  OIDS,
  put,
  SERVER_AUTH,
  VT,
} from './chain-spec.js';

export type Kind = 'SERVER' | 'CLIENT';
export interface ClauseCase {
  name: string;
  kind: Kind;
  expected: 'SUCCESS' | 'FAILURE';
  spec: ChainSpec;
}
export interface Clause {
  id: string;
  /** The rule, e.g. "RFC 5280 §4.2.1.9". */
  clause: string;
  description: string;
  cases: ClauseCase[];
  /** Needs a special key (e.g. RSA-1024) instead of the pool's. */
  keys?: (pool: CorpusKey[]) => Promise<CorpusKey[]>;
}

const BOTH: Kind[] = ['SERVER', 'CLIENT'];
const SEC = 1000;
const A = '1.3.6.1.4.1.55738.100.1';
const B = '1.3.6.1.4.1.55738.100.2';
const C = '1.3.6.1.4.1.55738.100.3';

function T(
  id: string,
  clause: string,
  description: string,
  valid: ChainSpec,
  invalid: ChainSpec,
  kinds: Kind[] = BOTH,
): Clause {
  return {
    id,
    clause,
    description,
    cases: kinds.flatMap((kind) => [
      { name: 'valid', kind, expected: 'SUCCESS' as const, spec: valid },
      { name: 'invalid', kind, expected: 'FAILURE' as const, spec: invalid },
    ]),
  };
}

function P(id: string, clause: string, description: string, spec: ChainSpec, conforming: ChainSpec): Clause {
  return {
    id,
    clause,
    description,
    cases: [
      { name: 'webpki-refuses', kind: 'SERVER', expected: 'FAILURE', spec },
      { name: 'rfc5280-accepts', kind: 'CLIENT', expected: 'SUCCESS', spec },
      { name: 'webpki-conforming', kind: 'SERVER', expected: 'SUCCESS', spec: conforming },
    ],
  };
}

const ok: ChainSpec = {};
const leafExt = (f: NonNullable<ChainSpec['leaf']>['ext']): ChainSpec => ({ leaf: { ext: f } });
const icaExt = (f: NonNullable<ChainSpec['leaf']>['ext']): ChainSpec => ({ icas: [{ ext: f }] });
const policyChain = (ica: ChainSpec['icas'], leafPolicies?: string[]): ChainSpec => ({
  icas: ica,
  leaf: leafPolicies ? { ext: put(X.policies(leafPolicies)) } : {},
});
const otherAlg = seq(oid('1.2.840.113549.1.1.13'), derNull()); // sha512WithRSAEncryption

export const CLAUSES: Clause[] = [
  // ---------------------------------------------------------------- RFC 5280 §4.1
  T(
    'rfc5280::sig-alg-mismatch',
    'RFC 5280 §4.1.1.2',
    'signatureAlgorithm must equal the TBS signature field',
    ok,
    {
      leaf: { innerAlgorithm: otherAlg },
    },
  ),
  T('rfc5280::version-extensions', 'RFC 5280 §4.1.2.1', 'extensions only in version 3 certificates', ok, {
    leaf: { version: 2 },
  }),
  T(
    'rfc5280::serial-negative',
    'RFC 5280 §4.1.2.2',
    'serial numbers are positive',
    { leaf: { serial: new Uint8Array([0x00, 0x80, 0x01]) } },
    {
      leaf: { serial: new Uint8Array([0x80, 0x01]) },
    },
  ),
  T(
    'rfc5280::serial-21-octets',
    'RFC 5280 §4.1.2.2',
    'serial numbers are at most 20 octets',
    { leaf: { serial: new Uint8Array(20).fill(0x11) } },
    {
      leaf: { serial: new Uint8Array(21).fill(0x11) },
    },
  ),
  T(
    'rfc5280::validity-leaf-expired',
    'RFC 5280 §4.1.2.5, §6.1.3 (a)(2)',
    'notAfter is inclusive; one second later the leaf is expired',
    { leaf: { notAfter: VT } },
    {
      leaf: { notAfter: new Date(VT.getTime() - SEC) },
    },
  ),
  T(
    'rfc5280::validity-leaf-not-yet',
    'RFC 5280 §4.1.2.5, §6.1.3 (a)(2)',
    'notBefore is inclusive',
    { leaf: { notBefore: VT } },
    {
      leaf: { notBefore: new Date(VT.getTime() + SEC) },
    },
  ),
  T(
    'rfc5280::validity-ica-expired',
    'RFC 5280 §6.1.3 (a)(2)',
    'every certificate of the path must be valid',
    ok,
    {
      icas: [{ notAfter: new Date(VT.getTime() - SEC) }],
    },
  ),
  T(
    'rfc5280::empty-subject-san',
    'RFC 5280 §4.1.2.6, §4.2.1.6',
    'an empty subject needs a critical SAN',
    { leaf: { subject: '', ext: put(X.san(['dns:leaf.example.com'], true)) } },
    {
      leaf: { subject: '', ext: put(X.san(['dns:leaf.example.com'], false)) },
    },
  ),
  T(
    'rfc5280::duplicate-extension',
    'RFC 5280 §4.2',
    'an extension appears at most once',
    ok,
    leafExt(append(X.san(['dns:leaf.example.com']))),
  ),
  T(
    'rfc5280::unknown-critical-leaf',
    'RFC 5280 §4.2, §6.1.4 (o)',
    'an unrecognised critical extension is refused',
    leafExt(append(X.unknown(false))),
    leafExt(append(X.unknown(true))),
  ),
  T(
    'rfc5280::unknown-critical-ica',
    'RFC 5280 §4.2, §6.1.4 (o)',
    'an unrecognised critical extension in a CA is refused',
    icaExt(append(X.unknown(false))),
    icaExt(append(X.unknown(true))),
  ),
  // ---------------------------------------------------------------- §4.2.1.1 / §4.2.1.2 key identifiers
  T(
    'rfc5280::aki-leaf-missing',
    'RFC 5280 §4.2.1.1',
    'the AKI must be present in non-self-signed certificates',
    ok,
    leafExt(drop(OIDS.aki)),
  ),
  T(
    'rfc5280::aki-ica-missing',
    'RFC 5280 §4.2.1.1',
    'the AKI must be present in intermediates',
    ok,
    icaExt(drop(OIDS.aki)),
  ),
  T('rfc5280::aki-critical', 'RFC 5280 §4.2.1.1', 'the AKI must not be critical', ok, {
    leaf: { ext: (e, k) => put(X.aki(k.issuer, { critical: true }))(e) },
  }),
  T('rfc5280::aki-no-keyid', 'RFC 5280 §4.2.1.1', 'the AKI must carry keyIdentifier', ok, {
    leaf: { ext: (e, k) => put(X.aki(undefined, { issuerAndSerial: k.issuerCert }))(e) },
  }),
  T(
    'rfc5280::ski-ica-missing',
    'RFC 5280 §4.2.1.2',
    'CA certificates must carry an SKI',
    ok,
    icaExt(drop(OIDS.ski)),
  ),
  T('rfc5280::ski-critical', 'RFC 5280 §4.2.1.2', 'the SKI must not be critical', ok, {
    leaf: { ext: (e, k) => put(X.ski(k.self, true))(e) },
  }),
  T(
    'rfc5280::anchor-without-ski-ku',
    'RFC 5280 §6.1.1 (d)',
    'a trust anchor is a name and a key: profile rules do not apply to it',
    {
      root: { ext: drop(OIDS.ski, OIDS.ku, OIDS.aki) },
    },
    icaExt(drop(OIDS.ski, OIDS.ku)),
  ),
  // ---------------------------------------------------------------- §4.2.1.3 key usage
  T(
    'rfc5280::ku-ica-no-keycertsign',
    'RFC 5280 §4.2.1.3, §6.1.4 (n)',
    'an issuer needs keyCertSign',
    ok,
    icaExt(put(X.ku(['digitalSignature', 'cRLSign']))),
  ),
  T(
    'rfc5280::ku-ica-missing',
    'RFC 5280 §4.2.1.3',
    'CA certificates must carry keyUsage',
    ok,
    icaExt(drop(OIDS.ku)),
  ),
  T(
    'rfc5280::ku-leaf-keycertsign',
    'RFC 5280 §4.2.1.3',
    'keyCertSign requires cA',
    leafExt(drop(OIDS.ku)),
    leafExt(put(X.ku(['digitalSignature', 'keyCertSign']))),
  ),
  T(
    'rfc5280::ku-leaf-empty',
    'RFC 5280 §4.2.1.3',
    'a keyUsage extension asserts at least one bit',
    ok,
    leafExt(put(X.ku([]))),
  ),
  T(
    'tls::ku-leaf-no-signature',
    'RFC 8446 §4.4.2.2, RFC 5246 §7.4.2',
    'a TLS leaf key usage must allow signatures',
    leafExt(put(X.ku(['digitalSignature', 'dataEncipherment']))),
    leafExt(put(X.ku(['dataEncipherment']))),
  ),
  // ---------------------------------------------------------------- §4.2.1.4 / §4.2.1.5 policies (syntax)
  T(
    'rfc5280::policies-duplicate',
    'RFC 5280 §4.2.1.4',
    'a policy OID appears at most once',
    leafExt(put(X.policies([A, B]))),
    leafExt(put(X.policies([A, A]))),
  ),
  T(
    'rfc5280::mapping-anypolicy',
    'RFC 5280 §4.2.1.5, §6.1.4 (a)',
    'anyPolicy must not be mapped',
    icaExt(put(X.policies([A]), X.mappings([[A, B]]))),
    icaExt(put(X.policies([A]), X.mappings([[ANY_POLICY, B]]))),
  ),
  // ---------------------------------------------------------------- §4.2.1.6 SAN
  T(
    'rfc5280::san-ip-length',
    'RFC 5280 §4.2.1.6',
    'an iPAddress SAN is 4 or 16 octets',
    leafExt(put(X.san(['dns:leaf.example.com', 'rawip:10,0,0,1']))),
    leafExt(put(X.san(['dns:leaf.example.com', 'rawip:10,0,0,1,7']))),
  ),
  T('rfc5280::san-empty', 'RFC 5280 §4.2.1.6', 'GeneralNames has at least one entry', ok, {
    leaf: { ext: put({ oid: OIDS.san, critical: false, value: seq() }) },
    peer: null,
  }),
  // ---------------------------------------------------------------- §4.2.1.9 basic constraints, §6.1.4 (k)-(m)
  T(
    'rfc5280::bc-ica-missing',
    'RFC 5280 §4.2.1.9, §6.1.4 (k)',
    'an issuer must assert cA (an end-entity used as issuer is NOT_A_CA)',
    ok,
    icaExt(drop(OIDS.bc)),
  ),
  T(
    'rfc5280::bc-ica-not-ca',
    'RFC 5280 §4.2.1.9, §6.1.4 (k)',
    'cA FALSE in an issuer',
    ok,
    icaExt(put(X.bc(false))),
  ),
  T(
    'rfc5280::bc-ica-noncritical',
    'RFC 5280 §4.2.1.9',
    'basicConstraints is critical in CA certificates',
    ok,
    icaExt(put(X.bc(true, undefined, false))),
  ),
  T(
    'rfc5280::bc-pathlen-not-ca',
    'RFC 5280 §4.2.1.9',
    'pathLenConstraint only with cA',
    ok,
    leafExt(put(X.bc(false, 0))),
  ),
  T(
    'rfc5280::pathlen-0',
    'RFC 5280 §4.2.1.9, §6.1.4 (l), (m)',
    'pathLenConstraint 0 allows no intermediate below',
    { icas: [{ ext: put(X.bc(true, 1)) }, {}] },
    {
      icas: [{ ext: put(X.bc(true, 0)) }, {}],
    },
  ),
  T(
    'rfc5280::pathlen-root',
    'RFC 5280 §6.1.4 (m)',
    "a root's pathLenConstraint counts",
    { root: { ext: put(X.bc(true, 1)) }, icas: [{}] },
    {
      root: { ext: put(X.bc(true, 0)) },
      icas: [{}, {}],
    },
  ),
  T(
    'rfc5280::max-depth',
    'verifier input (x509-limbo max_chain_depth)',
    'a chain longer than the allowed depth',
    { icas: [{}, {}], maxDepth: 2 },
    { icas: [{}, {}], maxDepth: 1 },
  ),
  // ---------------------------------------------------------------- §4.2.1.10 name constraints, §6.1.3 (b)-(c)
  T(
    'rfc5280::nc-permitted-dns',
    'RFC 5280 §4.2.1.10',
    'a dNSName outside the permitted subtree',
    icaExt(append(X.nc({ permitted: ['dns:example.com'] }))),
    icaExt(append(X.nc({ permitted: ['dns:example.org'] }))),
  ),
  T(
    'rfc5280::nc-excluded-dns',
    'RFC 5280 §4.2.1.10',
    'a dNSName inside an excluded subtree',
    icaExt(append(X.nc({ excluded: ['dns:other.example.com'] }))),
    icaExt(append(X.nc({ excluded: ['dns:leaf.example.com'] }))),
  ),
  T(
    'rfc5280::nc-root-permitted-dns',
    'RFC 5280 §6.1.3 (b)',
    "a trust anchor's name constraints apply",
    { root: { ext: append(X.nc({ permitted: ['dns:example.com'] })) } },
    {
      root: { ext: append(X.nc({ permitted: ['dns:example.net'] })) },
    },
  ),
  T(
    'rfc5280::nc-permitted-ip',
    'RFC 5280 §4.2.1.10',
    'an iPAddress outside the permitted range',
    {
      icas: [{ ext: append(X.nc({ permitted: ['ip:10.0.0.0/8'] })) }],
      leaf: { ext: put(X.san(['dns:leaf.example.com', 'ip:10.1.2.3'])) },
    },
    {
      icas: [{ ext: append(X.nc({ permitted: ['ip:10.0.0.0/8'] })) }],
      leaf: { ext: put(X.san(['dns:leaf.example.com', 'ip:192.168.1.1'])) },
    },
  ),
  T(
    'rfc5280::nc-excluded-ipv6',
    'RFC 5280 §4.2.1.10',
    'an IPv6 address in an excluded range',
    {
      icas: [{ ext: append(X.nc({ excluded: ['ip:2001:db8::/32'] })) }],
      leaf: { ext: put(X.san(['dns:leaf.example.com', 'ip:2001:db9::1'])) },
    },
    {
      icas: [{ ext: append(X.nc({ excluded: ['ip:2001:db8::/32'] })) }],
      leaf: { ext: put(X.san(['dns:leaf.example.com', 'ip:2001:db8::1'])) },
    },
  ),
  T(
    'rfc5280::nc-permitted-email',
    'RFC 5280 §4.2.1.10',
    'an rfc822Name outside the permitted domain',
    {
      icas: [{ ext: append(X.nc({ permitted: ['email:example.com', 'dns:example.com'] })) }],
      leaf: { ext: put(X.san(['dns:leaf.example.com', 'email:a@example.com'])) },
    },
    {
      icas: [{ ext: append(X.nc({ permitted: ['email:example.com', 'dns:example.com'] })) }],
      leaf: { ext: put(X.san(['dns:leaf.example.com', 'email:a@example.org'])) },
    },
  ),
  T(
    'rfc5280::nc-permitted-uri',
    'RFC 5280 §4.2.1.10',
    'a URI host outside the permitted domain',
    {
      icas: [{ ext: append(X.nc({ permitted: ['uri:.example.com', 'dns:example.com'] })) }],
      leaf: { ext: put(X.san(['dns:leaf.example.com', 'uri:https://a.example.com/x'])) },
    },
    {
      icas: [{ ext: append(X.nc({ permitted: ['uri:.example.com', 'dns:example.com'] })) }],
      leaf: { ext: put(X.san(['dns:leaf.example.com', 'uri:https://a.example.org/x'])) },
    },
  ),
  T(
    'rfc5280::nc-in-leaf',
    'RFC 5280 §4.2.1.10',
    'name constraints only in CA certificates',
    ok,
    leafExt(append(X.nc({ permitted: ['dns:example.com'] }))),
  ),
  T(
    'rfc5280::nc-empty',
    'RFC 5280 §4.2.1.10',
    'name constraints must not be an empty sequence',
    icaExt(append(X.nc({ permitted: ['dns:example.com'] }))),
    icaExt(append(X.nc({}))),
  ),
  T(
    'rfc5280::nc-both-subtrees-empty',
    'RFC 5280 §4.2.1.10 (GeneralSubtrees SIZE (1..MAX))',
    'empty permitted and excluded subtrees',
    icaExt(append(X.nc({ excluded: ['dns:other.example'] }))),
    icaExt(append(X.nc({ emptyBoth: true }))),
  ),
  // ---------------------------------------------------------------- §4.2.1.11 / §4.2.1.14 constraints syntax
  T(
    'rfc5280::pc-noncritical',
    'RFC 5280 §4.2.1.11',
    'policyConstraints is critical',
    icaExt(append(X.policies([A]), X.pc({ require: 5 }))),
    icaExt(append(X.policies([A]), X.pc({ require: 5 }, false))),
  ),
  T(
    'rfc5280::pc-empty',
    'RFC 5280 §4.2.1.11',
    'policyConstraints is not an empty sequence',
    icaExt(append(X.pc({ inhibit: 5 }))),
    icaExt(append(X.pc({}))),
  ),
  T(
    'rfc5280::inhibit-any-noncritical',
    'RFC 5280 §4.2.1.14',
    'inhibitAnyPolicy is critical',
    icaExt(append(X.inhibitAny(5))),
    icaExt(append(X.inhibitAny(5, false))),
  ),
  T(
    'rfc5280::aia-critical',
    'RFC 5280 §4.2.2.1',
    'authorityInfoAccess is non-critical',
    leafExt(append(X.aia())),
    leafExt(append(X.aia(true))),
  ),
  // ---------------------------------------------------------------- §4.2.1.12 EKU
  T(
    'rfc5280::eku-server',
    'RFC 5280 §4.2.1.12',
    'a SERVER leaf needs serverAuth',
    leafExt(put(X.eku([SERVER_AUTH]))),
    leafExt(put(X.eku([CLIENT_AUTH]))),
    ['SERVER'],
  ),
  T(
    'rfc5280::eku-client',
    'RFC 5280 §4.2.1.12',
    'a CLIENT leaf needs clientAuth',
    leafExt(put(X.eku([CLIENT_AUTH]))),
    leafExt(put(X.eku([SERVER_AUTH]))),
    ['CLIENT'],
  ),
  T(
    'rfc5280::eku-empty',
    'RFC 5280 §4.2.1.12',
    'KeyPurposeId SIZE (1..MAX)',
    leafExt(drop(OIDS.eku)),
    leafExt(put(X.eku([]))),
  ),
  T(
    'rfc5280::eku-ica-restricts',
    'RFC 5280 §4.2.1.12 (as applied by OpenSSL, Go, webpki)',
    'an EKU-constrained CA does not allow other purposes',
    icaExt(append(X.eku([SERVER_AUTH, CLIENT_AUTH]))),
    icaExt(append(X.eku(['1.3.6.1.5.5.7.3.3']))),
  ),
  T(
    'rfc5280::eku-ica-any',
    'RFC 5280 §4.2.1.12',
    'anyExtendedKeyUsage in a CA allows every purpose',
    icaExt(append(X.eku([ANY_EKU]))),
    icaExt(append(X.eku(['1.3.6.1.5.5.7.3.4']))),
  ),
  // ---------------------------------------------------------------- §6.1.3 (a) signatures and names
  T('rfc5280::bad-signature-leaf', 'RFC 5280 §6.1.3 (a)(1)', 'the leaf signature must verify', ok, {
    leaf: { corruptSignature: true },
  }),
  T('rfc5280::bad-signature-ica', 'RFC 5280 §6.1.3 (a)(1)', 'the intermediate signature must verify', ok, {
    icas: [{ corruptSignature: true }],
  }),
  T('rfc5280::name-chaining', 'RFC 5280 §6.1.3 (a)(4)', "the issuer name must be the issuer's subject", ok, {
    leaf: { issuerName: 'CN=Somebody Else' },
  }),
  T(
    'rfc5280::self-issued-pathlen',
    'RFC 5280 §6.1.4 (l)',
    'self-issued intermediates do not count against pathLenConstraint',
    {
      icas: [{ ext: put(X.bc(true, 0)), subject: 'CN=Same ICA' }, { subject: 'CN=Same ICA' }],
    },
    { icas: [{ ext: put(X.bc(true, 0)) }, {}] },
  ),
  // ---------------------------------------------------------------- §6.1 certificate policies
  T(
    'policy::require-explicit-0',
    'RFC 5280 §6.1.4 (i), §6.1.3 (f)',
    'requireExplicitPolicy 0: the leaf must assert an acceptable policy',
    policyChain([{ ext: append(X.policies([A]), X.pc({ require: 0 })) }], [A]),
    policyChain([{ ext: append(X.policies([A]), X.pc({ require: 0 })) }]),
  ),
  T(
    'policy::intersection',
    'RFC 5280 §6.1.3 (d)(1)',
    'the leaf policy must be one the CA asserted',
    policyChain([{ ext: append(X.policies([A, B]), X.pc({ require: 0 })) }], [B]),
    policyChain([{ ext: append(X.policies([A]), X.pc({ require: 0 })) }], [C]),
  ),
  T(
    'policy::require-explicit-skipcerts',
    'RFC 5280 §6.1.4 (i), §6.1.5 (a)',
    'requireExplicitPolicy counts the certificates below',
    policyChain([{ ext: append(X.policies([A]), X.pc({ require: 3 })) }, {}]),
    policyChain([{ ext: append(X.policies([A]), X.pc({ require: 2 })) }, {}]),
  ),
  T(
    'policy::any-policy-ca',
    'RFC 5280 §6.1.3 (d)(1)(ii)',
    'anyPolicy in the CA admits any leaf policy',
    policyChain([{ ext: append(X.policies([ANY_POLICY]), X.pc({ require: 0 })) }], [C]),
    policyChain([{ ext: append(X.policies([ANY_POLICY]), X.pc({ require: 0 })) }]),
  ),
  T(
    'policy::inhibit-any',
    'RFC 5280 §6.1.3 (d)(2), §6.1.4 (j)',
    'inhibitAnyPolicy stops anyPolicy below',
    policyChain(
      [
        { ext: append(X.policies([ANY_POLICY]), X.pc({ require: 0 }), X.inhibitAny(1)) },
        { ext: append(X.policies([ANY_POLICY])) },
      ],
      [A],
    ),
    policyChain(
      [
        { ext: append(X.policies([ANY_POLICY]), X.pc({ require: 0 }), X.inhibitAny(0)) },
        { ext: append(X.policies([ANY_POLICY])) },
      ],
      [A],
    ),
  ),
  T(
    'policy::mapping',
    'RFC 5280 §6.1.4 (b)(1)',
    'a mapped policy is expected under its subject-domain name',
    policyChain([{ ext: append(X.policies([A]), X.mappings([[A, B]]), X.pc({ require: 0 })) }], [B]),
    policyChain([{ ext: append(X.policies([A]), X.mappings([[A, B]]), X.pc({ require: 0 })) }], [A]),
  ),
  T(
    'policy::inhibit-mapping',
    'RFC 5280 §6.1.4 (b)(2), (i)',
    'inhibitPolicyMapping deletes mapped policies',
    policyChain(
      [
        { ext: append(X.policies([A]), X.pc({ require: 0, inhibit: 1 })) },
        { ext: append(X.policies([A]), X.mappings([[A, B]])) },
      ],
      [B],
    ),
    policyChain(
      [
        { ext: append(X.policies([A]), X.pc({ require: 0, inhibit: 0 })) },
        { ext: append(X.policies([A]), X.mappings([[A, B]])) },
      ],
      [B],
    ),
  ),
  T(
    'policy::ica-without-policies',
    'RFC 5280 §6.1.3 (e)',
    'a CA without certificatePolicies ends every policy',
    policyChain(
      [{ ext: append(X.policies([A]), X.pc({ require: 0 })) }, { ext: append(X.policies([A])) }],
      [A],
    ),
    policyChain([{ ext: append(X.policies([A]), X.pc({ require: 0 })) }, {}], [A]),
  ),
  T(
    'policy::leaf-requires',
    'RFC 5280 §6.1.5 (b)',
    "a leaf's own requireExplicitPolicy 0",
    {
      icas: [{ ext: append(X.policies([A])) }],
      leaf: { ext: append(X.policies([A]), X.pc({ require: 0 })) },
    },
    {
      icas: [{ ext: append(X.policies([B])) }],
      leaf: { ext: append(X.policies([A]), X.pc({ require: 0 })) },
    },
  ),
  T(
    'policy::not-required',
    'RFC 5280 §6.1.5 (g)',
    'without an explicit-policy requirement, disjoint policies are fine',
    policyChain([{ ext: append(X.policies([A])) }], [B]),
    policyChain([{ ext: append(X.policies([A]), X.pc({ require: 0 })) }], [B]),
  ),
  // ---------------------------------------------------------------- RFC 6125 / RFC 9525 service identity
  T(
    'rfc6125::wildcard-one-label',
    'RFC 6125 §6.4.3, RFC 9525 §6.3',
    'a wildcard matches exactly one label',
    {
      leaf: { ext: put(X.san(['dns:*.example.com'])) },
      peer: { kind: 'DNS', value: 'a.example.com' },
    },
    { leaf: { ext: put(X.san(['dns:*.example.com'])) }, peer: { kind: 'DNS', value: 'a.b.example.com' } },
    ['SERVER'],
  ),
  T(
    'rfc6125::case-insensitive',
    'RFC 6125 §6.4.1',
    'DNS names compare case-insensitively',
    {
      leaf: { ext: put(X.san(['dns:LEAF.Example.COM'])), subject: 'CN=x' },
    },
    { leaf: { ext: put(X.san(['dns:other.example.com'])), subject: 'CN=x' } },
    ['SERVER'],
  ),
  T(
    'rfc6125::no-cn-fallback',
    'RFC 9525 §6.3',
    'the CN is never used when a SAN is present',
    ok,
    {
      leaf: { ext: put(X.san(['dns:other.example.com'])) },
    },
    ['SERVER'],
  ),
  T(
    'rfc6125::ip-san',
    'RFC 9525 §6.2.2',
    'an IP reference matches only an iPAddress SAN',
    {
      leaf: { ext: put(X.san(['ip:10.0.0.1'])), subject: 'CN=x' },
      peer: { kind: 'IP', value: '10.0.0.1' },
    },
    { leaf: { ext: put(X.san(['dns:10.0.0.1'])), subject: 'CN=x' }, peer: { kind: 'IP', value: '10.0.0.1' } },
    ['SERVER'],
  ),
  T(
    'rfc6125::public-suffix-wildcard',
    'RFC 6125 §7.2, CA/B BR 3.2.2.6',
    'no wildcard over a public suffix',
    {
      leaf: { ext: put(X.san(['dns:*.example.co.uk'])), subject: 'CN=x' },
      peer: { kind: 'DNS', value: 'a.example.co.uk' },
    },
    {
      leaf: { ext: put(X.san(['dns:*.co.uk'])), subject: 'CN=x' },
      peer: { kind: 'DNS', value: 'example.co.uk' },
    },
    ['SERVER'],
  ),
  T(
    'rfc6125::email',
    'RFC 5280 §4.2.1.6 (rfc822Name)',
    'an email reference matches an rfc822Name SAN',
    {
      leaf: { ext: put(X.san(['email:agent@example.com'])), subject: 'CN=agent' },
      peer: { kind: 'RFC822', value: 'agent@example.com' },
    },
    {
      leaf: { ext: put(X.san(['email:other@example.com'])), subject: 'CN=agent' },
      peer: { kind: 'RFC822', value: 'agent@example.com' },
    },
    ['CLIENT'],
  ),
  // ---------------------------------------------------------------- §5 CRLs
  T(
    'rfc5280::crl-revoked',
    'RFC 5280 §5.3, §6.3',
    'a revoked leaf',
    { crls: [{ by: 1 }] },
    { crls: [{ by: 1, revokeLeaf: true }] },
  ),
  T(
    'rfc5280::crl-stale',
    'RFC 5280 §5.1.2.5, §6.3.3 (a)',
    'a CRL past nextUpdate cannot vouch for the leaf',
    { crls: [{ by: 1 }] },
    {
      crls: [{ by: 1, nextUpdate: new Date(VT.getTime() - SEC) }],
    },
  ),
  T(
    'rfc5280::crl-critical-unknown',
    'RFC 5280 §5.2',
    'a CRL with an unknown critical extension (e.g. a delta CRL indicator) is refused',
    {
      crls: [{ by: 1, extraExtension: X.unknown(false) }],
    },
    {
      crls: [
        { by: 1, extraExtension: { oid: '2.5.29.27', critical: true, value: new Uint8Array([2, 1, 1]) } },
      ],
    },
  ),
  T(
    'rfc5280::crl-delta-noncritical',
    'RFC 5280 §5.2.4',
    'a delta CRL is never used as a full CRL, even with a non-critical indicator',
    { crls: [{ by: 1 }] },
    {
      crls: [
        { by: 1, extraExtension: { oid: '2.5.29.27', critical: false, value: new Uint8Array([2, 1, 1]) } },
      ],
    },
  ),
  T(
    'rfc5280::crl-without-aki',
    'RFC 5280 §5.2.1',
    'a CRL must carry an authorityKeyIdentifier',
    { crls: [{ by: 1 }] },
    { crls: [{ by: 1, omit: 'aki' }] },
  ),
  T(
    'rfc5280::crl-without-number',
    'RFC 5280 §5.2.3',
    'a CRL must carry a CRLNumber',
    { crls: [{ by: 1 }] },
    { crls: [{ by: 1, omit: 'crlNumber' }] },
  ),
  // ---------------------------------------------------------------- CA/B Forum BR §7.1 (webpki profile)
  P(
    'webpki::ca-as-leaf',
    'CA/B BR 7.1.2.7.8',
    'a CA certificate in the leaf position',
    {
      leaf: { ext: (e, k) => put(X.bc(true), X.ku(['digitalSignature', 'keyCertSign']), X.ski(k.self))(e) },
    },
    ok,
  ),
  P(
    'webpki::no-san',
    'CA/B BR 7.1.2.7.12',
    'a leaf without subjectAltName',
    { leaf: { ext: drop(OIDS.san) }, peer: null },
    { peer: null },
  ),
  P(
    'webpki::cn-not-copied',
    'CA/B BR 7.1.4.3',
    'a CN naming a SAN entry with different case',
    { leaf: { subject: 'CN=LEAF.example.com' } },
    { leaf: { subject: 'CN=leaf.example.com' } },
  ),
  P(
    'webpki::underscore-san',
    'CA/B BR 7.1.4.2',
    'a dNSName with an underscore',
    {
      leaf: { ext: put(X.san(['dns:leaf.example.com', 'dns:my_host.example.com'])) },
    },
    { leaf: { ext: put(X.san(['dns:leaf.example.com', 'dns:my-host.example.com'])) } },
  ),
  P(
    'webpki::leading-dot-san',
    'CA/B BR 7.1.4.2',
    'a dNSName with a leading dot',
    {
      leaf: { ext: put(X.san(['dns:leaf.example.com', 'dns:.example.com'])) },
    },
    { leaf: { ext: put(X.san(['dns:leaf.example.com', 'dns:www.example.com'])) } },
  ),
  P(
    'webpki::eku-critical',
    'CA/B BR 7.1.2.7.10',
    'a critical extendedKeyUsage in a leaf',
    leafExt(put(X.eku([SERVER_AUTH, CLIENT_AUTH], true))),
    ok,
  ),
  P(
    'webpki::leaf-any-eku',
    'CA/B BR 7.1.2.7.10',
    'anyExtendedKeyUsage in a leaf',
    leafExt(put(X.eku([SERVER_AUTH, CLIENT_AUTH, ANY_EKU]))),
    ok,
  ),
  P(
    'webpki::aki-issuer-serial',
    'CA/B BR 7.1.2.11.1',
    'an AKI with authorityCertIssuer and serial',
    {
      icas: [{ ext: (e, k) => put(X.aki(k.issuer, { issuerAndSerial: k.issuerCert }))(e) }],
    },
    ok,
  ),
  P(
    'webpki::serial-zero',
    'CA/B BR 7.1.2.7',
    'a leaf with serial number zero',
    { leaf: { serial: new Uint8Array([0]) } },
    {
      leaf: { serial: new Uint8Array([1]) },
    },
  ),
];
