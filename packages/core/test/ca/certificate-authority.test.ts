import {
  createCertificateAuthority,
  createCsr,
  generateKeyPair,
  isMtlsError,
  parseCertificate,
} from '@mtlskit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openssl, tempDir } from '../helpers/openssl.js';

describe('createCertificateAuthority', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(() => tmp.cleanup());

  async function verify(
    rootPem: string,
    untrusted: string,
    leafPem: string,
    purpose: 'sslclient' | 'sslserver',
  ) {
    const root = await tmp.file(`root-${Math.random()}.pem`, rootPem);
    const leaf = await tmp.file(`leaf-${Math.random()}.pem`, leafPem);
    const args = ['verify', '-x509_strict', '-purpose', purpose, '-CAfile', root];
    if (untrusted) args.push('-untrusted', await tmp.file(`int-${Math.random()}.pem`, untrusted));
    return openssl([...args, leaf]);
  }

  it('issues client, server and dual-use leaves that pass openssl verify -x509_strict for their purpose only', async () => {
    const ca = await createCertificateAuthority({
      subject: { commonName: 'Strict Root', organization: 'Example' },
    });
    const client = await ca.issue({ subject: { commonName: 'client' } });
    const server = await ca.issue({
      profile: 'server',
      subject: { commonName: 'localhost' },
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
    });
    const both = await ca.issue({ profile: 'both', subject: { commonName: 'both' } });
    expect((await verify(ca.certificatePem, '', client.certificatePem, 'sslclient')).code).toBe(0);
    expect((await verify(ca.certificatePem, '', server.certificatePem, 'sslserver')).code).toBe(0);
    expect((await verify(ca.certificatePem, '', both.certificatePem, 'sslserver')).code).toBe(0);
    expect((await verify(ca.certificatePem, '', both.certificatePem, 'sslclient')).code).toBe(0);
    const wrong = await verify(ca.certificatePem, '', client.certificatePem, 'sslserver');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stdout + wrong.stderr).toMatch(
      /unsuitable certificate purpose|unsupported certificate purpose/,
    );
  });

  it('builds root → intermediate → intermediate → leaf chains that openssl accepts, with RSA and ECDSA mixed', async () => {
    const root = await createCertificateAuthority({
      keyAlgorithm: 'RSA-2048',
      subject: 'CN=Mixed Root,O=Example',
    });
    const i1 = await root.createIntermediate({ subject: { commonName: 'Policy CA' }, pathLength: 1 });
    const i2 = await i1.createIntermediate({
      subject: { commonName: 'Issuing CA' },
      pathLength: 0,
      keyAlgorithm: 'ECDSA-P384',
    });
    const key = await generateKeyPair({ algorithm: 'Ed25519' });
    const csr = await createCsr({
      key,
      subject: { commonName: 'agent-7' },
      uris: ['spiffe://example.org/agent-7'],
    });
    const leaf = await i2.issue({ csr });
    expect(leaf.keyPair).toBeUndefined();
    expect(leaf.chainPem).toBe(leaf.certificatePem + i2.certificatePem + i1.certificatePem);
    expect(i2.chainPem).toBe(i2.certificatePem + i1.certificatePem);
    const intermediates = i2.certificatePem + i1.certificatePem;
    expect((await verify(root.certificatePem, intermediates, leaf.certificatePem, 'sslclient')).code).toBe(0);
    expect(parseCertificate(i1.certificatePem).pathLength).toBe(1);
    expect(leaf.certificate.uris).toEqual(['spiffe://example.org/agent-7']);
    // Without the intermediates openssl cannot build the path.
    const missing = await verify(root.certificatePem, '', leaf.certificatePem, 'sslclient');
    expect(missing.stdout + missing.stderr).toMatch(/unable to get local issuer certificate/);
  }, 30_000);

  it('makes expired and not-yet-valid certificates on request, and openssl agrees', async () => {
    const ca = await createCertificateAuthority();
    const expired = await ca.issue({
      subject: { commonName: 'old' },
      notBefore: new Date(Date.now() - 3 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const future = await ca.issue({
      subject: { commonName: 'new' },
      notBefore: new Date(Date.now() + 86_400_000),
      validityMs: 86_400_000,
    });
    expect((await verify(ca.certificatePem, '', expired.certificatePem, 'sslclient')).stderr + '').toMatch(
      /certificate has expired/,
    );
    const fut = await verify(ca.certificatePem, '', future.certificatePem, 'sslclient');
    expect(fut.stdout + fut.stderr).toMatch(/certificate is not yet valid/);
    expect(future.certificate.notAfter.getTime() - future.certificate.notBefore.getTime()).toBe(86_400_000);
  });

  it('uses random positive 128-bit serials', async () => {
    const ca = await createCertificateAuthority();
    const serials = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const s = (await ca.issue({ subject: { commonName: `s${i}` } })).certificate.serialNumber;
      expect(s).toMatch(/^[4-7][0-9a-f]{31}$/);
      serials.add(s);
    }
    expect(serials.size).toBe(20);
    expect(
      (await ca.issue({ subject: { commonName: 'fixed' }, serialNumber: '0abc' })).certificate.serialNumber,
    ).toBe('0abc');
  });

  it('refuses a CSR with a broken signature and bad options with clear errors', async () => {
    const ca = await createCertificateAuthority();
    const key = await generateKeyPair();
    const csr = await createCsr({ key, subject: { commonName: 'victim' } });
    const body = csr.split('\n');
    // Flip a character inside the base64 of the signature area.
    const line = body[body.length - 3]!;
    body[body.length - 3] = line.slice(0, 5) + (line[5] === 'A' ? 'B' : 'A') + line.slice(6);
    const err = await ca.issue({ csr: body.join('\n') }).catch((e: unknown) => e);
    expect(isMtlsError(err)).toBe(true);
    expect(['ERR_MTLS_CSR_SIGNATURE_INVALID', 'ERR_MTLS_CSR_MALFORMED']).toContain(
      (err as { code: string }).code,
    );
    await expect(ca.issue({ subject: { commonName: 'x' }, validityMs: -1 })).rejects.toThrow(RangeError);
    await expect(ca.issue({ subject: { commonName: 'x' }, profile: 'weird' as never })).rejects.toThrow(
      /unknown profile/,
    );
    await expect(ca.issue({})).rejects.toMatchObject({ code: 'ERR_MTLS_INVALID_ARGUMENT' });
  });

  it('keeps raw extensions and signs with another key on request (for tests of bad chains)', async () => {
    const ca = await createCertificateAuthority();
    const other = await generateKeyPair();
    const odd = await ca.issue({
      subject: { commonName: 'odd' },
      extensions: [{ oid: '1.3.6.1.4.1.99999.1', critical: true, value: new Uint8Array([0x05, 0x00]) }],
      signWith: other,
    });
    expect(odd.certificate.extensions).toContainEqual({ oid: '1.3.6.1.4.1.99999.1', critical: true });
    const result = await verify(ca.certificatePem, '', odd.certificatePem, 'sslclient');
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(
      /signature failure|unsupported critical extension|unhandled critical extension/i,
    );
  });
});
