import { createHash } from 'node:crypto';
import { idempotencyKey, idempotencyKeyOfCsr } from '@mtlskit/agent';
import { createCsr, exportPublicKeyPem, generateKeyPair } from '@mtlskit/core';
import { describe, expect, it } from 'vitest';

describe('idempotencyKey', () => {
  it('is base64url(sha256(SPKI)), stable per key and equal to what a backend computes from the CSR', async () => {
    const key = await generateKeyPair();
    const spkiDer = Buffer.from((await exportPublicKeyPem(key)).replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const expected = createHash('sha256').update(spkiDer).digest('base64url');
    expect(await idempotencyKey(key)).toBe(expected);
    expect(await idempotencyKey(key)).toBe(expected);
    expect(await idempotencyKeyOfCsr(await createCsr({ key, subject: { commonName: 'a' } }))).toBe(expected);
    expect(await idempotencyKey(await generateKeyPair())).not.toBe(expected);
  });
});
