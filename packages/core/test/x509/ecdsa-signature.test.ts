import { createCertificateAuthority, parseCertificate, verifyChain } from '@mtlskit/core';
import { describe, expect, it } from 'vitest';
import { at, encode, type Node, tree } from '../helpers/der-mutator.js';

// Finding 2: an ECDSA-Sig-Value must be strict DER, or anyone can mint new encodings (new
// fingerprints) of any ECDSA-signed certificate that still verify.
describe('ECDSA signature malleability', () => {
  it('refuses re-encoded signatures that carry the same r and s', async () => {
    const ca = await createCertificateAuthority({
      subject: { commonName: 'EC CA' },
      keyAlgorithm: 'ECDSA-P256',
    });
    const leaf = await ca.issue({ subject: { commonName: 'leaf' }, profile: 'client' });
    const ok = await verifyChain({
      leaf: leaf.certificatePem,
      trustAnchors: ca.certificatePem,
      purpose: 'clientAuth',
    });
    expect(ok.ok).toBe(true);

    const variants: Record<string, (sig: Node) => void> = {
      'a third INTEGER': (sig) => sig.kids!.push({ tag: 0x02, value: Uint8Array.of(1) }),
      'a non-minimal r': (sig) => {
        const r = sig.kids![0]!;
        r.value = Uint8Array.from([0x00, ...(r.value![0]! & 0x80 ? [] : [0x00]), ...r.value!]);
      },
      'a negative-looking s': (sig) => {
        const s = sig.kids![1]!;
        if (s.value![0] === 0) s.value = s.value!.subarray(1);
      },
      'a trailing NULL': (sig) => sig.kids!.push({ tag: 0x05, value: new Uint8Array(0) }),
    };
    const fingerprints = new Set([parseCertificate(leaf.certificatePem).fingerprintSha256]);
    for (const [name, edit] of Object.entries(variants)) {
      const t = tree(leaf.certificate.der);
      const sig = at(t, 2, 0); // signatureValue BIT STRING wraps the ECDSA-Sig-Value
      edit(sig);
      const der = encode(t);
      const fp = parseCertificate(der).fingerprintSha256;
      if (fingerprints.has(fp)) continue; // the edit did not change this signature's bytes
      fingerprints.add(fp);
      const v = await verifyChain({ leaf: der, trustAnchors: ca.certificatePem, purpose: 'clientAuth' });
      expect(v.ok, name).toBe(false);
    }
    expect(fingerprints.size).toBeGreaterThanOrEqual(4);
  });
});
