import {
  createCertificateAuthority,
  createCsr,
  exportPrivateKeyPem,
  generateKeyPair,
  importPrivateKey,
  keyMatchesCertificate,
  parseCsr,
  setCryptoProvider,
} from '@mtlskit/core';
import { Crypto } from '@peculiar/webcrypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openssl, tempDir } from '../helpers/openssl.js';

describe('an injected WebCrypto provider (@peculiar/webcrypto)', () => {
  const peculiar = new Crypto();
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(() => tmp.cleanup());
  afterEach(() => setCryptoProvider(undefined));

  for (const algorithm of ['ECDSA-P256', 'ECDSA-P384', 'RSA-2048', 'Ed25519'] as const) {
    it(`does keys, CSRs and a CA with ${algorithm} through the provider passed per call`, async () => {
      const key = await generateKeyPair({ algorithm, crypto: peculiar });
      expect(key.crypto).toBe(peculiar);
      const csr = await createCsr({ key, subject: { commonName: 'peculiar' }, dnsNames: ['p.example'] });
      expect((await parseCsr(csr, { crypto: peculiar })).signatureValid).toBe(true);
      expect(
        (await openssl(['req', '-verify', '-noout', '-in', await tmp.file(`${algorithm}.csr`, csr)])).code,
      ).toBe(0);
      const ca = await createCertificateAuthority({ crypto: peculiar, keyAlgorithm: algorithm });
      const leaf = await ca.issue({ csr });
      const root = await tmp.file(`${algorithm}-root.pem`, ca.certificatePem);
      const v = await openssl([
        'verify',
        '-x509_strict',
        '-purpose',
        'sslclient',
        '-CAfile',
        root,
        await tmp.file(`${algorithm}-leaf.pem`, leaf.certificatePem),
      ]);
      expect(v.code).toBe(0);
      const pem = await exportPrivateKeyPem(key);
      const again = await importPrivateKey(pem, { crypto: peculiar });
      expect(await keyMatchesCertificate(again, leaf.certificate)).toBe(true);
      // Keys cross providers through PEM: the native provider reads what @peculiar wrote.
      expect(await keyMatchesCertificate(await importPrivateKey(pem), leaf.certificate)).toBe(true);
    }, 30_000);
  }

  it('is used by default once set with setCryptoProvider, and reset with undefined', async () => {
    setCryptoProvider(peculiar);
    const key = await generateKeyPair();
    expect(key.crypto).toBe(peculiar);
    setCryptoProvider(undefined);
    expect((await generateKeyPair()).crypto).toBe(globalThis.crypto);
    expect(() => setCryptoProvider({} as never)).toThrow(TypeError);
  });
});
