import { join } from 'node:path';
import {
  type CertificateAuthority,
  createCertificateAuthority,
  diagnose,
  type Finding,
  generateKeyPair,
  isMtlsError,
  parseCertificate,
} from '@mtlskit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openssl, tempDir } from '../helpers/openssl.js';

const DAY = 86_400_000;
const codes = (findings: Finding[]) => findings.map((f) => f.code);
const find = (findings: Finding[], code: string) => {
  const f = findings.find((x) => x.code === code);
  if (!f) throw new Error(`no ${code} finding in ${JSON.stringify(findings, null, 2)}`);
  return f;
};

describe('diagnose', () => {
  let root: CertificateAuthority;
  let intermediate: CertificateAuthority;
  let client: Awaited<ReturnType<CertificateAuthority['issue']>>;
  const tmp = tempDir();

  beforeAll(async () => {
    root = await createCertificateAuthority({
      subject: { commonName: 'Diag Root', organization: 'Example' },
    });
    intermediate = await root.createIntermediate({
      subject: { commonName: 'Diag Issuing CA', organization: 'Example' },
    });
    client = await intermediate.issue({ subject: { commonName: 'agent-1' }, validityMs: 30 * DAY });
  });
  afterAll(async () => (await tmp).cleanup());

  it('gives a single OK finding for a healthy certificate, key and chain', async () => {
    const findings = await diagnose({
      certificate: client.chainPem,
      privateKey: client.privateKeyPem!,
      trustAnchors: root.certificatePem,
      peerTrustAnchors: root.certificatePem,
    });
    expect(codes(findings)).toEqual(['OK']);
    expect(findings[0]!.severity).toBe('info');
    expect(findings[0]!.message).toContain('CN=agent-1');
    expect(findings[0]!.message).toContain('Diag Root');
  });

  it('finds a private key that does not belong to the certificate, without printing the key', async () => {
    const other = await intermediate.issue({ subject: { commonName: 'agent-2' } });
    const findings = await diagnose({
      certificate: client.chainPem,
      privateKey: other.privateKeyPem!,
      trustAnchors: root.certificatePem,
    });
    const f = find(findings, 'KEY_MISMATCH');
    expect(f.severity).toBe('error');
    expect(f.message).toContain(client.certificate.spkiSha256);
    const body = other.privateKeyPem!.split('\n')[1]!;
    expect(JSON.stringify(findings)).not.toContain(body);
  });

  it('reports expired, not-yet-valid and soon-expiring certificates with their dates', async () => {
    const past = await intermediate.issue({
      subject: { commonName: 'old' },
      notBefore: new Date(Date.now() - 10 * DAY),
      notAfter: new Date(Date.now() - 2 * DAY),
    });
    const expired = find(
      await diagnose({ certificate: past.chainPem, trustAnchors: root.certificatePem }),
      'EXPIRED',
    );
    expect(expired.severity).toBe('error');
    expect(expired.message).toContain(past.certificate.notAfter.toISOString().slice(0, 19));

    const future = await intermediate.issue({
      subject: { commonName: 'future' },
      notBefore: new Date(Date.now() + 3 * DAY),
      validityMs: DAY,
    });
    const nyv = find(
      await diagnose({ certificate: future.chainPem, trustAnchors: root.certificatePem }),
      'NOT_YET_VALID',
    );
    expect(nyv.message).toContain(future.certificate.notBefore.toISOString().slice(0, 19));

    // Default threshold: a third of the lifetime (here 16 h of 2 days), at most 7 days.
    const fresh = await intermediate.issue({ subject: { commonName: 'fresh' }, validityMs: 2 * DAY });
    expect(
      codes(await diagnose({ certificate: fresh.chainPem, trustAnchors: root.certificatePem })),
    ).not.toContain('EXPIRING_SOON');
    const soon = await intermediate.issue({
      subject: { commonName: 'soon' },
      notBefore: new Date(Date.now() - 1.5 * DAY),
      notAfter: new Date(Date.now() + 0.5 * DAY),
    });
    const s = await diagnose({ certificate: soon.chainPem, trustAnchors: root.certificatePem });
    expect(find(s, 'EXPIRING_SOON').severity).toBe('warning');
    const longLived = await intermediate.issue({
      subject: { commonName: 'long' },
      validityMs: 90 * DAY,
      notBefore: new Date(Date.now() - 84 * DAY),
    });
    expect(
      find(
        await diagnose({ certificate: longLived.chainPem, trustAnchors: root.certificatePem }),
        'EXPIRING_SOON',
      ).message,
    ).toMatch(/in (5|6) days|in 6 d/);
    expect(
      codes(
        await diagnose({
          certificate: soon.chainPem,
          trustAnchors: root.certificatePem,
          expiringWithinMs: DAY / 4,
        }),
      ),
    ).toEqual(['OK']);
    // `at` moves the clock: the healthy certificate is expired a year from now.
    expect(
      codes(
        await diagnose({
          certificate: client.chainPem,
          trustAnchors: root.certificatePem,
          at: new Date(Date.now() + 365 * DAY),
        }),
      ),
    ).toContain('EXPIRED');
  });

  it('recognises a CA regenerated under the same name, in our CA file and in the peer bundle', async () => {
    const regenerated = await createCertificateAuthority({
      subject: { commonName: 'Diag Root', organization: 'Example' },
    });
    const own = await diagnose({ certificate: client.chainPem, trustAnchors: regenerated.certificatePem });
    const f = find(own, 'CA_REGENERATED');
    expect(f.severity).toBe('error');
    expect(f.message).toContain('Diag Root');
    expect(f.message).toContain(regenerated.certificate.fingerprintSha256);

    const peer = await diagnose({
      certificate: client.chainPem,
      trustAnchors: root.certificatePem,
      peerTrustAnchors: regenerated.certificatePem,
    });
    expect(codes(peer)).toContain('UNTRUSTED_BY_PEER');
    const r = find(peer, 'CA_REGENERATED');
    expect(r.message).toContain(regenerated.certificate.fingerprintSha256);
    expect(r.message).toContain(root.certificate.fingerprintSha256);
    expect(r.fix).toContain('mtlskit compare');
  });

  it('says when the peer trusts a different CA altogether', async () => {
    const other = await createCertificateAuthority({ subject: { commonName: 'Gateway Root' } });
    const findings = await diagnose({
      certificate: client.chainPem,
      trustAnchors: root.certificatePem,
      peerTrustAnchors: other.certificatePem,
    });
    const f = find(findings, 'UNTRUSTED_BY_PEER');
    expect(f.message).toContain('Gateway Root');
    expect(codes(findings)).not.toContain('CA_REGENERATED');
  });

  it('says when the files cannot tell a left-out intermediate from a different CA', async () => {
    // The chain stops at "Diag Issuing CA", issued by "Diag Root", which is not in the CA
    // file: "Diag Root" could sit under "Someone Else Root" or be a root of its own.
    const other = await createCertificateAuthority({ subject: { commonName: 'Someone Else Root' } });
    const findings = await diagnose({ certificate: client.chainPem, trustAnchors: other.certificatePem });
    const f = find(findings, 'ISSUER_NOT_FOUND');
    expect(f.message).toMatch(/its issuer "[^"]*Diag Root[^"]*"/);
    expect(f.message).toContain('Someone Else Root');
    expect(f.message).toContain('cannot tell');
    expect(f.message).toContain(root.certificate.subjectKeyId!);
    expect(f.fix.indexOf('cat ')).toBeLessThan(f.fix.indexOf('another CA'));
    expect(codes(findings)).not.toContain('MISSING_INTERMEDIATE');
    expect(codes(findings)).not.toContain('UNKNOWN_ISSUER');
  });

  it('calls it a different CA only when the certificates prove it', async () => {
    const other = await createCertificateAuthority({ subject: { commonName: 'Someone Else Root' } });
    // 1. The chain as sent ends at a root that is not in the CA file.
    const sentRoot = find(
      await diagnose({
        certificate: client.chainPem + root.certificatePem,
        trustAnchors: other.certificatePem,
      }),
      'UNKNOWN_ISSUER',
    );
    expect(sentRoot.message).toContain('Diag Root');
    expect(sentRoot.message).toContain('different CA');
    // 2. The CA file holds only a CA that may not have intermediates (pathLenConstraint 0).
    const leafOnlyRoot = await createCertificateAuthority({
      subject: { commonName: 'Leaf-only Root' },
      pathLength: 0,
    });
    const limited = find(
      await diagnose({ certificate: client.certificatePem, trustAnchors: leafOnlyRoot.certificatePem }),
      'UNKNOWN_ISSUER',
    );
    expect(limited.message).toContain('path length limit of 0');
  });

  it('never decides from names that look alike', async () => {
    // Same organisation as the real root, but unrelated; and a real intermediate whose names
    // share nothing with its root. Both are "cannot tell" from the leaf alone.
    const lookalike = await createCertificateAuthority({
      subject: { commonName: 'Diag Root 2', organization: 'Example' },
    });
    expect(
      codes(await diagnose({ certificate: client.certificatePem, trustAnchors: lookalike.certificatePem })),
    ).toContain('ISSUER_NOT_FOUND');
    const corp = await createCertificateAuthority({
      subject: { commonName: 'Corp Root', organization: 'Acme' },
    });
    const unrelated = await corp.createIntermediate({
      subject: { commonName: 'Zeta Issuing 7', organization: 'Zeta' },
    });
    const leaf = await unrelated.issue({ subject: { commonName: 'svc' }, validityMs: 30 * DAY });
    const f = find(
      await diagnose({ certificate: leaf.certificatePem, trustAnchors: corp.certificatePem }),
      'ISSUER_NOT_FOUND',
    );
    expect(f.message).toMatch(/its issuer "[^"]*Zeta Issuing 7[^"]*"/);
    expect(f.fix).toMatch(/^Look for the certificate of "[^"]*Zeta Issuing 7[^"]*"/);
  });

  it('names the AIA caIssuers URL of the missing issuer', async () => {
    const url = 'http://pki.example.com/zeta-issuing.crt';
    const enc = new TextEncoder().encode(url);
    // AuthorityInfoAccessSyntax: SEQUENCE { SEQUENCE { OID caIssuers, [6] IA5String url } }
    const oid = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02];
    const desc = [...oid, 0x86, enc.length, ...enc];
    const value = new Uint8Array([0x30, desc.length + 2, 0x30, desc.length, ...desc]);
    const leaf = await intermediate.issue({
      subject: { commonName: 'aia' },
      validityMs: 30 * DAY,
      extensions: [{ oid: '1.3.6.1.5.5.7.1.1', value }],
    });
    const f = find(
      await diagnose({ certificate: leaf.certificatePem, trustAnchors: root.certificatePem }),
      'ISSUER_NOT_FOUND',
    );
    expect(f.message).toContain(url);
    expect(f.fix).toContain(url);
  });

  it('the missing intermediate is found once sent, whatever its name', async () => {
    const findings = await diagnose({
      certificate: client.certificatePem,
      trustAnchors: root.certificatePem,
    });
    const f = find(findings, 'ISSUER_NOT_FOUND');
    expect(f.message).toContain('Diag Issuing CA');
    expect(f.fix).toContain('intermediate');
    // A gap higher up the chain (leaf and sub-CA sent, issuing CA missing) is found too.
    const sub = await intermediate.createIntermediate({
      subject: { commonName: 'Diag Sub CA', organization: 'Example' },
    });
    const deep = await sub.issue({ subject: { commonName: 'deep' }, validityMs: 30 * DAY });
    const gap = find(
      await diagnose({
        certificate: deep.certificatePem + sub.certificatePem,
        trustAnchors: root.certificatePem,
      }),
      'ISSUER_NOT_FOUND',
    );
    expect(gap.message).toContain('Diag Issuing CA');
    expect(
      codes(
        await diagnose({
          certificate: deep.certificatePem + sub.certificatePem + intermediate.certificatePem,
          trustAnchors: root.certificatePem,
        }),
      ),
    ).toEqual(['OK']);
  });

  it('checks the extended key usage against the purpose', async () => {
    const server = await intermediate.issue({
      profile: 'server',
      subject: { commonName: 'svc' },
      dnsNames: ['svc.example.com'],
      validityMs: 30 * DAY,
    });
    const f = find(
      await diagnose({ certificate: server.chainPem, trustAnchors: root.certificatePem }),
      'WRONG_EKU',
    );
    expect(f.message).toContain('serverAuth');
    expect(f.message).toContain('clientAuth');
    const asServer = await diagnose({
      certificate: server.chainPem,
      trustAnchors: root.certificatePem,
      purpose: 'serverAuth',
      hostname: 'svc.example.com',
    });
    expect(codes(asServer)).toEqual(['OK']);
  });

  it('says when only the webpki profile refuses a server chain that Node would accept', async () => {
    const server = await intermediate.issue({
      profile: 'server',
      subject: { commonName: 'SVC.example.com' },
      dnsNames: ['svc.example.com'],
      validityMs: 30 * DAY,
    });
    const opts = {
      certificate: server.chainPem,
      trustAnchors: root.certificatePem,
      purpose: 'serverAuth' as const,
    };
    const webpki = await diagnose(opts);
    expect(webpki.map((x) => x.message).join(' ')).toMatch(
      /CA\/B BR 7\.1\.4\.3, webpki profile; Node's TLS stack would accept it/,
    );
    expect(codes(await diagnose({ ...opts, profile: 'rfc5280' }))).toEqual(['OK']);
  });

  it('matches the common name against a glob and explains the alloc: case', async () => {
    const f = find(
      await diagnose({
        certificate: client.chainPem,
        trustAnchors: root.certificatePem,
        expectCommonName: 'alloc:*',
      }),
      'COMMON_NAME_MISMATCH',
    );
    expect(f.message).toContain('"agent-1"');
    expect(f.message).toContain('/api/v1/cert');
    expect(f.fix).toContain('allocate');
    const alloc = await intermediate.issue({
      subject: { commonName: 'alloc:tok-123' },
      validityMs: 30 * DAY,
    });
    expect(
      codes(
        await diagnose({
          certificate: alloc.chainPem,
          trustAnchors: root.certificatePem,
          expectCommonName: 'alloc:*',
        }),
      ),
    ).toEqual(['OK']);
    expect(
      codes(
        await diagnose({
          certificate: alloc.chainPem,
          trustAnchors: root.certificatePem,
          expectCommonName: 'alloc:tok-???',
        }),
      ),
    ).toEqual(['OK']);
    // Glob metacharacters of regular expressions are literal.
    expect(
      codes(
        await diagnose({
          certificate: alloc.chainPem,
          trustAnchors: root.certificatePem,
          expectCommonName: 'alloc.tok-123',
        }),
      ),
    ).toContain('COMMON_NAME_MISMATCH');
  });

  it('matches host names and IP addresses against the SANs (wildcards on the left-most label only)', async () => {
    const server = await intermediate.issue({
      profile: 'server',
      subject: { commonName: 'api.example.com' },
      dnsNames: ['*.example.com'],
      ipAddresses: ['10.0.0.1', '::1'],
      validityMs: 30 * DAY,
    });
    const run = (hostname: string) =>
      diagnose({
        certificate: server.chainPem,
        trustAnchors: root.certificatePem,
        purpose: 'serverAuth',
        hostname,
      }).then(codes);
    expect(await run('api.example.com')).toEqual(['OK']);
    expect(await run('10.0.0.1')).toEqual(['OK']);
    expect(await run('0:0:0:0:0:0:0:1')).toEqual(['OK']);
    expect(await run('a.b.example.com')).toContain('HOSTNAME_MISMATCH');
    expect(await run('example.com')).toContain('HOSTNAME_MISMATCH');
    expect(await run('10.0.0.2')).toContain('HOSTNAME_MISMATCH');
  });

  it('notices a chain out of order and a root sent in the chain', async () => {
    const second = await intermediate.createIntermediate({ subject: { commonName: 'Diag Sub CA' } });
    const leaf = await second.issue({ subject: { commonName: 'deep' }, validityMs: 30 * DAY });
    const inOrder = await diagnose({ certificate: leaf.chainPem, trustAnchors: root.certificatePem });
    expect(codes(inOrder)).toEqual(['OK']);
    const swapped = leaf.certificatePem + intermediate.certificatePem + second.certificatePem;
    const f = find(
      await diagnose({ certificate: swapped, trustAnchors: root.certificatePem }),
      'CHAIN_OUT_OF_ORDER',
    );
    expect(f.severity).toBe('warning');
    expect(f.message).toContain('Diag Sub CA');
    const withRoot = await diagnose({
      certificate: leaf.chainPem,
      chain: root.certificatePem,
      trustAnchors: root.certificatePem,
    });
    expect(find(withRoot, 'CHAIN_CONTAINS_ROOT').severity).toBe('warning');
  });

  it('flags self-signed leaves, weak keys and SHA-1 signatures (certificates made by openssl)', async () => {
    const t = await tmp;
    const k = join(t.dir, 'self.key');
    const c = join(t.dir, 'self.crt');
    const made = await openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:1024',
      '-sha1',
      '-nodes',
      '-subj',
      '/CN=legacy-device',
      '-days',
      '30',
      '-addext',
      'basicConstraints=critical,CA:FALSE',
      '-addext',
      'extendedKeyUsage=clientAuth',
      '-keyout',
      k,
      '-out',
      c,
    ]);
    expect(made.code, made.stderr).toBe(0);
    const pem = (await import('node:fs/promises')).readFile(c, 'utf8');
    const findings = await diagnose({ certificate: await pem, trustAnchors: root.certificatePem });
    expect(find(findings, 'SELF_SIGNED_LEAF').severity).toBe('error');
    expect(find(findings, 'WEAK_KEY').message).toContain('1024-bit RSA');
    expect(find(findings, 'SHA1_SIGNATURE').message).toContain('sha1WithRSAEncryption');
    expect(parseCertificate(await pem).publicKeySize).toBe(1024);
  });

  it('throws coded errors for unreadable input, never a raw crash', async () => {
    const err = async (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => e,
      );
    const bad = await err(
      diagnose({ certificate: '-----BEGIN CERTIFICATE-----\n@@@\n-----END CERTIFICATE-----\n' }),
    );
    expect(isMtlsError(bad)).toBe(true);
    const none = await err(diagnose({ certificate: 'hello' }));
    expect(isMtlsError(none)).toBe(true);
    const noKey = await err(diagnose({ certificate: client.chainPem, privateKey: 'not a key' }));
    expect(isMtlsError(noKey)).toBe(true);
    const badAt = await err(diagnose({ certificate: client.chainPem, at: new Date('nope') }));
    expect((badAt as { code: string }).code).toBe('ERR_MTLS_INVALID_ARGUMENT');
  });

  it('accepts a key pair object and parsed certificates', async () => {
    const key = await generateKeyPair();
    const issued = await intermediate.issue({
      subject: { commonName: 'kp' },
      publicKey: key,
      validityMs: 30 * DAY,
    });
    const findings = await diagnose({
      certificate: [issued.certificate],
      chain: [intermediate.certificate],
      privateKey: key,
      trustAnchors: [root.certificate],
    });
    expect(codes(findings)).toEqual(['OK']);
  });
});
