import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  createCertificateAuthority,
  joinPem,
  parseCertificate,
  parseCertificates,
  splitPemBundle,
} from '@mtlskit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openssl, tempDir } from '../helpers/openssl.js';

describe('parseCertificate', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(() => tmp.cleanup());

  it('reads every field the way openssl x509 prints it', async () => {
    const ca = await createCertificateAuthority({
      subject: { commonName: 'Field Root', organization: 'Example' },
    });
    const leaf = await ca.issue({
      profile: 'both',
      subject: { commonName: 'svc.example.com', organization: 'Example' },
      dnsNames: ['svc.example.com', 'localhost'],
      ipAddresses: ['127.0.0.1', '2001:db8::1'],
      uris: ['spiffe://example.org/svc'],
      emails: ['svc@example.com'],
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2051-06-01T12:30:00Z'), // after 2049: GeneralizedTime
    });
    const info = parseCertificate(leaf.certificatePem);
    const file = await tmp.file('leaf.pem', leaf.certificatePem);
    const fp256 = await openssl(['x509', '-in', file, '-noout', '-fingerprint', '-sha256']);
    const fp1 = await openssl(['x509', '-in', file, '-noout', '-fingerprint', '-sha1']);
    const serial = await openssl(['x509', '-in', file, '-noout', '-serial']);
    const dates = await openssl([
      'x509',
      '-in',
      file,
      '-noout',
      '-startdate',
      '-enddate',
      '-dateopt',
      'iso_8601',
    ]);
    const subject = await openssl([
      'x509',
      '-in',
      file,
      '-noout',
      '-subject',
      '-issuer',
      '-nameopt',
      'RFC2253',
    ]);
    const spki = await openssl(['x509', '-in', file, '-noout', '-pubkey']);
    const spkiFile = await tmp.file('spki.pem', spki.stdout);
    await openssl(['pkey', '-pubin', '-in', spkiFile, '-outform', 'DER', '-out', `${spkiFile}.der`]);
    const spkiDer = await readFile(`${spkiFile}.der`);
    expect(fp256.stdout.trim()).toBe(`sha256 Fingerprint=${info.fingerprintSha256}`);
    expect(fp1.stdout.trim()).toBe(`sha1 Fingerprint=${info.fingerprintSha1}`);
    expect(serial.stdout.trim()).toBe(`serial=${info.serialNumber.toUpperCase()}`);
    expect(info.serialNumber).toMatch(/^[0-9a-f]{32}$/);
    expect(dates.stdout).toContain('notBefore=2026-01-01 00:00:00Z');
    expect(dates.stdout).toContain('notAfter=2051-06-01 12:30:00Z');
    expect(info.notBefore.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(info.notAfter.toISOString()).toBe('2051-06-01T12:30:00.000Z');
    expect(subject.stdout).toContain(`subject=${info.subject}`);
    expect(subject.stdout).toContain(`issuer=${info.issuer}`);
    expect(info.subject).toBe('CN=svc.example.com,O=Example');
    expect(info.issuer).toBe('CN=Field Root,O=Example');
    expect(info.commonName).toBe('svc.example.com');
    expect(info.dnsNames).toEqual(['svc.example.com', 'localhost']);
    expect(info.ipAddresses).toEqual(['127.0.0.1', '2001:db8::1']);
    expect(info.uris).toEqual(['spiffe://example.org/svc']);
    expect(info.emails).toEqual(['svc@example.com']);
    expect(info.extendedKeyUsage).toEqual(['serverAuth', 'clientAuth']);
    expect(info.keyUsage).toEqual(['digitalSignature']);
    expect(info.isCA).toBe(false);
    expect(info.selfIssued).toBe(false);
    expect(info.publicKeyAlgorithm).toBe('ECDSA');
    expect(info.publicKeySize).toBe(256);
    expect(info.publicKeyCurve).toBe('P-256');
    expect(info.signatureAlgorithm).toBe('ecdsa-with-SHA256');
    expect(info.authorityKeyId).toBe(ca.certificate.subjectKeyId);
    expect(info.spkiSha256).toBe(createHash('sha256').update(spkiDer).digest('base64'));
    expect(info.pem).toBe(leaf.certificatePem);

    const root = parseCertificate(ca.certificatePem);
    expect(root.isCA).toBe(true);
    expect(root.selfIssued).toBe(true);
    expect(root.keyUsage).toEqual(['keyCertSign', 'cRLSign']);
    expect(root.pathLength).toBeUndefined();
  });

  it('reads certificates that openssl made (RSA, DER input, critical flags)', async () => {
    const keyFile = `${tmp.dir}/rsa.key`;
    const made = await openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-subj',
      '/C=US/O=Acme, Inc./CN=legacy',
      '-days',
      '30',
      '-addext',
      'basicConstraints=critical,CA:TRUE,pathlen:2',
      '-addext',
      'keyUsage=critical,keyCertSign',
    ]);
    expect(made.code).toBe(0);
    const info = parseCertificate(made.stdout);
    expect(info.subject).toBe('CN=legacy,O=Acme\\, Inc.,C=US');
    expect(info.isCA).toBe(true);
    expect(info.pathLength).toBe(2);
    expect(info.publicKeyAlgorithm).toBe('RSA');
    expect(info.publicKeySize).toBe(2048);
    expect(info.signatureAlgorithm).toBe('sha256WithRSAEncryption');
    expect(info.extensions.find((e) => e.oid === '2.5.29.19')?.critical).toBe(true);
    const pemFile = await tmp.file('legacy.pem', made.stdout);
    await openssl(['x509', '-in', pemFile, '-outform', 'DER', '-out', `${pemFile}.der`]);
    const fromDer = parseCertificate(new Uint8Array(await readFile(`${pemFile}.der`)));
    expect(fromDer.fingerprintSha256).toBe(info.fingerprintSha256);
  });
});

describe('PEM bundles', () => {
  it('splits a bundle with junk between blocks and CRLF line ends, and joins with newline termination', async () => {
    const ca = await createCertificateAuthority();
    const a = await ca.issue({ subject: { commonName: 'a' } });
    const b = await ca.issue({ subject: { commonName: 'b' } });
    const messy = `subject=CN=a\r\n${a.certificatePem.replace(/\n/g, '\r\n').trim()}Bag Attributes\n${b.certificatePem.trim()}`;
    const parts = splitPemBundle(messy);
    expect(parts).toEqual([a.certificatePem, b.certificatePem]);
    const joined = joinPem([a.certificatePem.trim(), b.certificate]);
    expect(joined).toBe(a.certificatePem + b.certificatePem);
    expect(joined.endsWith('\n')).toBe(true);
    expect(joinPem([`${a.certificatePem}\n\n`, ''])).toBe(a.certificatePem);
    expect(parseCertificates(joined).map((c) => c.commonName)).toEqual(['a', 'b']);
    expect(splitPemBundle('no pem here')).toEqual([]);
  });
});
