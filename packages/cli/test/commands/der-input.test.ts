// Every command that reads a certificate, key or CSR takes DER as well as PEM; the DER
// files are written by openssl (the independent oracle), not by mtlskit.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CertificateAuthority, createCertificateAuthority } from '@mtlskit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openssl } from '../helpers/openssl.js';
import { json, run, workDir } from '../helpers/run.js';

type Doctor = { ok: boolean; findings: { code: string }[] };

describe('DER input', () => {
  let w: Awaited<ReturnType<typeof workDir>>;
  let ca: CertificateAuthority;
  const f: Record<string, string> = {};
  const der = async (kind: 'x509' | 'pkey' | 'ec' | 'req', pem: string, out: string) => {
    const r = await openssl([kind, '-in', pem, '-outform', 'DER', '-out', join(w.dir, out)]);
    expect(r.code, r.stderr).toBe(0);
    return join(w.dir, out);
  };

  beforeAll(async () => {
    w = await workDir();
    ca = await createCertificateAuthority({ subject: { commonName: 'DER Root' } });
    const inter = await ca.createIntermediate({ subject: { commonName: 'DER Issuing' } });
    const client = await inter.issue({ subject: { commonName: 'der-client' } });
    f.caPem = await w.file('ca.pem', ca.certificatePem);
    f.caKeyPem = await w.file('ca.key', await ca.privateKeyPem());
    f.leafPem = await w.file('leaf.pem', client.certificatePem);
    f.interPem = await w.file('inter.pem', inter.certificatePem);
    f.keyPem = await w.file('leaf.key', client.privateKeyPem!);
    f.caDer = await der('x509', f.caPem, 'ca.der');
    f.leafDer = await der('x509', f.leafPem, 'leaf.der');
    f.interDer = await der('x509', f.interPem, 'inter.der');
    f.keyPkcs8Der = await der('pkey', f.keyPem, 'leaf-pkcs8.der');
    f.keySec1Der = await der('ec', f.keyPem, 'leaf-sec1.der');
    f.caKeyDer = await der('pkey', f.caKeyPem, 'ca-key.der');
    // Two DER certificates back to back: the leaf, then its intermediate.
    f.chainDer = await w.file(
      'chain.der',
      Buffer.concat([await readFile(f.leafDer), await readFile(f.interDer)]) as unknown as string,
    );
    const csrKey = join(w.dir, 'csr.key');
    expect(
      (await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', csrKey]))
        .code,
    ).toBe(0);
    const csrPem = join(w.dir, 'req.pem');
    expect(
      (await openssl(['req', '-new', '-key', csrKey, '-subj', '/CN=der-csr', '-out', csrPem])).code,
    ).toBe(0);
    f.csrDer = await der('req', csrPem, 'req.der');
  });
  afterAll(() => w.cleanup());

  it('verify takes a DER leaf, DER intermediates and a DER trust file', async () => {
    const r = await run([
      'verify',
      '--leaf',
      f.leafDer!,
      '--intermediates',
      f.interDer!,
      '--trust',
      f.caDer!,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const chained = await run(['verify', '--leaf', f.chainDer!, '--trust', f.caDer!]);
    expect(chained.code).toBe(0);
  });

  it('doctor takes DER certificates and DER keys (PKCS#8 and SEC1)', async () => {
    for (const key of [f.keyPkcs8Der!, f.keySec1Der!]) {
      const r = await run(['doctor', '--cert', f.chainDer!, '--key', key, '--ca', f.caDer!, '--json']);
      expect(r.stderr).toBe('');
      expect(json<Doctor>(r.stdout).findings.map((x) => x.code)).toEqual(['OK']);
      expect(r.code).toBe(0);
    }
  });

  it('compare takes DER bundles', async () => {
    const r = await run(['compare', `der=${f.caDer}`, `pem=${f.caPem}`, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('inspect takes a DER CSR, and gen takes a DER CA certificate and key', async () => {
    const csr = await run(['inspect', f.csrDer!, '--json']);
    expect(csr.stderr).toBe('');
    expect(csr.stdout).toContain('CN=der-csr');
    const out = join(w.dir, 'issued');
    const r = await run([
      'gen',
      'client',
      '--name',
      'from-der-ca',
      '--ca',
      f.caDer!,
      '--ca-key',
      f.caKeyDer!,
      '--out',
      out,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const check = await openssl(['verify', '-CAfile', f.caPem!, join(out, 'from-der-ca.crt')]);
    expect(check.stdout).toContain(': OK');
  });

  it('a file that is neither PEM nor DER is one clear line', async () => {
    const junk = await w.file('junk.bin', 'not a certificate at all');
    const r = await run(['verify', '--leaf', junk, '--trust', f.caPem!]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('junk.bin');
  });
});
