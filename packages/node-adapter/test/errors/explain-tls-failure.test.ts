import { createServer } from 'node:https';
import { Agent, fetch, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { explainTlsFailure } from '../../src/errors/explain-tls-failure.js';
import { freePort } from '../helpers/openssl.js';
import { closeServer, createTestPki, listen } from '../helpers/pki.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('explainTlsFailure', () => {
  it('explains a rejection seen by a plain undici Agent and through fetch', async () => {
    const pki = await createTestPki();
    const stranger = await createTestPki('stranger');
    const s = await pki.server();
    const server = createServer(
      {
        cert: s.certificateChainPem,
        key: s.privateKeyPem,
        ca: pki.ca.certificatePem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (_q, r) => r.end('ok'),
    );
    server.on('tlsClientError', () => undefined);
    const port = await listen(server);
    cleanups.push(() => closeServer(server));
    const c = await stranger.client('mallory');
    const agent = new Agent({
      connect: { ca: pki.ca.certificatePem, cert: c.certificateChainPem, key: c.privateKeyPem },
    });
    cleanups.push(() => agent.close());
    const origin = `https://127.0.0.1:${port}`;
    const raw = await request(`${origin}/`, { dispatcher: agent }).catch((e: unknown) => e);
    const explained = explainTlsFailure(raw, { origin, subject: 'CN=mallory' });
    expect(explained).toMatchObject({ code: 'ERR_MTLS_PEER_REJECTED_CERTIFICATE', details: { origin } });
    expect((explained as Error).message).toContain('CN=mallory');
    expect((explained as Error).cause).toBe(raw);
    const viaFetch = await fetch(`${origin}/`, { dispatcher: agent }).catch((e: unknown) => e);
    expect(explainTlsFailure(viaFetch)).toMatchObject({ code: 'ERR_MTLS_PEER_REJECTED_CERTIFICATE' });
  });

  it('returns unrelated errors unchanged (connection refused)', async () => {
    const port = await freePort();
    const agent = new Agent();
    cleanups.push(() => agent.close());
    const raw = await request(`https://127.0.0.1:${port}/`, { dispatcher: agent }).catch((e: unknown) => e);
    expect((raw as { code?: string }).code).toBe('ECONNREFUSED');
    expect(explainTlsFailure(raw)).toBe(raw);
    expect(explainTlsFailure('not an error')).toBe('not an error');
  });
});
