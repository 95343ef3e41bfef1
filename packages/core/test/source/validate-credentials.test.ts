import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { validateCredentials } from '../../src/source/validate-credentials.js';
import { pki } from './helpers.js';

const HOUR = 3_600_000;

describe('validateCredentials', () => {
  it('accepts good material and reports the leaf validity', async () => {
    const { issue } = await pki();
    const input = await issue('good');
    const ok = await validateCredentials(input, { purpose: 'clientAuth' });
    expect(ok.leaf.commonName).toBe('good');
    expect(ok.notAfter.getTime()).toBeGreaterThan(Date.now());
    expect(ok.certificateChainPem.endsWith('\n')).toBe(true);
  });

  it.each([
    ['mismatched key', 'ERR_MTLS_KEY_MISMATCH'],
    ['truncated certificate', 'ERR_MTLS_CREDENTIALS_MALFORMED'],
    ['truncated key', 'ERR_MTLS_CREDENTIALS_MALFORMED'],
    ['expired', 'ERR_MTLS_CERT_EXPIRED'],
    ['not yet valid', 'ERR_MTLS_CERT_NOT_YET_VALID'],
    ['wrong CA', 'ERR_MTLS_CHAIN_INVALID'],
    ['wrong purpose', 'ERR_MTLS_CHAIN_INVALID'],
    ['missing trust anchors', 'ERR_MTLS_CREDENTIALS_MISSING'],
  ])('refuses %s with %s and never leaks the key', async (kind, code) => {
    const { issue } = await pki();
    const other = await pki('other CA');
    const good = await issue('subject');
    let input = good;
    if (kind === 'mismatched key') input = { ...good, privateKeyPem: (await issue('x')).privateKeyPem };
    if (kind === 'truncated certificate')
      input = { ...good, certificateChainPem: good.certificateChainPem.slice(0, 300) };
    if (kind === 'truncated key') input = { ...good, privateKeyPem: good.privateKeyPem.slice(0, 100) };
    if (kind === 'expired')
      input = await issue('old', {
        notBefore: new Date(Date.now() - 10 * HOUR),
        notAfter: new Date(Date.now() - HOUR),
      });
    if (kind === 'not yet valid')
      input = await issue('soon', {
        notBefore: new Date(Date.now() + HOUR),
        notAfter: new Date(Date.now() + 10 * HOUR),
      });
    if (kind === 'wrong CA')
      input = { ...(await other.issue('foreign')), trustAnchorsPem: good.trustAnchorsPem };
    if (kind === 'wrong purpose') input = await issue('server-only', { profile: 'server' });
    if (kind === 'missing trust anchors') input = { ...good, trustAnchorsPem: '' };
    const err = await validateCredentials(input, { purpose: 'clientAuth' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ name: 'MtlsError', code });
    const text = `${(err as Error).message} ${JSON.stringify(err)} ${inspect(err)}`;
    expect(text).not.toContain(input.privateKeyPem.slice(40, 80));
    if (kind === 'wrong CA')
      expect((err as { details: { chainCode: string } }).details.chainCode).toMatch(/UNKNOWN_ISSUER|ISSUER/);
  });

  it('uses the injected clock for "now"', async () => {
    const { issue } = await pki();
    const input = await issue('clocked');
    await expect(
      validateCredentials(input, { clock: { now: () => Date.now() + 400 * 24 * HOUR } }),
    ).rejects.toMatchObject({
      code: 'ERR_MTLS_CERT_EXPIRED',
    });
  });

  it('rejects non-object input with a coded error', async () => {
    await expect(validateCredentials(null as never)).rejects.toMatchObject({
      code: 'ERR_MTLS_CREDENTIALS_MISSING',
    });
  });
});
