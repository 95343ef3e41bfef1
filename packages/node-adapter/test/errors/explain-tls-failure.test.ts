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

  it('names the reason when the client refuses the server: unknown CA, client-only EKU, wrong host name', async () => {
    const pki = await createTestPki();
    const other = await createTestPki('other CA');
    const c = await pki.client('alice');
    const serve = async (cert: string, key: string) => {
      const server = createServer({ cert, key }, (_q, r) => r.end('ok'));
      server.on('tlsClientError', () => undefined);
      const port = await listen(server);
      cleanups.push(() => closeServer(server));
      return port;
    };
    const agent = new Agent({
      connect: { ca: pki.ca.certificatePem, cert: c.certificateChainPem, key: c.privateKeyPem },
    });
    cleanups.push(() => agent.close());
    const call = async (url: string) =>
      explainTlsFailure(await request(url, { dispatcher: agent }).catch((e: unknown) => e));

    const foreign = await other.server();
    const unknownCa = await call(
      `https://127.0.0.1:${await serve(foreign.certificateChainPem, foreign.privateKeyPem)}/`,
    );
    expect(unknownCa).toMatchObject({
      code: 'ERR_MTLS_SERVER_NOT_TRUSTED',
      details: { tlsCode: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
    });
    expect((unknownCa as Error).message).toMatch(/issuer is not among the trusted CAs/);

    // A client certificate served as a server certificate: no serverAuth.
    const clientOnly = await pki.ca.issue({
      subject: { commonName: '127.0.0.1' },
      ipAddresses: ['127.0.0.1'],
    });
    const wrongEku = await call(
      `https://127.0.0.1:${await serve(clientOnly.certificatePem, clientOnly.privateKeyPem!)}/`,
    );
    expect(wrongEku).toMatchObject({
      code: 'ERR_MTLS_SERVER_NOT_TRUSTED',
      details: { tlsCode: 'INVALID_PURPOSE' },
    });
    expect((wrongEku as Error).message).toMatch(/serverAuth/);

    const named = await pki.ca.issue({
      profile: 'server',
      subject: { commonName: 'api' },
      dnsNames: ['api.internal'],
    });
    const wrongHost = await call(
      `https://127.0.0.1:${await serve(named.certificatePem, named.privateKeyPem!)}/`,
    );
    expect(wrongHost).toMatchObject({
      code: 'ERR_MTLS_SERVER_NOT_TRUSTED',
      details: { tlsCode: 'ERR_TLS_CERT_ALTNAME_INVALID' },
    });
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
