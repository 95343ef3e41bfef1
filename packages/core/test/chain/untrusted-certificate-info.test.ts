import { createCertificateAuthority, parseCertificate } from '@mtlskit/core';
import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/chain/verify-chain.js';

// Finding 4: fields of a CertificateInfo handed in are never trusted; only its DER counts.
describe('verifyChain with caller-supplied CertificateInfo objects', () => {
  it('does not take the fingerprint of a forged CertificateInfo for the anchor', async () => {
    const root = await createCertificateAuthority({ subject: { commonName: 'Real Root' } });
    const attacker = await createCertificateAuthority({ subject: { commonName: 'Real Root' } });
    const anchor = parseCertificate(root.certificatePem);
    const forged = {
      ...parseCertificate(attacker.certificatePem),
      fingerprintSha256: anchor.fingerprintSha256,
    };
    const v = await verifyChain({ leaf: forged, trustAnchors: [anchor], purpose: 'any' });
    expect(v.ok).toBe(false);
    const leaf = await attacker.issue({ subject: { commonName: 'evil' }, profile: 'client' });
    const v2 = await verifyChain({
      leaf: leaf.certificatePem,
      trustAnchors: [
        { ...parseCertificate(attacker.certificatePem), fingerprintSha256: anchor.fingerprintSha256 },
      ],
      intermediates: [],
      purpose: 'clientAuth',
    });
    // The anchor given is the attacker's own CA: it verifies as itself, never as the real root.
    if (v2.ok) expect(v2.chain[1]!.fingerprintSha256).not.toBe(anchor.fingerprintSha256);
  });

  it('ignores edited subject / CA fields and copies the DER it keeps', async () => {
    const root = await createCertificateAuthority({ subject: { commonName: 'Root' } });
    const leaf = await root.issue({ subject: { commonName: 'leaf' }, profile: 'client' });
    const leafInfo = parseCertificate(leaf.certificatePem);
    // A leaf that claims to be a CA does not become one.
    const fakeCa = { ...leafInfo, isCA: true, subject: 'CN=Root' };
    const other = await root.issue({ subject: { commonName: 'x' }, profile: 'client' });
    const v = await verifyChain({
      leaf: other.certificatePem,
      intermediates: [fakeCa],
      trustAnchors: root.certificatePem,
      purpose: 'clientAuth',
    });
    expect(v.ok).toBe(true);
    if (v.ok) expect(v.chain).toHaveLength(2);
    // parseCertificate keeps a copy: changing the caller's buffer afterwards changes nothing.
    const der = Uint8Array.from(leafInfo.der);
    const info = parseCertificate(der);
    der.fill(0);
    const v2 = await verifyChain({ leaf: info, trustAnchors: root.certificatePem, purpose: 'clientAuth' });
    expect(v2.ok).toBe(true);
  });

  it('copies a Node Buffer too (Buffer#slice is a view, not a copy)', async () => {
    const root = await createCertificateAuthority({ subject: { commonName: 'Root' } });
    const leaf = await root.issue({ subject: { commonName: 'leaf' }, profile: 'client' });
    const buf = Buffer.from(leaf.certificate.der);
    const info = parseCertificate(buf);
    const fingerprint = info.fingerprintSha256;
    buf.fill(0);
    expect(info.der.every((b) => b === 0)).toBe(false);
    expect(parseCertificate(info.der).fingerprintSha256).toBe(fingerprint);
    const v = await verifyChain({ leaf: info, trustAnchors: root.certificatePem, purpose: 'clientAuth' });
    expect(v.ok).toBe(true);
    // A CSR given as a Buffer is read from a copy as well.
    const { createCsr, parseCsr, generateKeyPair } = await import('@mtlskit/core');
    const csrPem = await createCsr({ key: await generateKeyPair(), subject: { commonName: 'c' } });
    const csrBuf = Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const parsing = parseCsr(csrBuf);
    csrBuf.fill(0);
    await expect(parsing).resolves.toMatchObject({ subject: 'CN=c' });
  });
});
