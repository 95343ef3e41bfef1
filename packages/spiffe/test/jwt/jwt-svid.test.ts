import { inspect } from 'node:util';
import { fetchJwtBundles, fetchJwtSvid, validateJwtSvid } from '@mtlskit/spiffe';
import { createTestWorkloadApi, type TestWorkloadApi } from '@mtlskit/testkit';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let api: TestWorkloadApi;
beforeAll(async () => {
  api = await createTestWorkloadApi({ spiffeIds: ['spiffe://example.org/a', 'spiffe://example.org/b'] });
});
afterAll(() => api.close());

describe('JWT-SVIDs', () => {
  it('fetchJwtSvid returns a token for the audience, hidden from JSON and inspect', async () => {
    const svid = await fetchJwtSvid({ audience: 'https://billing.internal', socketPath: api.address });
    expect(svid.spiffeId).toBe('spiffe://example.org/a');
    expect(svid.audience).toEqual(['https://billing.internal']);
    expect(svid.claims.sub).toBe('spiffe://example.org/a');
    expect(svid.expiresAt.getTime()).toBeGreaterThan(Date.now());
    expect(svid.token.split('.')).toHaveLength(3);
    expect(JSON.stringify(svid)).not.toContain(svid.token);
    expect(inspect(svid)).not.toContain(svid.token);
    const b = await fetchJwtSvid({
      audience: ['x'],
      spiffeId: 'spiffe://example.org/b',
      socketPath: api.address,
    });
    expect(b.spiffeId).toBe('spiffe://example.org/b');
    expect(api.calls.filter((c) => c.method === 'FetchJWTSVID').every((c) => c.header === 'true')).toBe(true);
  });

  it('validateJwtSvid through the Workload API and locally with the JWT bundles', async () => {
    const { token } = await fetchJwtSvid({ audience: 'aud-1', socketPath: api.address });
    const remote = await validateJwtSvid(token, 'aud-1', { socketPath: api.address });
    expect(remote.spiffeId).toBe('spiffe://example.org/a');
    expect(remote.claims.aud).toEqual(['aud-1']);
    await expect(validateJwtSvid(token, 'aud-2', { socketPath: api.address })).rejects.toMatchObject({
      code: 'ERR_MTLS_SPIFFE_JWT_INVALID',
    });

    const bundles = await fetchJwtBundles({ socketPath: api.address });
    expect(Object.keys(bundles)).toEqual(['example.org']);
    const local = await validateJwtSvid(token, 'aud-1', { bundles });
    expect(local.spiffeId).toBe('spiffe://example.org/a');
    await expect(validateJwtSvid(token, 'aud-2', { bundles })).rejects.toMatchObject({
      code: 'ERR_MTLS_SPIFFE_JWT_INVALID',
    });
    await expect(
      validateJwtSvid(token, 'aud-1', { bundles, now: () => Date.now() + 3_600_000 }),
    ).rejects.toMatchObject({
      code: 'ERR_MTLS_SPIFFE_JWT_INVALID',
    });
  });

  it('refuses a token signed by a key outside the bundle, an HMAC token and a non-SPIFFE subject', async () => {
    const bundles = await fetchJwtBundles({ socketPath: api.address });
    const kid = (api.jwks.keys[0] as { kid: string }).kid;
    const { privateKey } = await generateKeyPair('ES256');
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid })
      .setSubject('spiffe://example.org/a')
      .setAudience('aud')
      .setExpirationTime(now + 60)
      .sign(privateKey);
    await expect(validateJwtSvid(forged, 'aud', { bundles })).rejects.toMatchObject({
      code: 'ERR_MTLS_SPIFFE_JWT_INVALID',
    });
    const hmac = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid })
      .setSubject('spiffe://example.org/a')
      .setAudience('aud')
      .setExpirationTime(now + 60)
      .sign(new TextEncoder().encode('x'.repeat(32)));
    await expect(validateJwtSvid(hmac, 'aud', { bundles })).rejects.toMatchObject({
      code: 'ERR_MTLS_SPIFFE_JWT_INVALID',
    });
    const other = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid })
      .setSubject('user@example.org')
      .setAudience('aud')
      .setExpirationTime(now + 60)
      .sign(privateKey);
    await expect(validateJwtSvid(other, 'aud', { bundles })).rejects.toMatchObject({
      code: 'ERR_MTLS_SPIFFE_JWT_INVALID',
    });
  });

  it('maps Workload API failures to coded errors', async () => {
    await expect(fetchJwtSvid({ audience: [], socketPath: api.address })).rejects.toMatchObject({
      code: 'ERR_MTLS_INVALID_ARGUMENT',
    });
    api.faults.permissionDenied = true;
    try {
      await expect(fetchJwtSvid({ audience: 'a', socketPath: api.address })).rejects.toMatchObject({
        code: 'ERR_MTLS_SPIFFE_PERMISSION_DENIED',
      });
    } finally {
      api.faults.permissionDenied = false;
    }
    await expect(
      fetchJwtSvid({ audience: 'a', socketPath: 'unix:///nonexistent/agent.sock', timeoutMs: 2000 }),
    ).rejects.toMatchObject({
      code: 'ERR_MTLS_SPIFFE_UNAVAILABLE',
    });
    const controller = new AbortController();
    controller.abort();
    await expect(
      fetchJwtSvid({ audience: 'a', socketPath: api.address, signal: controller.signal }),
    ).rejects.toMatchObject({
      code: 'ERR_MTLS_ABORTED',
    });
  });
});
