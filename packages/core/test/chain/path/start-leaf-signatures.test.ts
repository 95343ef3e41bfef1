// The leaf's signature check starts before the per-certificate checks (so the platform hashes
// a big leaf meanwhile); path building must use those results, count them once, and reach
// the same verdicts.
import { type CryptoProvider, createCertificateAuthority } from '@mtlskit/core';
import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../../src/chain/verify-chain.js';

/** The platform's WebCrypto, counting `verify` calls. */
function countingCrypto(): { provider: CryptoProvider; calls: () => number } {
  let n = 0;
  const subtle = globalThis.crypto.subtle;
  const wrapped = Object.create(subtle) as SubtleCrypto;
  wrapped.verify = ((...args: Parameters<SubtleCrypto['verify']>) => {
    n++;
    return subtle.verify(...args);
  }) as SubtleCrypto['verify'];
  for (const m of ['importKey', 'digest', 'sign', 'exportKey', 'generateKey'] as const)
    (wrapped as unknown as Record<string, unknown>)[m] = (subtle[m] as (...a: unknown[]) => unknown).bind(
      subtle,
    );
  return {
    provider: {
      subtle: wrapped,
      getRandomValues: globalThis.crypto.getRandomValues.bind(
        globalThis.crypto,
      ) as CryptoProvider['getRandomValues'],
    },
    calls: () => n,
  };
}

describe('early leaf signature checks', () => {
  it('are taken by path building: one verify call for leaf + anchor', async () => {
    const ca = await createCertificateAuthority({ subject: { commonName: 'Early CA' } });
    const leaf = await ca.issue({ subject: { commonName: 'e' }, profile: 'client' });
    const { provider, calls } = countingCrypto();
    const v = await verifyChain({
      leaf: leaf.certificate.der,
      trustAnchors: ca.certificatePem,
      purpose: 'clientAuth',
      crypto: provider,
    });
    expect(v.ok).toBe(true);
    expect(calls()).toBe(1);
  });

  it('give the same verdicts with a re-keyed anchor of the same name, in either order', async () => {
    const oldCa = await createCertificateAuthority({ subject: { commonName: 'Same Name CA' } });
    const newCa = await createCertificateAuthority({ subject: { commonName: 'Same Name CA' } });
    const leaf = await newCa.issue({ subject: { commonName: 'x' }, profile: 'client' });
    for (const anchors of [
      [oldCa.certificatePem, newCa.certificatePem],
      [newCa.certificatePem, oldCa.certificatePem],
    ]) {
      const v = await verifyChain({
        leaf: leaf.certificatePem,
        trustAnchors: anchors,
        purpose: 'clientAuth',
      });
      expect(v.ok).toBe(true);
      if (v.ok) expect(v.chain[1]!.fingerprintSha256).toBe(newCa.certificate.fingerprintSha256);
    }
    const only = await verifyChain({
      leaf: leaf.certificatePem,
      trustAnchors: oldCa.certificatePem,
      purpose: 'clientAuth',
    });
    expect(only).toMatchObject({ ok: false, code: 'ISSUER_KEY_MISMATCH' });
  });

  it('count against the signature-check limit as path building uses them', async () => {
    const ca = await createCertificateAuthority({ subject: { commonName: 'Limit CA' } });
    const leaf = await ca.issue({ subject: { commonName: 'l' }, profile: 'client' });
    const ok = await verifyChain({
      leaf: leaf.certificatePem,
      trustAnchors: ca.certificatePem,
      purpose: 'clientAuth',
      limits: { signatureChecks: 1 },
    });
    expect(ok.ok).toBe(true);
  });

  it('a pinned leaf (the anchor itself) needs no signature check', async () => {
    const ca = await createCertificateAuthority({ subject: { commonName: 'Pinned' } });
    const leaf = await ca.issue({ subject: { commonName: 'pinned-leaf' }, profile: 'client' });
    const { provider, calls } = countingCrypto();
    const v = await verifyChain({
      leaf: leaf.certificatePem,
      trustAnchors: [leaf.certificatePem, ca.certificatePem],
      purpose: 'clientAuth',
      crypto: provider,
    });
    expect(v.ok).toBe(true);
    expect(calls()).toBe(0);
  });
});
