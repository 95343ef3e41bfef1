import {
  type CertificateAuthority,
  createCertificateAuthority,
  generateKeyPair,
  type KeyPair,
  parseCertificate,
} from '@mtlskit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/chain/verify-chain.js';
import { ia5String, oid, seq, tlv } from '../../src/x509/der.js';
import { makeCrl, ncExtension, sanWithOtherName } from './helpers.js';

const HOUR = 3_600_000;
let root: CertificateAuthority;
let inter: CertificateAuthority;
let spareKey: KeyPair;

beforeAll(async () => {
  root = await createCertificateAuthority({ subject: { commonName: 'Test Root', organization: 'Acme' } });
  inter = await root.createIntermediate({ subject: { commonName: 'Test Issuing CA', organization: 'Acme' } });
  spareKey = await generateKeyPair();
});

async function clientLeaf(ca = inter, extra: Parameters<CertificateAuthority['issue']>[0] = {}) {
  return ca.issue({ subject: { commonName: 'agent-1' }, ...extra });
}

function expectFail(v: Awaited<ReturnType<typeof verifyChain>>, code: string, depth?: number) {
  if (v.ok) throw new Error(`expected ${code}, got a valid chain`);
  expect(v.code).toBe(code);
  if (depth !== undefined) expect(v.depth).toBe(depth);
  expect(v.message.length).toBeGreaterThan(30);
  return v;
}

describe('verifyChain: valid chains and inputs', () => {
  it('verifies leaf <- intermediate <- root and returns the path leaf first', async () => {
    const leaf = await clientLeaf();
    const v = await verifyChain({
      leaf: leaf.chainPem,
      trustAnchors: root.certificatePem,
      purpose: 'clientAuth',
    });
    expect(v.ok).toBe(true);
    if (v.ok)
      expect(v.chain.map((c) => c.subject)).toEqual([
        'CN=agent-1',
        'CN=Test Issuing CA,O=Acme',
        'CN=Test Root,O=Acme',
      ]);
  });

  it('accepts DER bytes, CertificateInfo objects and arrays', async () => {
    const leaf = await clientLeaf();
    const v = await verifyChain({
      purpose: 'any',
      leaf: leaf.certificate.der,
      intermediates: [inter.certificate],
      trustAnchors: [root.certificatePem],
    });
    expect(v.ok).toBe(true);
  });

  it('accepts a leaf that is itself a trust anchor (a pinned certificate)', async () => {
    const v = await verifyChain({
      purpose: 'any',
      leaf: root.certificatePem,
      trustAnchors: root.certificatePem,
    });
    expect(v.ok && v.chain.length).toBe(1);
  });

  it('verifies an RSA chain and an Ed25519 chain', async () => {
    for (const keyAlgorithm of ['RSA-2048', 'Ed25519'] as const) {
      const r = await createCertificateAuthority({
        subject: { commonName: `${keyAlgorithm} root` },
        keyAlgorithm,
      });
      const leaf = await r.issue({ subject: { commonName: 'x' }, keyAlgorithm });
      expect(
        (await verifyChain({ purpose: 'any', leaf: leaf.certificatePem, trustAnchors: r.certificatePem })).ok,
      ).toBe(true);
    }
  });

  it('picks the valid path among a cross-signed intermediate whose other issuer has expired', async () => {
    const oldRoot = await createCertificateAuthority({ subject: { commonName: 'Old Root' } });
    const newRoot = await createCertificateAuthority({ subject: { commonName: 'New Root' } });
    const key = await generateKeyPair();
    const viaOld = await oldRoot.issue({
      profile: 'ca',
      subject: { commonName: 'Shared ICA' },
      publicKey: key,
      notBefore: new Date(Date.now() - 10 * HOUR),
      notAfter: new Date(Date.now() - HOUR),
    });
    const viaNew = await newRoot.issue({
      profile: 'ca',
      subject: { commonName: 'Shared ICA' },
      publicKey: key,
    });
    const { CertificateAuthority: CA } = await import('@mtlskit/core');
    const ica = new CA(viaNew.certificate, key, viaNew.chainPem);
    const leaf = await ica.issue({ subject: { commonName: 'svc' } });
    const v = await verifyChain({
      purpose: 'any',
      leaf: leaf.certificatePem,
      intermediates: [viaOld.certificatePem, viaNew.certificatePem],
      trustAnchors: [oldRoot.certificatePem, newRoot.certificatePem],
    });
    expect(v.ok && v.chain[2]!.subject).toBe('CN=New Root');
    // With only the expired cross-certificate, the verdict names the expiry.
    const only = await verifyChain({
      purpose: 'any',
      leaf: leaf.certificatePem,
      intermediates: viaOld.certificatePem,
      trustAnchors: oldRoot.certificatePem,
    });
    expectFail(only, 'EXPIRED', 1);
  });
});

describe('verifyChain: failure codes', () => {
  it('EXPIRED and NOT_YET_VALID, for the leaf and for an intermediate', async () => {
    const leaf = await clientLeaf();
    expectFail(
      await verifyChain({
        purpose: 'any',
        leaf: leaf.chainPem,
        trustAnchors: root.certificatePem,
        at: Date.now() + 2 * 86_400_000,
      }),
      'EXPIRED',
      0,
    );
    expectFail(
      await verifyChain({
        purpose: 'any',
        leaf: leaf.chainPem,
        trustAnchors: root.certificatePem,
        at: Date.now() - 86_400_000,
      }),
      'NOT_YET_VALID',
      0,
    );
    const shortIca = await root.createIntermediate({
      subject: { commonName: 'Short ICA' },
      validityMs: 2 * HOUR,
    });
    const leaf2 = await shortIca.issue({ subject: { commonName: 'a' }, validityMs: 10 * HOUR });
    expectFail(
      await verifyChain({
        purpose: 'any',
        leaf: leaf2.chainPem,
        trustAnchors: root.certificatePem,
        at: Date.now() + 5 * HOUR,
      }),
      'EXPIRED',
      1,
    );
  });

  it('ISSUER_KEY_MISMATCH when the CA was regenerated under the same name', async () => {
    const leaf = await clientLeaf(root);
    const regenerated = await createCertificateAuthority({
      subject: { commonName: 'Test Root', organization: 'Acme' },
    });
    const v = expectFail(
      await verifyChain({
        purpose: 'any',
        leaf: leaf.certificatePem,
        trustAnchors: regenerated.certificatePem,
      }),
      'ISSUER_KEY_MISMATCH',
      0,
    );
    expect(v.message).toMatch(/regenerated/);
    // The same with an intermediate in between.
    const leaf2 = await clientLeaf();
    expectFail(
      await verifyChain({ purpose: 'any', leaf: leaf2.chainPem, trustAnchors: regenerated.certificatePem }),
      'ISSUER_KEY_MISMATCH',
      1,
    );
  });

  it('MISSING_INTERMEDIATE names the missing issuer', async () => {
    const leaf = await clientLeaf();
    const v = expectFail(
      await verifyChain({ purpose: 'any', leaf: leaf.certificatePem, trustAnchors: root.certificatePem }),
      'MISSING_INTERMEDIATE',
      0,
    );
    expect(v.missingIssuer).toBe('CN=Test Issuing CA,O=Acme');
    const sub = await inter.createIntermediate({ subject: { commonName: 'Sub CA' } });
    const leaf2 = await sub.issue({ subject: { commonName: 'b' } });
    const v2 = expectFail(
      await verifyChain({
        purpose: 'any',
        leaf: leaf2.certificatePem,
        intermediates: sub.certificatePem,
        trustAnchors: root.certificatePem,
      }),
      'MISSING_INTERMEDIATE',
      1,
    );
    expect(v2.missingIssuer).toBe('CN=Test Issuing CA,O=Acme');
  });

  it('UNKNOWN_ISSUER for a foreign CA and for an untrusted self-signed certificate', async () => {
    const other = await createCertificateAuthority({ subject: { commonName: 'Someone Else' } });
    const leaf = await other.issue({ subject: { commonName: 'c' } });
    const v = expectFail(
      await verifyChain({ purpose: 'any', leaf: leaf.certificatePem, trustAnchors: root.certificatePem }),
      'UNKNOWN_ISSUER',
      0,
    );
    expect(v.missingIssuer).toBe('CN=Someone Else');
    expectFail(
      await verifyChain({
        purpose: 'any',
        leaf: leaf.chainPem + other.certificatePem,
        trustAnchors: root.certificatePem,
      }),
      'UNKNOWN_ISSUER',
      1,
    );
  });

  it('BAD_SIGNATURE when the certificate was signed by another key', async () => {
    const leaf = await inter.issue({ subject: { commonName: 'forged' }, signWith: spareKey });
    expectFail(
      await verifyChain({ purpose: 'any', leaf: leaf.chainPem, trustAnchors: root.certificatePem }),
      'BAD_SIGNATURE',
      0,
    );
  });

  it('NOT_A_CA when a leaf certificate signs another', async () => {
    const key = await generateKeyPair();
    const notCa = await root.issue({
      profile: 'client',
      subject: { commonName: 'Not a CA' },
      publicKey: key,
    });
    const { CertificateAuthority: CA } = await import('@mtlskit/core');
    const fake = new CA(notCa.certificate, key, notCa.chainPem);
    const leaf = await fake.issue({ subject: { commonName: 'd' } });
    expectFail(
      await verifyChain({ purpose: 'any', leaf: leaf.chainPem, trustAnchors: root.certificatePem }),
      'NOT_A_CA',
      1,
    );
    // In both profiles, and also when the end-entity carries keyCertSign (a profile violation
    // of its own): the cause to act on is the end-entity used as issuer.
    for (const profile of ['webpki', 'rfc5280'] as const) {
      const v = await verifyChain({
        purpose: 'serverAuth',
        profile,
        leaf: leaf.chainPem,
        trustAnchors: root.certificatePem,
      });
      expect(v).toMatchObject({ ok: false, code: 'NOT_A_CA', depth: 1 });
      if (!v.ok)
        expect(v.message).toContain('this certificate is an end-entity certificate used as an issuer');
    }
    const key2 = await generateKeyPair();
    const signing = await root.issue({
      profile: 'client',
      subject: { commonName: 'Signing EE' },
      publicKey: key2,
      keyUsage: ['digitalSignature', 'keyCertSign'],
    });
    const leaf2 = await new CA(signing.certificate, key2, signing.chainPem).issue({
      subject: { commonName: 'd2' },
    });
    expectFail(
      await verifyChain({ purpose: 'any', leaf: leaf2.chainPem, trustAnchors: root.certificatePem }),
      'NOT_A_CA',
      1,
    );
  });

  it('PATH_LENGTH_EXCEEDED, with self-issued certificates not counted', async () => {
    const tight = await root.createIntermediate({ subject: { commonName: 'Tight' }, pathLength: 0 });
    const below = await tight.createIntermediate({ subject: { commonName: 'Below' } });
    const leaf = await below.issue({ subject: { commonName: 'e' } });
    expectFail(
      await verifyChain({ purpose: 'any', leaf: leaf.chainPem, trustAnchors: root.certificatePem }),
      'PATH_LENGTH_EXCEEDED',
      1,
    );
    const r0 = await createCertificateAuthority({ subject: { commonName: 'Root pathlen 0' }, pathLength: 0 });
    const i0 = await r0.createIntermediate({ subject: { commonName: 'I0' } });
    const leaf0 = await i0.issue({ subject: { commonName: 'f' } });
    expectFail(
      await verifyChain({ purpose: 'any', leaf: leaf0.chainPem, trustAnchors: r0.certificatePem }),
      'PATH_LENGTH_EXCEEDED',
      1,
    );
    expect(
      (
        await verifyChain({
          purpose: 'any',
          leaf: (await r0.issue({ subject: { commonName: 'g' } })).certificatePem,
          trustAnchors: r0.certificatePem,
        })
      ).ok,
    ).toBe(true);
  });

  it('DEPTH_EXCEEDED beyond maxDepth intermediates', async () => {
    const leaf = await clientLeaf();
    expectFail(
      await verifyChain({
        purpose: 'any',
        leaf: leaf.chainPem,
        trustAnchors: root.certificatePem,
        maxDepth: 0,
      }),
      'DEPTH_EXCEEDED',
    );
    expect(
      (
        await verifyChain({
          purpose: 'any',
          leaf: leaf.chainPem,
          trustAnchors: root.certificatePem,
          maxDepth: 1,
        })
      ).ok,
    ).toBe(true);
  });

  it('KEY_USAGE: a CA without keyCertSign, a TLS leaf without digitalSignature', async () => {
    const noSign = await root.createIntermediate({
      subject: { commonName: 'No certSign' },
      keyUsage: ['cRLSign'],
    });
    const leaf = await noSign.issue({ subject: { commonName: 'h' } });
    expectFail(
      await verifyChain({ purpose: 'any', leaf: leaf.chainPem, trustAnchors: root.certificatePem }),
      'KEY_USAGE',
      1,
    );
    const odd = await inter.issue({ subject: { commonName: 'i' }, keyUsage: ['dataEncipherment'] });
    expectFail(
      await verifyChain({ leaf: odd.chainPem, trustAnchors: root.certificatePem, purpose: 'clientAuth' }),
      'KEY_USAGE',
      0,
    );
    expect(
      (await verifyChain({ leaf: odd.chainPem, trustAnchors: root.certificatePem, purpose: 'any' })).ok,
    ).toBe(true);
  });

  it('EXTENDED_KEY_USAGE for the leaf and for EKU-constrained intermediates', async () => {
    const server = await inter.issue({
      profile: 'server',
      subject: { commonName: 'srv' },
      dnsNames: ['srv.example'],
    });
    expectFail(
      await verifyChain({ leaf: server.chainPem, trustAnchors: root.certificatePem, purpose: 'clientAuth' }),
      'EXTENDED_KEY_USAGE',
      0,
    );
    expect(
      (await verifyChain({ leaf: server.chainPem, trustAnchors: root.certificatePem, purpose: 'serverAuth' }))
        .ok,
    ).toBe(true);
    const serverOnlyCa = await root.createIntermediate({
      subject: { commonName: 'Server-only CA' },
      extendedKeyUsage: ['serverAuth'],
    });
    const client = await serverOnlyCa.issue({ subject: { commonName: 'j' } });
    expectFail(
      await verifyChain({ leaf: client.chainPem, trustAnchors: root.certificatePem, purpose: 'clientAuth' }),
      'EXTENDED_KEY_USAGE',
      1,
    );
    const anyCa = await root.createIntermediate({
      subject: { commonName: 'Any CA' },
      extendedKeyUsage: ['anyExtendedKeyUsage'],
    });
    const client2 = await anyCa.issue({ subject: { commonName: 'k' } });
    expect(
      (
        await verifyChain({
          leaf: client2.chainPem,
          trustAnchors: root.certificatePem,
          purpose: 'clientAuth',
        })
      ).ok,
    ).toBe(true);
    const anyLeaf = await inter.issue({
      subject: { commonName: 'l' },
      extendedKeyUsage: ['clientAuth', 'anyExtendedKeyUsage'],
    });
    // RFC 5280 §4.2.1.12 lets anyExtendedKeyUsage stand for every purpose; CA/B BR 7.1.2.7.10
    // forbids it in a TLS leaf, so only the webpki profile refuses it, and says so.
    const anyOpts = {
      leaf: anyLeaf.chainPem,
      trustAnchors: root.certificatePem,
      purpose: 'clientAuth',
    } as const;
    expect((await verifyChain(anyOpts)).ok).toBe(true);
    const strict = await verifyChain({ ...anyOpts, profile: 'webpki' });
    expectFail(strict, 'EXTENDED_KEY_USAGE', 0);
    expect(strict).toMatchObject({ profileRule: 'CA/B BR 7.1.2.7.10' });
  });

  it('UNHANDLED_CRITICAL_EXTENSION in a leaf or an intermediate', async () => {
    const ext = [{ oid: '1.3.6.1.4.1.55738.666.1', critical: true, value: seq() }];
    const leaf = await inter.issue({ subject: { commonName: 'm' }, extensions: ext });
    expectFail(
      await verifyChain({ purpose: 'any', leaf: leaf.chainPem, trustAnchors: root.certificatePem }),
      'UNHANDLED_CRITICAL_EXTENSION',
      0,
    );
    const ica = await root.createIntermediate({ subject: { commonName: 'Odd CA' }, extensions: ext });
    const leaf2 = await ica.issue({ subject: { commonName: 'n' } });
    expectFail(
      await verifyChain({ purpose: 'any', leaf: leaf2.chainPem, trustAnchors: root.certificatePem }),
      'UNHANDLED_CRITICAL_EXTENSION',
      1,
    );
    const nonCritical = await inter.issue({
      subject: { commonName: 'o' },
      extensions: [{ ...ext[0]!, critical: false }],
    });
    expect(
      (await verifyChain({ purpose: 'any', leaf: nonCritical.chainPem, trustAnchors: root.certificatePem }))
        .ok,
    ).toBe(true);
  });

  it('PROFILE_VIOLATION: non-critical policyConstraints, SAN not critical with an empty subject', async () => {
    const pc = [{ oid: '2.5.29.36', critical: false, value: seq(new Uint8Array([0x80, 0x01, 0x00])) }];
    const ica = await root.createIntermediate({ subject: { commonName: 'PC CA' }, extensions: pc });
    const leaf = await ica.issue({ subject: { commonName: 'p' } });
    expectFail(
      await verifyChain({ purpose: 'any', leaf: leaf.chainPem, trustAnchors: root.certificatePem }),
      'PROFILE_VIOLATION',
      1,
    );
    const crit = await root.createIntermediate({
      subject: { commonName: 'PC CA 2' },
      extensions: [{ ...pc[0]!, critical: true }],
    });
    // requireExplicitPolicy 0 (RFC 5280 §6.1.4 (i)): every certificate below needs a policy.
    expectFail(
      await verifyChain({
        purpose: 'any',
        leaf: (await crit.issue({ subject: { commonName: 'q' } })).chainPem,
        trustAnchors: root.certificatePem,
      }),
      'CERTIFICATE_POLICY',
      0,
    );
  });
});

describe('verifyChain: names', () => {
  let server: Awaited<ReturnType<CertificateAuthority['issue']>>;
  beforeAll(async () => {
    server = await inter.issue({
      profile: 'both',
      subject: { commonName: 'api' },
      dnsNames: ['api.example.com', '*.svc.example.com'],
      ipAddresses: ['10.1.2.3', '2001:db8::1'],
      uris: ['spiffe://example.org/ns/prod/sa/api'],
      emails: ['ops@example.com'],
    });
  });
  const check = (o: { hostname?: string; ip?: string; uri?: string; email?: string }) =>
    verifyChain({ leaf: server.chainPem, trustAnchors: root.certificatePem, purpose: 'serverAuth', ...o });

  it('matches DNS names case-insensitively and wildcards in the left-most label only', async () => {
    expect((await check({ hostname: 'API.example.com.' })).ok).toBe(true);
    expect((await check({ hostname: 'db.svc.example.com' })).ok).toBe(true);
    expectFail(await check({ hostname: 'a.b.svc.example.com' }), 'NAME_MISMATCH', 0);
    expectFail(await check({ hostname: 'svc.example.com' }), 'NAME_MISMATCH', 0);
    expectFail(await check({ hostname: 'other.example.com' }), 'NAME_MISMATCH', 0);
  });

  it('matches IP addresses (v4 and v6) against IP SANs only', async () => {
    expect((await check({ ip: '10.1.2.3' })).ok).toBe(true);
    expect((await check({ hostname: '2001:0db8:0:0:0:0:0:1' })).ok).toBe(true);
    expectFail(await check({ ip: '10.1.2.4' }), 'NAME_MISMATCH', 0);
  });

  it('matches URI SANs (SPIFFE IDs) and email addresses', async () => {
    expect((await check({ uri: 'spiffe://example.org/ns/prod/sa/api' })).ok).toBe(true);
    expectFail(await check({ uri: 'spiffe://example.org/ns/prod/sa/API' }), 'NAME_MISMATCH', 0);
    expect((await check({ email: 'ops@EXAMPLE.com' })).ok).toBe(true);
    expectFail(await check({ email: 'Ops@example.com' }), 'NAME_MISMATCH', 0);
  });

  it('never matches wildcards over a public suffix or a bare *', async () => {
    for (const [san, host] of [
      ['*.com', 'example.com'],
      ['*.co.uk', 'example.co.uk'],
      ['foo.*.example.com', 'foo.bar.example.com'],
    ] as const) {
      const value = seq(tlv(0x82, new TextEncoder().encode(san)));
      const leaf = await inter.issue({
        profile: 'server',
        subject: { commonName: 'w' },
        extensions: [{ oid: '2.5.29.17', value }],
      });
      expectFail(
        await verifyChain({
          purpose: 'any',
          leaf: leaf.chainPem,
          trustAnchors: root.certificatePem,
          hostname: host,
        }),
        'NAME_MISMATCH',
        0,
      );
    }
  });

  it('does not fall back to the common name', async () => {
    const leaf = await inter.issue({
      profile: 'server',
      subject: { commonName: 'cn-only.example.com' },
      emails: ['a@b.example'],
    });
    expectFail(
      await verifyChain({
        purpose: 'any',
        leaf: leaf.chainPem,
        trustAnchors: root.certificatePem,
        hostname: 'cn-only.example.com',
      }),
      'NAME_MISMATCH',
      0,
    );
  });
});

describe('verifyChain: name constraints', () => {
  async function constrained(
    nc: { permitted?: string[]; excluded?: string[] },
    leafOpts: Parameters<CertificateAuthority['issue']>[0],
  ) {
    const ica = await root.createIntermediate({
      subject: { commonName: 'NC CA', organization: 'Acme' },
      extensions: [ncExtension(nc)],
    });
    const leaf = await ica.issue({ subject: { commonName: 'leaf' }, profile: 'both', ...leafOpts });
    return verifyChain({ purpose: 'any', leaf: leaf.chainPem, trustAnchors: root.certificatePem });
  }

  it('DNS: permitted subtrees admit sub-domains; excluded subtrees win', async () => {
    expect(
      (await constrained({ permitted: ['dns:example.com'] }, { dnsNames: ['a.b.example.com'] })).ok,
    ).toBe(true);
    expectFail(
      await constrained({ permitted: ['dns:example.com'] }, { dnsNames: ['notexample.com'] }),
      'NAME_CONSTRAINTS',
      0,
    );
    expectFail(
      await constrained(
        { permitted: ['dns:example.com'], excluded: ['dns:secret.example.com'] },
        { dnsNames: ['x.secret.example.com'] },
      ),
      'NAME_CONSTRAINTS',
      0,
    );
    expectFail(
      await constrained({ excluded: ['dns:secret.example.com'] }, { dnsNames: ['*.example.com'] }),
      'NAME_CONSTRAINTS',
      0,
    );
    expect(
      (await constrained({ permitted: ['dns:.example.com'] }, { dnsNames: ['www.example.com'] })).ok,
    ).toBe(true);
    expectFail(
      await constrained({ permitted: ['dns:.example.com'] }, { dnsNames: ['example.com'] }),
      'NAME_CONSTRAINTS',
      0,
    );
  });

  it('IP: CIDR ranges for v4 and v6', async () => {
    expect((await constrained({ permitted: ['ip:10.0.0.0/8'] }, { ipAddresses: ['10.9.8.7'] })).ok).toBe(
      true,
    );
    expectFail(
      await constrained({ permitted: ['ip:10.0.0.0/8'] }, { ipAddresses: ['11.0.0.1'] }),
      'NAME_CONSTRAINTS',
      0,
    );
    expectFail(
      await constrained({ excluded: ['ip:2001:db8::/32'] }, { ipAddresses: ['2001:db8::5'] }),
      'NAME_CONSTRAINTS',
      0,
    );
    // iPAddress is one name form: an IPv6 address is outside IPv4-only permitted subtrees.
    expectFail(
      await constrained({ permitted: ['ip:10.0.0.0/8'] }, { ipAddresses: ['2001:db8::5'] }),
      'NAME_CONSTRAINTS',
      0,
    );
  });

  it('email: mailbox, host and domain forms; asterisks are literal', async () => {
    expect((await constrained({ permitted: ['email:example.com'] }, { emails: ['a@example.com'] })).ok).toBe(
      true,
    );
    expectFail(
      await constrained({ permitted: ['email:example.com'] }, { emails: ['a@sub.example.com'] }),
      'NAME_CONSTRAINTS',
      0,
    );
    expect(
      (await constrained({ permitted: ['email:.example.com'] }, { emails: ['a@sub.example.com'] })).ok,
    ).toBe(true);
    expectFail(
      await constrained({ permitted: ['email:*@example.com'] }, { emails: ['a@example.com'] }),
      'NAME_CONSTRAINTS',
      0,
    );
  });

  it('URI: SPIFFE trust domains', async () => {
    expect(
      (await constrained({ permitted: ['uri:example.org'] }, { uris: ['spiffe://example.org/agent'] })).ok,
    ).toBe(true);
    expectFail(
      await constrained({ permitted: ['uri:example.org'] }, { uris: ['spiffe://evil.org/agent'] }),
      'NAME_CONSTRAINTS',
      0,
    );
    expectFail(
      await constrained({ permitted: ['uri:example.org'] }, { uris: ['urn:uuid:1234'] }),
      'NAME_CONSTRAINTS',
      0,
    );
  });

  it('directoryName: subject must sit under the permitted DN', async () => {
    const ica = await root.createIntermediate({
      subject: { commonName: 'DN CA' },
      extensions: [ncExtension({ permitted: ['dn:O=Acme'] })],
    });
    const ok = await ica.issue({ subject: { organization: 'Acme', commonName: 'x' } });
    expect(
      (await verifyChain({ purpose: 'any', leaf: ok.chainPem, trustAnchors: root.certificatePem })).ok,
    ).toBe(true);
    const bad = await ica.issue({ subject: { organization: 'Other', commonName: 'x' } });
    expectFail(
      await verifyChain({ purpose: 'any', leaf: bad.chainPem, trustAnchors: root.certificatePem }),
      'NAME_CONSTRAINTS',
      0,
    );
  });

  it('refuses name forms it cannot check when a constraint speaks about them', async () => {
    const ica = await root.createIntermediate({
      subject: { commonName: 'ON CA' },
      extensions: [ncExtension({ excluded: ['other'] })],
    });
    const leaf = await ica.issue({
      subject: { commonName: 'x' },
      extensions: [{ oid: '2.5.29.17', critical: false, value: sanWithOtherName('x.example.com') }],
    });
    expectFail(
      await verifyChain({ purpose: 'any', leaf: leaf.chainPem, trustAnchors: root.certificatePem }),
      'NAME_CONSTRAINTS',
      0,
    );
  });

  it('rejects invalid constraints and constraints in a leaf', async () => {
    expectFail(
      await constrained({ permitted: ['dns:*.example.com'] }, { dnsNames: ['a.example.com'] }),
      'NAME_CONSTRAINTS',
      1,
    );
    const leaf = await inter.issue({
      subject: { commonName: 'x' },
      extensions: [ncExtension({ permitted: ['dns:example.com'] })],
    });
    expectFail(
      await verifyChain({ purpose: 'any', leaf: leaf.chainPem, trustAnchors: root.certificatePem }),
      'PROFILE_VIOLATION',
      0,
    );
  });

  it('applies to intermediates below the constrained CA', async () => {
    const ica = await root.createIntermediate({
      subject: { commonName: 'Top NC' },
      extensions: [ncExtension({ permitted: ['dns:example.com'] })],
    });
    const sub = await ica.createIntermediate({ subject: { commonName: 'Sub' }, dnsNames: ['evil.test'] });
    const leaf = await sub.issue({
      subject: { commonName: 'x' },
      profile: 'server',
      dnsNames: ['a.example.com'],
    });
    expectFail(
      await verifyChain({ purpose: 'any', leaf: leaf.chainPem, trustAnchors: root.certificatePem }),
      'NAME_CONSTRAINTS',
      1,
    );
  });
});

describe('verifyChain: CRLs', () => {
  it('REVOKED when the leaf is on a valid CRL of its issuer; fine otherwise', async () => {
    const leaf = await clientLeaf();
    const crl = await makeCrl(inter, { revoked: [{ serial: leaf.certificate.serialNumber }] });
    expectFail(
      await verifyChain({
        purpose: 'any',
        leaf: leaf.chainPem,
        trustAnchors: root.certificatePem,
        crls: crl,
      }),
      'REVOKED',
      0,
    );
    const other = await makeCrl(inter, { revoked: [{ serial: '0abc' }] });
    expect(
      (
        await verifyChain({
          purpose: 'any',
          leaf: leaf.chainPem,
          trustAnchors: root.certificatePem,
          crls: [other],
        })
      ).ok,
    ).toBe(true);
    const removed = await makeCrl(inter, { revoked: [{ serial: leaf.certificate.serialNumber, reason: 8 }] });
    expect(
      (
        await verifyChain({
          purpose: 'any',
          leaf: leaf.chainPem,
          trustAnchors: root.certificatePem,
          crls: removed,
        })
      ).ok,
    ).toBe(true);
  });

  it('ignores a CRL with a bad signature; CRL_INVALID for a critical CRLNumber or a stale CRL', async () => {
    const leaf = await clientLeaf();
    const forged = await makeCrl(inter, {
      revoked: [{ serial: leaf.certificate.serialNumber }],
      signWith: spareKey,
    });
    expect(
      (
        await verifyChain({
          purpose: 'any',
          leaf: leaf.chainPem,
          trustAnchors: root.certificatePem,
          crls: forged,
        })
      ).ok,
    ).toBe(true);
    const critical = await makeCrl(inter, { crlNumberCritical: true });
    expectFail(
      await verifyChain({
        purpose: 'any',
        leaf: leaf.chainPem,
        trustAnchors: root.certificatePem,
        crls: critical,
      }),
      'CRL_INVALID',
      0,
    );
    const stale = await makeCrl(inter, {
      thisUpdate: new Date(Date.now() - 3 * HOUR),
      nextUpdate: new Date(Date.now() - HOUR),
    });
    expectFail(
      await verifyChain({
        purpose: 'any',
        leaf: leaf.chainPem,
        trustAnchors: root.certificatePem,
        crls: stale,
      }),
      'CRL_INVALID',
      0,
    );
  });

  it('revokes an intermediate through the root CRL', async () => {
    const leaf = await clientLeaf();
    const crl = await makeCrl(root, { revoked: [{ serial: inter.certificate.serialNumber }] });
    expectFail(
      await verifyChain({
        purpose: 'any',
        leaf: leaf.chainPem,
        trustAnchors: root.certificatePem,
        crls: crl,
      }),
      'REVOKED',
      1,
    );
  });
});

describe('verifyChain: bad input', () => {
  it('gives MALFORMED verdicts for unreadable chain data', async () => {
    expectFail(
      await verifyChain({ purpose: 'any', leaf: 'not a certificate', trustAnchors: root.certificatePem }),
      'MALFORMED',
      0,
    );
    const pem = (await clientLeaf()).certificatePem;
    const broken = pem.replace(/[A-Za-z]{8}(?=\n-----END)/, 'AAAAAAAA');
    const v = await verifyChain({ purpose: 'any', leaf: broken, trustAnchors: root.certificatePem });
    expect(v.ok).toBe(false);
    const leaf = await clientLeaf();
    expectFail(
      await verifyChain({
        purpose: 'any',
        leaf: leaf.certificatePem,
        intermediates: 'garbage',
        trustAnchors: root.certificatePem,
      }),
      'MALFORMED',
    );
    expectFail(
      await verifyChain({
        purpose: 'any',
        leaf: leaf.chainPem,
        trustAnchors: root.certificatePem,
        crls: 'junk',
      }),
      'MALFORMED',
    );
    expectFail(
      await verifyChain({
        purpose: 'any',
        leaf: leaf.chainPem,
        trustAnchors: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
      }),
      'MALFORMED',
    );
  });

  it('throws ERR_MTLS_INVALID_ARGUMENT for bad options', async () => {
    const leaf = (await clientLeaf()).certificatePem;
    const bad: unknown[] = [
      undefined,
      {},
      { leaf },
      { leaf, trustAnchors: [] },
      { leaf, trustAnchors: root.certificatePem, purpose: 'email' },
      { leaf, trustAnchors: root.certificatePem, at: new Date('nope') },
      { leaf, trustAnchors: root.certificatePem, maxDepth: -1 },
      { leaf, trustAnchors: root.certificatePem, hostname: '' },
      { leaf, trustAnchors: root.certificatePem, limits: { signatureChecks: 0 } },
      { leaf: 42, trustAnchors: root.certificatePem },
    ];
    for (const o of bad) {
      await expect(verifyChain(o as never)).rejects.toMatchObject({ code: 'ERR_MTLS_INVALID_ARGUMENT' });
    }
  });

  it('keeps private keys out of verdicts', async () => {
    const leaf = await clientLeaf();
    const v = await verifyChain({
      purpose: 'any',
      leaf: leaf.chainPem,
      trustAnchors: root.certificatePem,
      at: 0,
    });
    expect(JSON.stringify(v)).not.toContain('PRIVATE KEY');
    expect(parseCertificate(leaf.certificatePem).subject).toBe('CN=agent-1');
  });
});

// The extension value helper is exercised here so an unusual SAN cannot silently break.
it('ia5String and oid helpers build the SAN the otherName test relies on', () => {
  expect(ia5String('a')[0]).toBe(0x16);
  expect(oid('2.5.29.17')[0]).toBe(0x06);
});
