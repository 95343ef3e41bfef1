import { createCsr, generateKeyPair, isMtlsError, type KeyAlgorithm, parseCsr } from '@mtlskit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openssl, tempDir } from '../helpers/openssl.js';

describe('createCsr', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(() => tmp.cleanup());

  for (const algorithm of ['ECDSA-P256', 'ECDSA-P384', 'RSA-2048', 'Ed25519'] as KeyAlgorithm[]) {
    it(`makes a ${algorithm} CSR that openssl req -verify accepts, with every requested field`, async () => {
      const key = await generateKeyPair({ algorithm });
      const pem = await createCsr({
        key,
        subject: {
          commonName: 'agent-1',
          organization: 'Example Corp',
          organizationalUnit: ['Ops', 'Edge'],
          country: 'DE',
        },
        dnsNames: ['agent-1.example.com', '*.agents.example.com'],
        ipAddresses: ['127.0.0.1', '::1'],
        uris: ['spiffe://example.org/ns/prod/sa/agent-1'],
        emails: ['ops@example.com'],
        extendedKeyUsage: ['clientAuth', 'serverAuth'],
        keyUsage: ['digitalSignature'],
      });
      expect(pem.endsWith('-----END CERTIFICATE REQUEST-----\n')).toBe(true);
      const file = await tmp.file(`${algorithm}.csr`, pem);
      const verify = await openssl(['req', '-verify', '-noout', '-in', file]);
      expect(verify.code).toBe(0);
      expect(verify.stdout + verify.stderr).toMatch(/verify OK/);
      const text = await openssl(['req', '-noout', '-text', '-in', file]);
      expect(text.stdout).toContain('CN = agent-1');
      expect(text.stdout).toContain('DNS:agent-1.example.com');
      expect(text.stdout).toContain('IP Address:0:0:0:0:0:0:0:1');
      expect(text.stdout).toContain('URI:spiffe://example.org/ns/prod/sa/agent-1');
      expect(text.stdout).toContain('email:ops@example.com');
      expect(text.stdout).toContain('TLS Web Client Authentication');

      const parsed = await parseCsr(pem);
      expect(parsed.signatureValid).toBe(true);
      expect(parsed.commonName).toBe('agent-1');
      expect(parsed.subject).toBe('CN=agent-1,OU=Edge,OU=Ops,O=Example Corp,C=DE');
      expect(parsed.dnsNames).toEqual(['agent-1.example.com', '*.agents.example.com']);
      expect(parsed.ipAddresses).toEqual(['127.0.0.1', '::1']);
      expect(parsed.uris).toEqual(['spiffe://example.org/ns/prod/sa/agent-1']);
      expect(parsed.emails).toEqual(['ops@example.com']);
      expect(parsed.extendedKeyUsage).toEqual(['clientAuth', 'serverAuth']);
      expect(parsed.keyUsage).toEqual(['digitalSignature']);
      expect(parsed.publicKeyAlgorithm).toBe(algorithm.split('-')[0]);
    }, 30_000);
  }

  it('accepts an RFC 4514 subject string, escapes included', async () => {
    const key = await generateKeyPair();
    const pem = await createCsr({ key, subject: 'CN=alloc:tok-123\\, primary,O=Example\\+Co,C=US' });
    const parsed = await parseCsr(pem);
    expect(parsed.commonName).toBe('alloc:tok-123, primary');
    expect(parsed.subjectAttributes.map((a) => [a.type, a.value])).toEqual([
      ['C', 'US'],
      ['O', 'Example+Co'],
      ['CN', 'alloc:tok-123, primary'],
    ]);
    expect(parsed.subject).toBe('CN=alloc:tok-123\\, primary,O=Example\\+Co,C=US');
    const file = await tmp.file('rfc4514.csr', pem);
    const subj = await openssl(['req', '-noout', '-subject', '-nameopt', 'RFC2253', '-in', file]);
    expect(subj.stdout.trim()).toBe('subject=CN=alloc:tok-123\\, primary,O=Example\\+Co,C=US');
  });

  it('parses a CSR made by openssl req', async () => {
    const keyFile = await tmp.file(
      'k.pem',
      (await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'])).stdout,
    );
    const made = await openssl([
      'req',
      '-new',
      '-key',
      keyFile,
      '-subj',
      '/O=Acme/CN=from-openssl',
      '-addext',
      'subjectAltName=DNS:x.example,URI:spiffe://acme/x',
    ]);
    expect(made.code).toBe(0);
    const parsed = await parseCsr(made.stdout);
    expect(parsed.signatureValid).toBe(true);
    expect(parsed.subject).toBe('CN=from-openssl,O=Acme');
    expect(parsed.dnsNames).toEqual(['x.example']);
    expect(parsed.uris).toEqual(['spiffe://acme/x']);
  });

  it('reports signatureValid false for a CSR whose contents were altered', async () => {
    const key = await generateKeyPair();
    const pem = await createCsr({ key, subject: { commonName: 'honest' } });
    const parsed = await parseCsr(pem);
    const der = new Uint8Array(parsed.der);
    const at = Buffer.from(der).indexOf(Buffer.from('honest'));
    der[at] = 'H'.charCodeAt(0);
    const tampered = await parseCsr(der);
    expect(tampered.commonName).toBe('Honest');
    expect(tampered.signatureValid).toBe(false);
  });

  it('rejects invalid names and an empty request with clear errors', async () => {
    const key = await generateKeyPair();
    await expect(createCsr({ key, dnsNames: ['bad name'] })).rejects.toThrow(/invalid DNS name/);
    await expect(createCsr({ key, ipAddresses: ['999.1.1.1'] })).rejects.toThrow(/invalid IP address/);
    await expect(createCsr({ key, uris: ['not a uri'] })).rejects.toThrow(/invalid URI/);
    await expect(createCsr({ key, subject: 'XX=1' })).rejects.toThrow(/unknown attribute type/);
    await expect(createCsr({ key, subject: { commonNme: 'typo' } as never })).rejects.toThrow(
      /unknown subject field "commonNme"/,
    );
    const empty = await createCsr({ key }).catch((e: unknown) => e);
    expect(isMtlsError(empty) && empty.code).toBe('ERR_MTLS_INVALID_ARGUMENT');
  });

  it('puts a SAN-only request (empty subject) with a critical SAN, as RFC 5280 requires', async () => {
    const key = await generateKeyPair();
    const pem = await createCsr({ key, uris: ['spiffe://example.org/only-san'] });
    const file = await tmp.file('san-only.csr', pem);
    const text = await openssl(['req', '-noout', '-text', '-in', file]);
    expect(text.stdout).toMatch(/Subject Alternative Name: critical/);
    expect((await parseCsr(pem)).uris).toEqual(['spiffe://example.org/only-san']);
  });
});
