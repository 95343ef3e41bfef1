import { compareTrustBundles, createCertificateAuthority, isMtlsError } from '@mtlskit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openssl, tempDir } from '../helpers/openssl.js';

describe('compareTrustBundles', () => {
  let rootA: Awaited<ReturnType<typeof createCertificateAuthority>>;
  let rootARegenerated: Awaited<ReturnType<typeof createCertificateAuthority>>;
  let rootB: Awaited<ReturnType<typeof createCertificateAuthority>>;
  const tmp = tempDir();

  beforeAll(async () => {
    rootA = await createCertificateAuthority({
      subject: { commonName: 'Fleet Root', organization: 'Example' },
    });
    rootARegenerated = await createCertificateAuthority({
      subject: { commonName: 'Fleet Root', organization: 'Example' },
    });
    rootB = await createCertificateAuthority({ subject: { commonName: 'Partner Root' } });
  });
  afterAll(async () => (await tmp).cleanup());

  it('reports identical bundles as identical, each certificate once', () => {
    const cmp = compareTrustBundles({
      agent: rootA.certificatePem,
      gateway: rootA.certificatePem + rootA.certificatePem,
    });
    expect(cmp.identical).toBe(true);
    expect(cmp.common).toHaveLength(1);
    expect(cmp.common[0]!.presentIn).toEqual(['agent', 'gateway']);
    expect(cmp.partial).toEqual([]);
    expect(cmp.regenerated).toEqual([]);
    expect(cmp.bundles.map((b) => b.certificates.length)).toEqual([1, 1]);
  });

  it('lists CAs present in some bundles but not all, and where they are missing', () => {
    const cmp = compareTrustBundles({
      a: rootA.certificatePem + rootB.certificatePem,
      b: rootA.certificatePem,
      c: rootB.certificatePem + rootA.certificatePem,
    });
    expect(cmp.identical).toBe(false);
    expect(cmp.common.map((e) => e.subject)).toEqual([rootA.certificate.subject]);
    expect(cmp.partial).toHaveLength(1);
    expect(cmp.partial[0]!.subject).toBe('CN=Partner Root');
    expect(cmp.partial[0]!.presentIn).toEqual(['a', 'c']);
    expect(cmp.partial[0]!.missingFrom).toEqual(['b']);
    expect(cmp.regenerated).toEqual([]);
  });

  it('finds a CA regenerated under the same subject with a different key', () => {
    const cmp = compareTrustBundles({
      old: rootA.certificatePem,
      new: rootARegenerated.certificatePem + rootB.certificatePem,
    });
    expect(cmp.regenerated).toHaveLength(1);
    const r = cmp.regenerated[0]!;
    expect(r.subject).toBe(rootA.certificate.subject);
    expect(r.variants.map((v) => v.fingerprintSha256).sort()).toEqual(
      [rootA.certificate.fingerprintSha256, rootARegenerated.certificate.fingerprintSha256].sort(),
    );
    expect(new Set(r.variants.map((v) => v.spkiSha256)).size).toBe(2);
    expect(
      r.variants.find((v) => v.fingerprintSha256 === rootA.certificate.fingerprintSha256)!.presentIn,
    ).toEqual(['old']);
    expect(cmp.partial.map((p) => p.subject).sort()).toEqual(
      ['CN=Fleet Root,O=Example', 'CN=Fleet Root,O=Example', 'CN=Partner Root'].sort(),
    );
  });

  it('does not call a CA re-issued with the same key "regenerated"', async () => {
    const sameKey = await createCertificateAuthority({
      subject: { commonName: 'Fleet Root', organization: 'Example' },
      key: rootA.keyPair,
    });
    const cmp = compareTrustBundles({ a: rootA.certificatePem, b: sameKey.certificatePem });
    expect(cmp.regenerated).toEqual([]);
    expect(cmp.partial).toHaveLength(2);
  });

  it('reports fingerprints exactly as openssl prints them', async () => {
    const t = await tmp;
    const file = await t.file('a.pem', rootA.certificatePem);
    const r = await openssl(['x509', '-in', file, '-noout', '-fingerprint', '-sha256']);
    expect(r.code).toBe(0);
    const cmp = compareTrustBundles({ a: rootA.certificatePem, b: rootB.certificatePem });
    expect(r.stdout.trim()).toBe(`sha256 Fingerprint=${cmp.bundles[0]!.certificates[0]!.fingerprintSha256}`);
  });

  it('accepts parsed certificates as well as PEM', () => {
    const cmp = compareTrustBundles({ a: [rootA.certificate], b: rootA.certificatePem });
    expect(cmp.identical).toBe(true);
  });

  it('refuses fewer than two bundles, empty bundles and bad PEM with coded errors naming the bundle', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(isMtlsError(e)).toBe(true);
        return { code: (e as { code: string }).code, message: (e as Error).message };
      }
      throw new Error('expected a throw');
    };
    expect(code(() => compareTrustBundles({ a: rootA.certificatePem })).code).toBe(
      'ERR_MTLS_INVALID_ARGUMENT',
    );
    const empty = code(() => compareTrustBundles({ a: rootA.certificatePem, secret: 'no pem here' }));
    expect(empty.code).toBe('ERR_MTLS_INVALID_ARGUMENT');
    expect(empty.message).toContain('"secret"');
    const broken = code(() =>
      compareTrustBundles({
        a: rootA.certificatePem,
        b: '-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n',
      }),
    );
    expect(broken.code).toBe('ERR_MTLS_PEM_MALFORMED');
    expect(broken.message).toContain('Bundle "b"');
  });
});
