// Finding 9 of issue 13: parts of secrets are redacted, and keys do not pile up in memory.
import { exportPrivateKeyPem, generateKeyPair } from '@mtlskit/core';
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../src/lib/redactor.js';

describe('Redactor', () => {
  it('redacts every long part of a token, not only the whole token', () => {
    const r = new Redactor();
    r.add('tokid123.the-secret-half-0123456789');
    expect(r.string('echo the-secret-half-0123456789 back')).toBe('echo [REDACTED] back');
    expect(r.string('id tokid123 seen')).toBe('id [REDACTED] seen');
    expect(r.string('tokid123.the-secret-half-0123456789')).not.toContain('secret-half');
  });

  it('redacts anything that looks like a PEM private key, even one it was never told about', async () => {
    const pem = await exportPrivateKeyPem(await generateKeyPair({ algorithm: 'ECDSA-P256' }));
    const r = new Redactor();
    expect(r.string(`oops ${pem.trim()} end`)).toBe('oops [REDACTED] end');
  });

  it('keeps only the last few keys: memory does not grow with renewals', () => {
    const r = new Redactor();
    r.add('tokid123.the-secret-half-0123456789');
    const base = r.size;
    for (let i = 0; i < 300; i++)
      r.addKey(`-----BEGIN PRIVATE KEY-----\\nkey-number-${i}-padding\\n-----END PRIVATE KEY-----`);
    expect(r.size - base).toBeLessThanOrEqual(3);
  });
});
