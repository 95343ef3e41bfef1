import { createCertificateAuthority, isMtlsError, validateCredentials, verifyChain } from '@mtlskit/core';
import { describe, expect, it } from 'vitest';

// Finding 6: `purpose` is required; a codeSigning-only or cRLSign-only leaf never verifies
// for TLS by default, and `'any'` applies only when asked for.
describe('purpose', () => {
  it('is required at run time (and in the type)', async () => {
    const ca = await createCertificateAuthority({ subject: { commonName: 'Purpose CA' } });
    const leaf = await ca.issue({ subject: { commonName: 'signer' }, extendedKeyUsage: ['codeSigning'] });
    const options = { leaf: leaf.certificatePem, trustAnchors: ca.certificatePem };
    // @ts-expect-error purpose is required
    const missing = verifyChain(options);
    await expect(missing).rejects.toSatisfy((e) => isMtlsError(e) && e.code === 'ERR_MTLS_INVALID_ARGUMENT');
    await expect(missing).rejects.toThrow(/needs `purpose`/);
  });

  it('refuses a codeSigning-only leaf and a cRLSign-only key for TLS, accepts them for any', async () => {
    const ca = await createCertificateAuthority({ subject: { commonName: 'Purpose CA' } });
    const signer = await ca.issue({ subject: { commonName: 'signer' }, extendedKeyUsage: ['codeSigning'] });
    const crlKey = await ca.issue({
      subject: { commonName: 'crl' },
      keyUsage: ['cRLSign'],
      extendedKeyUsage: [],
    });
    const run = async (pem: string, purpose: 'clientAuth' | 'serverAuth' | 'any') => {
      const v = await verifyChain({ leaf: pem, trustAnchors: ca.certificatePem, purpose });
      return v.ok ? 'ok' : v.code;
    };
    expect(await run(signer.certificatePem, 'clientAuth')).toBe('EXTENDED_KEY_USAGE');
    expect(await run(signer.certificatePem, 'serverAuth')).toBe('EXTENDED_KEY_USAGE');
    expect(await run(crlKey.certificatePem, 'serverAuth')).toBe('KEY_USAGE');
    expect(await run(signer.certificatePem, 'any')).toBe('ok');
    expect(await run(crlKey.certificatePem, 'any')).toBe('ok');
  });

  it('validateCredentials checks for TLS (client or server) unless told otherwise', async () => {
    const ca = await createCertificateAuthority({ subject: { commonName: 'Purpose CA' } });
    const input = async (o: Parameters<typeof ca.issue>[0]) => {
      const c = await ca.issue(o);
      return {
        certificateChainPem: c.certificatePem,
        privateKeyPem: c.privateKeyPem!,
        trustAnchorsPem: ca.certificatePem,
      };
    };
    const signer = await input({ subject: { commonName: 'signer' }, extendedKeyUsage: ['codeSigning'] });
    await expect(validateCredentials(signer)).rejects.toMatchObject({ code: 'ERR_MTLS_CHAIN_INVALID' });
    await expect(validateCredentials(signer, { purpose: 'any' })).resolves.toBeDefined();
    await expect(
      validateCredentials(await input({ subject: { commonName: 's' }, profile: 'server' })),
    ).resolves.toBeDefined();
    await expect(
      validateCredentials(await input({ subject: { commonName: 'c' }, profile: 'client' })),
    ).resolves.toBeDefined();
  });
});
