import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { isMtlsError, type MtlsError } from '@mtlskit/core';
import { describe, expect, it } from 'vitest';
import { attachCredentials } from '../../src/server/attach-credentials.js';
import { closeServer, createTestPki, listen, MutableCredentialSource } from '../helpers/pki.js';

// A client-only certificate in a server made every client fail with "unsuitable certificate
// purpose"; attachCredentials now refuses it with a coded error instead.
describe('attachCredentials refuses certificates that cannot serve TLS server authentication', () => {
  it('ready rejects for a first identity with EKU clientAuth only, whether current or awaited', async () => {
    const pki = await createTestPki();
    const clientOnly = await pki.client('agent-1');
    // 1. The source already has the client certificate.
    const now = new MutableCredentialSource();
    await now.set(clientOnly);
    const a = attachCredentials(createHttpsServer(), now);
    const e1 = await a.ready().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isMtlsError(e1)).toBe(true);
    expect((e1 as MtlsError).code).toBe('ERR_MTLS_CREDENTIALS_UNUSABLE');
    expect((e1 as MtlsError).message).toContain('without serverAuth');
    expect(a.generation).toBe(0);
    // 2. The source gets it later.
    const later = new MutableCredentialSource();
    const b = attachCredentials(createHttpsServer(), later);
    const reported: MtlsError[] = [];
    b.on('error', (e: MtlsError) => reported.push(e));
    await later.set(clientOnly);
    await expect(b.ready()).rejects.toMatchObject({ code: 'ERR_MTLS_CREDENTIALS_UNUSABLE' });
    expect(reported).toHaveLength(1);
    expect(b.generation).toBe(0);
  });

  it('a later client-only generation is refused with an error event; the server keeps serving the last good one', async () => {
    const pki = await createTestPki();
    const source = new MutableCredentialSource();
    await source.set(await pki.server('server-1'));
    const server = createHttpsServer((_req, res) => res.end('ok'));
    const attached = attachCredentials(server, source);
    const errors: MtlsError[] = [];
    attached.on('error', (e: MtlsError) => errors.push(e));
    await attached.ready();
    const port = await listen(server);
    try {
      await source.set(await pki.client('agent-2'));
      expect(errors.map((e) => e.code)).toEqual(['ERR_MTLS_CREDENTIALS_UNUSABLE']);
      expect(attached.generation).toBe(1);
      // A client verifying for serverAuth still connects (the old certificate is served).
      const client = await pki.client('c');
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const req = httpsRequest(
          {
            host: '127.0.0.1',
            port,
            servername: 'localhost',
            ca: pki.ca.certificatePem,
            cert: client.certificateChainPem,
            key: client.privateKeyPem,
          },
          (res: import('node:http').IncomingMessage) => {
            res.resume();
            resolve(res.statusCode);
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(200);
    } finally {
      server.closeAllConnections();
      await closeServer(server);
    }
  });
});
