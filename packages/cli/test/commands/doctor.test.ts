import { type CertificateAuthority, createCertificateAuthority } from '@mtlskit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, run, workDir } from '../helpers/run.js';

const DAY = 86_400_000;
type Doctor = { ok: boolean; findings: { code: string; severity: string; message: string; fix: string }[] };

describe('mtlskit doctor (troubleshooting scenarios)', () => {
  let w: Awaited<ReturnType<typeof workDir>>;
  let root: CertificateAuthority;
  let issuing: CertificateAuthority;
  const f: Record<string, string> = {};

  const doctor = async (args: string[]) => {
    const r = await run(['doctor', ...args, '--json']);
    expect(r.stderr).toBe('');
    return { code: r.code, body: json<Doctor>(r.stdout) };
  };
  const codesOf = (b: Doctor) => b.findings.map((x) => x.code);

  beforeAll(async () => {
    w = await workDir();
    root = await createCertificateAuthority({
      subject: { commonName: 'Fleet Root', organization: 'Example' },
    });
    issuing = await root.createIntermediate({
      subject: { commonName: 'Fleet Issuing CA', organization: 'Example' },
    });
    const client = await issuing.issue({ subject: { commonName: 'agent-7' }, validityMs: 30 * DAY });
    f.ca = await w.file('ca.pem', root.certificatePem);
    f.chain = await w.file('client-chain.pem', client.chainPem);
    f.chainPem = client.chainPem;
    f.leafOnly = await w.file('client-leaf.pem', client.certificatePem);
    f.key = await w.file('client.key', client.privateKeyPem!);
  });
  afterAll(() => w.cleanup());

  it('says OK and exits 0 when everything is right', async () => {
    const { code, body } = await doctor([
      '--cert',
      f.chain!,
      '--key',
      f.key!,
      '--ca',
      f.ca!,
      '--peer-ca',
      f.ca!,
    ]);
    expect(code).toBe(0);
    expect(body.ok).toBe(true);
    expect(codesOf(body)).toEqual(['OK']);
  });

  it('CA regenerated with the same subject', async () => {
    const regenerated = await createCertificateAuthority({
      subject: { commonName: 'Fleet Root', organization: 'Example' },
    });
    const file = await w.file('regenerated-ca.pem', regenerated.certificatePem);
    const { code, body } = await doctor(['--cert', f.chain!, '--key', f.key!, '--ca', file]);
    expect(code).toBe(1);
    const finding = body.findings.find((x) => x.code === 'CA_REGENERATED')!;
    expect(finding.severity).toBe('error');
    expect(finding.message).toContain('Fleet Root');
    expect(finding.message).toContain(regenerated.certificate.fingerprintSha256);
    // The same through the peer's bundle: ours verifies, theirs has the regenerated CA.
    const peer = await doctor(['--cert', f.chain!, '--ca', f.ca!, '--peer-ca', file]);
    expect(codesOf(peer.body)).toEqual(expect.arrayContaining(['CA_REGENERATED', 'UNTRUSTED_BY_PEER']));
  });

  it('secrets with different CAs: the peer trusts another CA', async () => {
    const gateway = await createCertificateAuthority({ subject: { commonName: 'Gateway Root' } });
    const file = await w.file('gateway-ca.pem', gateway.certificatePem);
    const { code, body } = await doctor([
      '--cert',
      f.chain!,
      '--key',
      f.key!,
      '--ca',
      f.ca!,
      '--peer-ca',
      file,
    ]);
    expect(code).toBe(1);
    const finding = body.findings.find((x) => x.code === 'UNTRUSTED_BY_PEER')!;
    expect(finding.message).toContain('Gateway Root');
    expect(finding.fix).toContain('mtlskit compare');
  });

  it('missing alloc: CN (certificate from the plain cert endpoint)', async () => {
    const { code, body } = await doctor(['--cert', f.chain!, '--ca', f.ca!, '--expect-cn', 'alloc:*']);
    expect(code).toBe(1);
    const finding = body.findings.find((x) => x.code === 'COMMON_NAME_MISMATCH')!;
    expect(finding.message).toContain('"agent-7"');
    expect(finding.message).toContain('/api/v1/cert');
    const alloc = await issuing.issue({ subject: { commonName: 'alloc:9f8e' }, validityMs: 30 * DAY });
    const allocFile = await w.file('alloc.pem', alloc.chainPem);
    expect((await doctor(['--cert', allocFile, '--ca', f.ca!, '--expect-cn', 'alloc:*'])).code).toBe(0);
  });

  it('expired certificate', async () => {
    const old = await issuing.issue({
      subject: { commonName: 'agent-old' },
      notBefore: new Date(Date.now() - 40 * DAY),
      validityMs: 30 * DAY,
    });
    const file = await w.file('expired.pem', old.chainPem);
    const { code, body } = await doctor(['--cert', file, '--ca', f.ca!]);
    expect(code).toBe(1);
    expect(body.findings.find((x) => x.code === 'EXPIRED')!.message).toContain(
      old.certificate.notAfter.toISOString().slice(0, 10),
    );
    // --at moves the check into the certificate's lifetime.
    const then = new Date(Date.now() - 30 * DAY).toISOString();
    expect(codesOf((await doctor(['--cert', file, '--ca', f.ca!, '--at', then])).body)).not.toContain(
      'EXPIRED',
    );
  });

  it('wrong CA for the client certificate: the files cannot tell, and doctor says so', async () => {
    const other = await createCertificateAuthority({ subject: { commonName: 'Staging Root' } });
    const file = await w.file('staging-ca.pem', other.certificatePem);
    const { code, body } = await doctor(['--cert', f.chain!, '--ca', file]);
    expect(code).toBe(1);
    const finding = body.findings.find((x) => x.code === 'ISSUER_NOT_FOUND')!;
    expect(finding.severity).toBe('error');
    expect(finding.message).toContain('Fleet Root');
    expect(finding.message).toContain('Staging Root');
    expect(finding.message).toContain('cannot tell');
    expect(codesOf(body)).not.toContain('MISSING_INTERMEDIATE');
    // With the root sent along, the certificates prove it: a different CA.
    const withRoot = await w.file('chain-with-root.pem', f.chainPem + root.certificatePem);
    const proven = await doctor(['--cert', withRoot, '--ca', file]);
    expect(proven.body.findings[0]!.code).toBe('UNKNOWN_ISSUER');
    expect(proven.body.findings[0]!.message).toContain('different CA');
  });

  it('key mismatch', async () => {
    const other = await issuing.issue({ subject: { commonName: 'agent-8' } });
    const file = await w.file('other.key', other.privateKeyPem!);
    const r = await run(['doctor', '--cert', f.chain!, '--key', file, '--ca', f.ca!, '--json']);
    expect(r.code).toBe(1);
    expect(codesOf(json(r.stdout))).toContain('KEY_MISMATCH');
    expect(r.stdout).not.toContain(other.privateKeyPem!.split('\n')[1]!);
  });

  it('missing intermediate: the issuer to look for and the `cat` fix come first', async () => {
    const { code, body } = await doctor(['--cert', f.leafOnly!, '--ca', f.ca!]);
    expect(code).toBe(1);
    const finding = body.findings[0]!;
    expect(finding.code).toBe('ISSUER_NOT_FOUND');
    expect(finding.message).toContain('Fleet Issuing CA');
    expect(finding.fix).toMatch(/^Look for the certificate of "[^"]*Fleet Issuing CA/);
    expect(finding.fix.indexOf('cat ')).toBeLessThan(finding.fix.indexOf('another CA'));
    // Given separately with --chain, the intermediate completes the path.
    const inter = await w.file('intermediate.pem', issuing.certificatePem);
    expect((await doctor(['--cert', f.leafOnly!, '--chain', inter, '--ca', f.ca!])).code).toBe(0);
  });

  it('wrong EKU (a server certificate used as a client certificate)', async () => {
    const server = await issuing.issue({
      profile: 'server',
      subject: { commonName: 'svc' },
      dnsNames: ['svc.internal'],
      validityMs: 30 * DAY,
    });
    const file = await w.file('server.pem', server.chainPem);
    const { code, body } = await doctor(['--cert', file, '--ca', f.ca!]);
    expect(code).toBe(1);
    expect(body.findings.find((x) => x.code === 'WRONG_EKU')!.message).toContain('clientAuth');
    expect(
      (await doctor(['--cert', file, '--ca', f.ca!, '--purpose', 'server', '--host', 'svc.internal'])).code,
    ).toBe(0);
  });

  it('prints findings with fixes for humans, coloured only on a TTY without NO_COLOR', async () => {
    const args = ['doctor', '--cert', f.leafOnly!, '--ca', f.ca!];
    const plain = await run(args);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toContain('ISSUER_NOT_FOUND  [your certificate vs --ca]');
    expect(plain.stdout).toContain('fix:');
    expect(plain.stdout).not.toContain('\u001b[');
    const tty = await run(args, { isTTY: true });
    expect(tty.stdout).toContain('\u001b[31m');
    expect((await run(args, { isTTY: true, env: { NO_COLOR: '1' } })).stdout).not.toContain('\u001b[');
    expect((await run([...args, '--json'], { isTTY: true })).stdout).not.toContain('\u001b[');
  });

  it('turns bad input into one line naming the file, exit 2', async () => {
    const missing = await run(['doctor', '--cert', `${w.dir}/nope.pem`, '--ca', f.ca!]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.pem: no such file\n$/);
    expect(missing.stderr.split('\n')).toHaveLength(2);

    const garbage = await w.file(
      'garbage.pem',
      '-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n',
    );
    const bad = await run(['doctor', '--cert', f.chain!, '--ca', garbage]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('garbage.pem');
    expect(bad.stderr).toContain('ERR_MTLS_PEM_MALFORMED');
    expect(bad.stderr).not.toMatch(/\n\s+at /);

    const encrypted = await w.file(
      'enc.key',
      '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n',
    );
    const enc = await run(['doctor', '--cert', f.chain!, '--key', encrypted, '--ca', f.ca!]);
    expect(enc.code).toBe(2);
    expect(enc.stderr).toContain('enc.key');
    expect(enc.stderr).toContain('ERR_MTLS_KEY_ENCRYPTED');

    const empty = await w.file('empty.pem', '');
    const e = await run(['doctor', '--cert', empty, '--ca', f.ca!]);
    expect(e.code).toBe(2);
    expect(e.stderr).toContain('empty.pem: holds no certificate');

    for (const args of [
      ['doctor', '--ca', f.ca!],
      ['doctor', '--cert', f.chain!],
      ['doctor', '--cert', f.chain!, '--ca', f.ca!, '--connect', '127.0.0.1:443'],
      ['doctor', '--cert', f.chain!, '--key', f.key!, '--ca', f.ca!, '--connect', 'no-port'],
      ['doctor', '--cert', f.chain!, '--ca', f.ca!, '--at', 'yesterday'],
      ['doctor', '--cert', f.chain!, '--ca', f.ca!, '--bogus'],
    ]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
    }
  });
});
