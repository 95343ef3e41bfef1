import { type CertificateAuthority, createCertificateAuthority } from '@mtlskit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/chain/verify-chain.js';
import { seq, tlv } from '../../src/x509/der.js';
import { makeCrl } from './helpers.js';

// Finding 9: a policyConstraints that makes an explicit policy required is enforced (RFC 5280
// §6.1 policy processing, see policy/process-policies.test.ts); a CRL with an
// issuingDistributionPoint is never a full CRL.
const policyConstraints = (requireExplicitPolicy: number) => ({
  oid: '2.5.29.36',
  critical: true,
  value: seq(tlv(0x80, new Uint8Array([requireExplicitPolicy]))),
});

let root: CertificateAuthority;
beforeAll(async () => {
  root = await createCertificateAuthority({ subject: { commonName: 'Policy Root' } });
});

describe('policyConstraints', () => {
  it('refuses a chain in which requireExplicitPolicy takes effect', async () => {
    const inter = await root.createIntermediate({
      subject: { commonName: 'Policy CA' },
      extensions: [policyConstraints(0)],
    });
    const leaf = await inter.issue({ subject: { commonName: 'leaf' }, profile: 'client' });
    const v = await verifyChain({
      leaf: leaf.chainPem,
      trustAnchors: root.certificatePem,
      purpose: 'clientAuth',
    });
    expect(v.ok).toBe(false);
    if (!v.ok) {
      expect(v.code).toBe('CERTIFICATE_POLICY');
      // The leaf asserts no policy; the message names the CA that required one.
      expect(v.depth).toBe(0);
      expect(v.message).toMatch(/requireExplicitPolicy of "CN=Policy CA"/);
    }
  });

  it('accepts one whose skip count reaches beyond the path', async () => {
    const inter = await root.createIntermediate({
      subject: { commonName: 'Lenient Policy CA' },
      extensions: [policyConstraints(3)],
    });
    const leaf = await inter.issue({ subject: { commonName: 'leaf' }, profile: 'client' });
    const v = await verifyChain({
      leaf: leaf.chainPem,
      trustAnchors: root.certificatePem,
      purpose: 'clientAuth',
    });
    expect(v.ok).toBe(true);
  });
});

describe('CRLs with an issuingDistributionPoint', () => {
  for (const critical of [true, false]) {
    it(`are not used as full CRLs (${critical ? 'critical' : 'non-critical'})`, async () => {
      const leaf = await root.issue({ subject: { commonName: 'leaf' }, profile: 'client' });
      const crl = await makeCrl(root, { issuingDistributionPoint: { critical } });
      const v = await verifyChain({
        leaf: leaf.certificatePem,
        trustAnchors: root.certificatePem,
        crls: crl,
        purpose: 'clientAuth',
      });
      expect(v.ok ? 'ok' : v.code).toBe('CRL_INVALID');
    });
  }
});
