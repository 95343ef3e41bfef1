import { createCertificateAuthority } from '@mtlskit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, run, workDir } from '../helpers/run.js';

describe('mtlskit compare', () => {
  let w: Awaited<ReturnType<typeof workDir>>;
  const f: Record<string, string> = {};
  let oldFp = '';
  let newFp = '';

  beforeAll(async () => {
    w = await workDir();
    const a = await createCertificateAuthority({ subject: { commonName: 'Platform CA' } });
    const regenerated = await createCertificateAuthority({ subject: { commonName: 'Platform CA' } });
    const extra = await createCertificateAuthority({ subject: { commonName: 'Partner CA' } });
    oldFp = a.certificate.fingerprintSha256;
    newFp = regenerated.certificate.fingerprintSha256;
    f.agent = await w.file('agent-ca.pem', a.certificatePem);
    f.agentCopy = await w.file('agent-ca-copy.pem', a.certificatePem);
    f.gateway = await w.file('gateway-ca.pem', regenerated.certificatePem + extra.certificatePem);
  });
  afterAll(() => w.cleanup());

  it('exits 0 for identical bundles', async () => {
    const r = await run(['compare', `a=${f.agent}`, `b=${f.agentCopy}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('same 1 certificate');
  });

  it('finds the regenerated CA and the missing one (JSON and text), exit 1', async () => {
    const r = await run(['compare', `agent=${f.agent}`, `gateway=${f.gateway}`, '--json']);
    expect(r.code).toBe(1);
    const body = json(r.stdout);
    expect(body.identical).toBe(false);
    expect(body.regenerated).toHaveLength(1);
    expect(body.regenerated[0].subject).toBe('CN=Platform CA');
    expect(
      body.regenerated[0].variants.map((v: { fingerprintSha256: string }) => v.fingerprintSha256).sort(),
    ).toEqual([oldFp, newFp].sort());
    expect(body.partial.find((p: { subject: string }) => p.subject === 'CN=Partner CA').missingFrom).toEqual([
      'agent',
    ]);
    expect(typeof body.bundles[0].certificates[0].notAfter).toBe('string');
    const text = await run(['compare', `agent=${f.agent}`, `gateway=${f.gateway}`]);
    expect(text.stdout).toContain('regenerated');
    expect(text.stdout).toContain(newFp);
  });

  it('exits 2 for bad arguments', async () => {
    for (const args of [
      ['compare', `a=${f.agent}`],
      ['compare', f.agent!, f.gateway!],
      ['compare', `a=${f.agent}`, `a=${f.gateway}`],
      ['compare', `a=${f.agent}`, `b=${w.dir}/x.pem`],
    ]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
