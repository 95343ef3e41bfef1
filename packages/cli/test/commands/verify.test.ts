import { createCertificateAuthority } from '@mtlskit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openssl } from '../helpers/openssl.js';
import { json, run, workDir } from '../helpers/run.js';

describe('mtlskit verify', () => {
  let w: Awaited<ReturnType<typeof workDir>>;
  const f: Record<string, string> = {};

  beforeAll(async () => {
    w = await workDir();
    // CAs older than the expired leaf, so --at in its lifetime finds them valid too.
    const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000);
    const root = await createCertificateAuthority({
      subject: { commonName: 'Verify Root', organization: 'Example' },
      notBefore: tenDaysAgo,
    });
    const inter = await root.createIntermediate({
      subject: { commonName: 'Verify Issuing', organization: 'Example' },
      notBefore: tenDaysAgo,
    });
    const server = await inter.issue({
      profile: 'server',
      subject: { commonName: 'api' },
      dnsNames: ['api.example.com'],
      ipAddresses: ['10.1.2.3'],
    });
    const expired = await inter.issue({
      subject: { commonName: 'old' },
      notBefore: new Date(Date.now() - 5 * 86_400_000),
      validityMs: 86_400_000,
    });
    f.root = await w.file('root.pem', root.certificatePem);
    f.inter = await w.file('inter.pem', inter.certificatePem);
    f.leaf = await w.file('leaf.pem', server.certificatePem);
    f.chain = await w.file('chain.pem', server.chainPem);
    f.expired = await w.file('expired.pem', expired.certificatePem);
    // CA/B BR 7.1.2.7.10 forbids anyExtendedKeyUsage in a TLS leaf; RFC 5280 and OpenSSL allow it.
    const anyEku = await inter.issue({
      profile: 'server',
      subject: { commonName: 'any' },
      dnsNames: ['any.example.com'],
      extendedKeyUsage: ['serverAuth', 'anyExtendedKeyUsage'],
    });
    f.anyEku = await w.file('any-eku.pem', anyEku.chainPem);
    const codeSigning = await inter.issue({
      subject: { commonName: 'signer' },
      extendedKeyUsage: ['codeSigning'],
    });
    f.codeSigning = await w.file('code-signing.pem', codeSigning.chainPem);
  });
  afterAll(() => w.cleanup());

  it('exits 0 for a valid chain, agreeing with openssl verify', async () => {
    const r = await run([
      'verify',
      '--leaf',
      f.leaf!,
      '--intermediates',
      f.inter!,
      '--trust',
      f.root!,
      '--purpose',
      'server',
      '--host',
      'api.example.com',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const body = json(r.stdout);
    expect(body.ok).toBe(true);
    expect(body.chain.map((c: { subject: string }) => c.subject)).toEqual([
      'CN=api',
      'CN=Verify Issuing,O=Example',
      'CN=Verify Root,O=Example',
    ]);
    const o = await openssl([
      'verify',
      '-x509_strict',
      '-purpose',
      'sslserver',
      '-CAfile',
      f.root!,
      '-untrusted',
      f.inter!,
      f.leaf!,
    ]);
    expect(o.code).toBe(0);
    // A bundle given as --leaf carries its own intermediates; an IP is matched as an IP SAN.
    const human = await run(['verify', '--leaf', f.chain!, '--trust', f.root!, '--host', '10.1.2.3']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('OK');
  });

  it('says when the extended key usage was not checked (no --purpose), in text and JSON', async () => {
    const base = ['verify', '--leaf', f.codeSigning!, '--trust', f.root!];
    const unchecked = await run(base);
    expect(unchecked.code).toBe(0);
    expect(unchecked.stdout).toContain('Extended key usage was not checked: pass --purpose client or server');
    expect(json((await run([...base, '--json'])).stdout)).toMatchObject({ ok: true, purpose: 'any' });
    const client = await run([...base, '--purpose', 'client', '--json']);
    expect(client.code).toBe(1);
    expect(json(client.stdout)).toMatchObject({ ok: false, code: 'EXTENDED_KEY_USAGE' });
    const checked = await run(['verify', '--leaf', f.chain!, '--trust', f.root!, '--purpose', 'server']);
    expect(checked.code).toBe(0);
    expect(checked.stdout).toContain('for serverAuth');
    expect(checked.stdout).not.toContain('not checked');
    expect(
      json(
        (await run(['verify', '--leaf', f.chain!, '--trust', f.root!, '--purpose', 'client', '--json']))
          .stdout,
      ),
    ).toMatchObject({ ok: false });
  });

  it('exits 1 with the code and message for invalid chains', async () => {
    const missing = await run(['verify', '--leaf', f.leaf!, '--trust', f.root!, '--json']);
    expect(missing.code).toBe(1);
    expect(json(missing.stdout)).toMatchObject({
      ok: false,
      code: 'MISSING_INTERMEDIATE',
      missingIssuer: 'CN=Verify Issuing,O=Example',
    });
    expect((await openssl(['verify', '-CAfile', f.root!, f.leaf!])).code).not.toBe(0);

    const eku = await run([
      'verify',
      '--leaf',
      f.chain!,
      '--trust',
      f.root!,
      '--purpose',
      'client',
      '--json',
    ]);
    expect(eku.code).toBe(1);
    expect(json(eku.stdout).code).toBe('EXTENDED_KEY_USAGE');

    const host = await run(['verify', '--leaf', f.chain!, '--trust', f.root!, '--host', 'other.example.com']);
    expect(host.code).toBe(1);
    expect(host.stdout).toContain('NAME_MISMATCH');

    const expired = await run([
      'verify',
      '--leaf',
      f.expired!,
      '--intermediates',
      f.inter!,
      '--trust',
      f.root!,
      '--json',
    ]);
    expect(json(expired.stdout).code).toBe('EXPIRED');
    const then = await run([
      'verify',
      '--leaf',
      f.expired!,
      '--intermediates',
      f.inter!,
      '--trust',
      f.root!,
      '--at',
      new Date(Date.now() - 4.5 * 86_400_000).toISOString(),
    ]);
    expect(then.code).toBe(0);
  });

  it('--profile: webpki (the default for server) refuses what rfc5280 and openssl accept, and says so', async () => {
    const base = ['verify', '--leaf', f.anyEku!, '--trust', f.root!, '--purpose', 'server'];
    const webpki = await run([...base, '--json']);
    expect(webpki.code).toBe(1);
    expect(json(webpki.stdout)).toMatchObject({
      code: 'EXTENDED_KEY_USAGE',
      profileRule: 'CA/B BR 7.1.2.7.10',
    });
    const text = await run(base);
    expect(text.stdout).toContain("Node's TLS would accept it");
    expect((await run([...base, '--profile', 'rfc5280'])).code).toBe(0);
    const o = await openssl([
      'verify',
      '-purpose',
      'sslserver',
      '-CAfile',
      f.root!,
      '-untrusted',
      f.anyEku!,
      f.anyEku!,
    ]);
    expect(o.code).toBe(0);
    expect((await run([...base, '--profile', 'browser'])).code).toBe(2);
  });

  it('exits 2 on usage and input errors', async () => {
    for (const args of [
      ['verify', '--trust', f.root!],
      ['verify', '--leaf', f.leaf!],
      ['verify', '--leaf', f.leaf!, '--trust', f.root!, '--purpose', 'email'],
      ['verify', '--leaf', f.leaf!, '--trust', f.root!, '--at', 'soon'],
      ['verify', '--leaf', `${w.dir}/none.pem`, '--trust', f.root!],
      ['verify', '--leaf', f.leaf!, '--trust', f.leaf!, '--unknown'],
    ]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
