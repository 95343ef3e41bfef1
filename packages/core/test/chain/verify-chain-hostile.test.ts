import {
  CertificateAuthority,
  createCertificateAuthority,
  generateKeyPair,
  type KeyPair,
} from '@mtlskit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fuzzChain } from '../../../../bench/chain-fuzz.js';
import { verifyChain } from '../../src/chain/verify-chain.js';
import { ncExtension } from './helpers.js';

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

function shuffle<T>(xs: T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('verifyChain on hostile input', () => {
  let trusted: CertificateAuthority;
  let sharedKey: KeyPair;
  beforeAll(async () => {
    trusted = await createCertificateAuthority({ subject: { commonName: 'Unrelated Root' } });
    sharedKey = await generateKeyPair();
  });

  it('100 intermediates sharing one name and one key end quickly', async () => {
    const base = await createCertificateAuthority({
      subject: { commonName: 'Pathological CA' },
      key: sharedKey,
    });
    const pool: string[] = [];
    for (let i = 0; i < 100; i++) {
      pool.push(
        (
          await base.issue({
            profile: 'ca',
            subject: { commonName: 'Pathological CA' },
            publicKey: sharedKey,
          })
        ).certificatePem,
      );
    }
    const leaf = await base.issue({ subject: { commonName: 'victim' } });
    const { value, ms } = await timed(() =>
      verifyChain({
        purpose: 'any',
        leaf: leaf.certificatePem,
        intermediates: pool,
        trustAnchors: trusted.certificatePem,
      }),
    );
    expect(ms).toBeLessThan(1000);
    expect(value.ok).toBe(false);
    if (!value.ok) expect(['UNKNOWN_ISSUER', 'WORK_LIMIT', 'MISSING_INTERMEDIATE']).toContain(value.code);
  }, 60_000);

  it('a chain of 100 same-name CAs with distinct keys ends in UNKNOWN_ISSUER at once when untrusted, in WORK_LIMIT or DEPTH_EXCEEDED when trusted', async () => {
    const top = await createCertificateAuthority({ subject: { commonName: 'Same Name' } });
    let ca = top;
    const pool: string[] = [];
    for (let i = 0; i < 100; i++) {
      ca = await ca.createIntermediate({ subject: { commonName: 'Same Name' } });
      pool.push(ca.certificatePem);
    }
    const leaf = await ca.issue({ subject: { commonName: 'victim' } });
    for (const anchors of [trusted.certificatePem, top.certificatePem]) {
      const { value, ms } = await timed(() =>
        verifyChain({
          purpose: 'any',
          leaf: leaf.certificatePem,
          intermediates: shuffle(pool),
          trustAnchors: anchors,
        }),
      );
      expect(ms).toBeLessThan(1000);
      expect(value.ok).toBe(false);
      // Untrusted: no issuer name leads to an anchor, so path building stops at once.
      const codes =
        anchors === trusted.certificatePem ? ['UNKNOWN_ISSUER'] : ['WORK_LIMIT', 'DEPTH_EXCEEDED'];
      if (!value.ok) expect(codes).toContain(value.code);
    }
    // Within maxDepth the same material verifies.
    const short = pool.slice(-5);
    const fifth = await createCertificateAuthority({ subject: { commonName: 'Other' } });
    expect(
      (
        await verifyChain({
          purpose: 'any',
          leaf: leaf.certificatePem,
          intermediates: short,
          trustAnchors: fifth.certificatePem,
        })
      ).ok,
    ).toBe(false);
  }, 60_000);

  it('100 distinct-name intermediates all cross-signing each other end under a second', async () => {
    const cas: CertificateAuthority[] = [];
    for (let i = 0; i < 10; i++)
      cas.push(await createCertificateAuthority({ subject: { commonName: `Mesh ${i}` } }));
    const pool: string[] = [];
    for (const a of cas) {
      for (const b of cas) {
        if (a === b) continue;
        pool.push(
          (await a.issue({ profile: 'ca', subject: b.certificate.subject, publicKey: b.keyPair }))
            .certificatePem,
        );
      }
    }
    const leaf = await cas[0]!.issue({ subject: { commonName: 'victim' } });
    const { value, ms } = await timed(() =>
      verifyChain({
        purpose: 'any',
        leaf: leaf.certificatePem,
        intermediates: pool,
        trustAnchors: trusted.certificatePem,
      }),
    );
    expect(ms).toBeLessThan(1000);
    expect(value.ok).toBe(false);
    // The same mesh with one CA trusted verifies: path building finds the way out.
    const good = await verifyChain({
      purpose: 'any',
      leaf: leaf.certificatePem,
      intermediates: pool,
      trustAnchors: cas[7]!.certificatePem,
    });
    expect(good.ok).toBe(true);
  }, 60_000);

  it('two CAs signing each other in a loop: no hang, a loop verdict', async () => {
    const a = await createCertificateAuthority({ subject: { commonName: 'Loop A' } });
    const b = await createCertificateAuthority({ subject: { commonName: 'Loop B' } });
    const aByB = await b.issue({ profile: 'ca', subject: 'CN=Loop A', publicKey: a.keyPair });
    const bByA = await a.issue({ profile: 'ca', subject: 'CN=Loop B', publicKey: b.keyPair });
    const leaf = await a.issue({ subject: { commonName: 'victim' } });
    const v = await verifyChain({
      purpose: 'any',
      leaf: leaf.certificatePem,
      intermediates: [aByB.certificatePem, bByA.certificatePem],
      trustAnchors: trusted.certificatePem,
    });
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.code).toBe('MISSING_INTERMEDIATE');
  });

  it('a name-constraint blow-up (1,000 subtrees × 1,000 SANs) ends in WORK_LIMIT under a second', async () => {
    const permitted = Array.from({ length: 1000 }, (_, i) => `dns:zone${i}.example.com`);
    const ica = await trusted.createIntermediate({
      subject: { commonName: 'Huge NC' },
      extensions: [ncExtension({ permitted })],
    });
    const dnsNames = Array.from({ length: 1000 }, (_, i) => `host${i}.zone999.example.com`);
    const leaf = await ica.issue({ subject: { commonName: 'many' }, profile: 'server', dnsNames });
    const { value, ms } = await timed(() =>
      verifyChain({ purpose: 'any', leaf: leaf.chainPem, trustAnchors: trusted.certificatePem }),
    );
    expect(ms).toBeLessThan(1000);
    expect(!value.ok && value.code).toBe('WORK_LIMIT');
    // A generous limit lets the same input through, correctly.
    const big = await verifyChain({
      purpose: 'any',
      leaf: leaf.chainPem,
      trustAnchors: trusted.certificatePem,
      limits: { nameConstraintChecks: 2_000_000 },
    });
    expect(big.ok).toBe(true);
  }, 60_000);

  it('10,000 mutated DER/PEM inputs give only verdicts or MtlsErrors', async () => {
    const stats = await fuzzChain(10_000, 7);
    expect(stats.crashes).toEqual([]);
    expect(stats.inputs).toBe(10_000);
    expect(stats.verdicts + stats.mtlsErrors).toBe(10_000);
    expect(stats.slowestMs).toBeLessThan(1000);
  }, 120_000);
});

// Keeps the public class import honest: hostile tests build CAs from raw issued certificates.
it('CertificateAuthority is constructible from an issued CA certificate', async () => {
  const r = await createCertificateAuthority({ subject: { commonName: 'R' } });
  const key = await generateKeyPair();
  const i = await r.issue({ profile: 'ca', subject: { commonName: 'I' }, publicKey: key });
  const ca = new CertificateAuthority(i.certificate, key, i.chainPem);
  const leaf = await ca.issue({ subject: { commonName: 'x' } });
  expect(
    (await verifyChain({ purpose: 'any', leaf: leaf.chainPem, trustAnchors: r.certificatePem })).ok,
  ).toBe(true);
});
