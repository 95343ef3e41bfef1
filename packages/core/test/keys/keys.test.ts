import { inspect } from 'node:util';
import {
  createCertificateAuthority,
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateKeyPair,
  importPrivateKey,
  isMtlsError,
  type KeyAlgorithm,
  keyMatchesCertificate,
} from '@mtlskit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openssl, tempDir } from '../helpers/openssl.js';

const ALGORITHMS: KeyAlgorithm[] = [
  'ECDSA-P256',
  'ECDSA-P384',
  'RSA-2048',
  'RSA-3072',
  'RSA-4096',
  'Ed25519',
];

describe('generateKeyPair / export / import', () => {
  for (const algorithm of ALGORITHMS) {
    it(`round-trips ${algorithm} through PKCS#8 and SPKI PEM that OpenSSL reads`, async () => {
      const key = await generateKeyPair({ algorithm });
      expect(key.algorithm).toBe(algorithm);
      const pem = await exportPrivateKeyPem(key);
      expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
      const spki = await exportPublicKeyPem(key);
      expect(spki).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
      const again = await importPrivateKey(pem);
      expect(again.algorithm).toBe(algorithm);
      expect(await exportPublicKeyPem(again)).toBe(spki);
      // OpenSSL derives the same public key from our PKCS#8.
      const derived = await openssl(['pkey', '-pubout'], pem);
      expect(derived.code).toBe(0);
      expect(derived.stdout).toBe(spki);
    }, 60_000);
  }

  it('defaults to ECDSA P-256', async () => {
    expect((await generateKeyPair()).algorithm).toBe('ECDSA-P256');
  });

  it('refuses an unknown algorithm with a coded error', async () => {
    const err = await generateKeyPair({ algorithm: 'DSA-1024' as KeyAlgorithm }).catch((e: unknown) => e);
    expect(isMtlsError(err) && err.code).toBe('ERR_MTLS_UNSUPPORTED_ALGORITHM');
  });
});

describe('importPrivateKey legacy formats', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(() => tmp.cleanup());

  it('imports SEC1 "EC PRIVATE KEY" from openssl ecparam, P-256 and P-384', async () => {
    for (const [curve, alg] of [
      ['prime256v1', 'ECDSA-P256'],
      ['secp384r1', 'ECDSA-P384'],
    ] as const) {
      const gen = await openssl(['ecparam', '-name', curve, '-genkey']);
      expect(gen.stdout).toContain('BEGIN EC PRIVATE KEY');
      const key = await importPrivateKey(gen.stdout);
      expect(key.algorithm).toBe(alg);
      const pub = await openssl(['ec', '-pubout'], gen.stdout);
      expect(await exportPublicKeyPem(key)).toBe(pub.stdout);
    }
  });

  it('imports SEC1 without the embedded public key (openssl ec -no_public)', async () => {
    const gen = await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout']);
    const noPublic = await openssl(['ec', '-no_public'], gen.stdout);
    expect(noPublic.stdout).toContain('BEGIN EC PRIVATE KEY');
    const key = await importPrivateKey(noPublic.stdout);
    expect(key.algorithm).toBe('ECDSA-P256');
    const pub = await openssl(['ec', '-pubout'], gen.stdout);
    expect(await exportPublicKeyPem(key)).toBe(pub.stdout);
  });

  it('imports PKCS#1 "RSA PRIVATE KEY" as written by openssl -traditional', async () => {
    const gen = await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']);
    const pkcs1 = await openssl(['rsa', '-traditional'], gen.stdout);
    expect(pkcs1.stdout).toContain('BEGIN RSA PRIVATE KEY');
    const key = await importPrivateKey(pkcs1.stdout);
    expect(key.algorithm).toBe('RSA-2048');
    const pub = await openssl(['pkey', '-pubout'], gen.stdout);
    expect(await exportPublicKeyPem(key)).toBe(pub.stdout);
  }, 30_000);

  it('imports an OpenSSL Ed25519 PKCS#8 key and PKCS#8 DER bytes', async () => {
    const gen = await openssl(['genpkey', '-algorithm', 'ed25519']);
    const key = await importPrivateKey(gen.stdout);
    expect(key.algorithm).toBe('Ed25519');
    const p = await tmp.file('ed.pem', gen.stdout);
    const der = await openssl(['pkey', '-in', p, '-outform', 'DER', '-out', `${p}.der`]);
    expect(der.code).toBe(0);
    const { readFile } = await import('node:fs/promises');
    const fromDer = await importPrivateKey(new Uint8Array(await readFile(`${p}.der`)));
    expect(await exportPublicKeyPem(fromDer)).toBe(await exportPublicKeyPem(key));
  });

  it('refuses encrypted keys with ERR_MTLS_KEY_ENCRYPTED and no key material in the message', async () => {
    const gen = await openssl([
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-aes256',
      '-pass',
      'pass:secret',
    ]);
    const err = await importPrivateKey(gen.stdout).catch((e: unknown) => e);
    expect(isMtlsError(err) && err.code).toBe('ERR_MTLS_KEY_ENCRYPTED');
    expect(String((err as Error).message)).not.toMatch(/MII|secret/);
  });
});

describe('keyMatchesCertificate', () => {
  it('is true for the certified key and false for another key, also across algorithms', async () => {
    const ca = await createCertificateAuthority();
    const issued = await ca.issue({ subject: { commonName: 'agent' } });
    expect(await keyMatchesCertificate(issued.keyPair!, issued.certificate)).toBe(true);
    expect(await keyMatchesCertificate(issued.privateKeyPem!, issued.certificatePem)).toBe(true);
    expect(await keyMatchesCertificate(await generateKeyPair(), issued.certificate)).toBe(false);
    expect(
      await keyMatchesCertificate(await generateKeyPair({ algorithm: 'ECDSA-P384' }), issued.certificate),
    ).toBe(false);
    expect(
      await keyMatchesCertificate(await generateKeyPair({ algorithm: 'Ed25519' }), issued.certificate),
    ).toBe(false);
    const rsa = await ca.issue({ subject: { commonName: 'rsa' }, keyAlgorithm: 'RSA-2048' });
    expect(await keyMatchesCertificate(rsa.keyPair!, rsa.certificate)).toBe(true);
    expect(await keyMatchesCertificate(issued.keyPair!, rsa.certificate)).toBe(false);
  }, 30_000);
});

describe('secrets', () => {
  it('never shows key material in util.inspect or JSON of a key pair or a CA', async () => {
    const key = await generateKeyPair();
    const pem = await exportPrivateKeyPem(key);
    const body = pem.split('\n')[1]!.slice(0, 40);
    const ca = await createCertificateAuthority({ key });
    for (const shown of [
      inspect(key, { depth: 10, showHidden: true }),
      JSON.stringify(key),
      inspect(ca, { depth: 10 }),
      JSON.stringify(ca),
    ]) {
      expect(shown).not.toContain(body);
      expect(shown).not.toContain('PRIVATE KEY');
    }
  });
});
