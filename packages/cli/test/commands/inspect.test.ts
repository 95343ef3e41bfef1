import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createCertificateAuthority, createCsr, exportPrivateKeyPem, generateKeyPair } from '@mtlskit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, run, workDir } from '../helpers/run.js';

describe('mtlskit inspect', () => {
  let w: Awaited<ReturnType<typeof workDir>>;
  const f: Record<string, string> = {};
  let keyPem = '';
  let leafFp = '';

  beforeAll(async () => {
    w = await workDir();
    const ca = await createCertificateAuthority({ subject: { commonName: 'Inspect Root' } });
    const leaf = await ca.issue({
      subject: { commonName: 'agent-1' },
      dnsNames: ['agent.local'],
      ipAddresses: ['127.0.0.1'],
    });
    leafFp = leaf.certificate.fingerprintSha256;
    const key = await generateKeyPair({ algorithm: 'ECDSA-P384' });
    keyPem = await exportPrivateKeyPem(key);
    f.bundle = await w.file('bundle.pem', leaf.certificatePem + ca.certificatePem);
    f.key = await w.file('agent.key', keyPem);
    f.csr = await w.file(
      'agent.csr',
      await createCsr({ key, subject: { commonName: 'agent-csr' }, dnsNames: ['a.example'] }),
    );
    f.der = join(w.dir, 'leaf.der');
    execFileSync('openssl', ['x509', '-in', f.bundle, '-outform', 'DER', '-out', f.der]);
    f.rsaKey = join(w.dir, 'rsa.key');
    execFileSync('openssl', [
      'genpkey',
      '-algorithm',
      'RSA',
      '-pkeyopt',
      'rsa_keygen_bits:2048',
      '-out',
      f.rsaKey,
    ]);
    f.encrypted = join(w.dir, 'enc.key');
    execFileSync('openssl', [
      'pkey',
      '-in',
      f.rsaKey,
      '-aes256',
      '-passout',
      'pass:secret',
      '-out',
      f.encrypted,
    ]);
  });
  afterAll(() => w.cleanup());

  it('shows certificates, CSRs and keys as JSON without key material', async () => {
    const r = await run(['inspect', f.bundle!, f.key!, f.csr!, f.der!, f.rsaKey!, f.encrypted!, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const body = json<{ files: { file: string; items: Record<string, unknown>[] }[] }>(r.stdout);
    expect(body.files.map((x) => x.items.map((i) => i.type))).toEqual([
      ['certificate', 'certificate'],
      ['private-key'],
      ['csr'],
      ['certificate'],
      ['private-key'],
      ['private-key'],
    ]);
    const [leaf, root] = body.files[0]!.items;
    expect(leaf).toMatchObject({
      subject: 'CN=agent-1',
      issuer: 'CN=Inspect Root',
      dnsNames: ['agent.local'],
      isCA: false,
      fingerprintSha256: leafFp,
    });
    expect(root).toMatchObject({ isCA: true, selfIssued: true });
    expect(body.files[3]!.items[0]!.fingerprintSha256).toBe(leafFp);
    expect(body.files[1]!.items[0]).toMatchObject({
      algorithm: 'ECDSA',
      size: 384,
      curve: 'P-384',
      encrypted: false,
    });
    expect(body.files[2]!.items[0]).toMatchObject({
      subject: 'CN=agent-csr',
      signatureValid: true,
      dnsNames: ['a.example'],
    });
    expect(body.files[4]!.items[0]).toMatchObject({ algorithm: 'RSA', size: 2048 });
    expect(body.files[5]!.items[0]).toEqual({ type: 'private-key', encrypted: true });
    // The key's SPKI hash agrees with openssl's.
    const spki = execFileSync('sh', [
      '-c',
      `openssl pkey -in '${f.key}' -pubout -outform DER | openssl dgst -sha256 -binary | base64`,
    ])
      .toString()
      .trim();
    expect(body.files[1]!.items[0]!.spkiSha256).toBe(spki);
    expect(r.stdout).not.toContain(keyPem.split('\n')[1]!);
  });

  it('prints a readable summary', async () => {
    const r = await run(['inspect', f.bundle!, f.key!]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('CN=agent-1');
    expect(r.stdout).toContain('DNS:agent.local, IP:127.0.0.1');
    expect(r.stdout).toMatch(/expires in (23|24) hours/);
    expect(r.stdout).toContain('ECDSA P-384');
    expect(r.stdout).not.toContain(keyPem.split('\n')[1]!);
  });

  it('fails with one line naming the file for unreadable input', async () => {
    const junk = await w.file('junk.bin', 'hello world');
    const r = await run(['inspect', junk]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mtlskit inspect: .*junk\.bin: holds no PEM block/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const truncated = await w.file('cut.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n');
    const t = await run(['inspect', truncated]);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('cut.pem');
    expect((await run(['inspect'])).code).toBe(2);
  });
});
