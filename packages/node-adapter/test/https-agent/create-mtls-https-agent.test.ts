import { createServer, request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createMtlsHttpsAgent } from '../../src/https-agent/create-mtls-https-agent.js';
import { closeServer, createTestPki, listen, MutableCredentialSource, serialOf } from '../helpers/pki.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function get(port: number, agent: import('node:https').Agent): Promise<{ body: string; socket: TLSSocket }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      let body = '';
      const socket = res.socket as TLSSocket;
      res.on('data', (d) => {
        body += String(d);
      });
      res.on('end', () => resolve({ body, socket }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('createMtlsHttpsAgent', () => {
  it('uses the current identity for new sockets, reuses keep-alive sockets, and closes idle old ones on swap', async () => {
    const pki = await createTestPki();
    const s = await pki.server();
    const resumed: boolean[] = [];
    const server = createServer(
      {
        cert: s.certificateChainPem,
        key: s.privateKeyPem,
        ca: pki.ca.certificatePem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => res.end((req.socket as TLSSocket).getPeerX509Certificate()?.serialNumber.toUpperCase()),
    );
    server.on('secureConnection', (t: TLSSocket) => resumed.push(t.isSessionReused()));
    const port = await listen(server);
    cleanups.push(() => closeServer(server));
    const source = new MutableCredentialSource();
    const first = await pki.client('one');
    await source.set(first);
    const agent = createMtlsHttpsAgent(source);
    cleanups.push(() => agent.destroy());
    const a = await get(port, agent);
    const b = await get(port, agent);
    expect(a.body).toBe(serialOf(first.certificateChainPem));
    expect(b.socket).toBe(a.socket); // keep-alive reuse
    const idle = a.socket;
    const second = await pki.client('two');
    await new Promise((r) => setImmediate(r)); // let the keep-alive socket be returned to the pool
    await source.set(second);
    expect(idle.destroyed).toBe(true);
    const c = await get(port, agent);
    expect(c.body).toBe(serialOf(second.certificateChainPem));
    expect(resumed.at(-1)).toBe(false);
  });

  it('waits for a source that is not ready and refuses a TLS floor below 1.2', async () => {
    const pki = await createTestPki();
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
    const port = await listen(server);
    cleanups.push(() => closeServer(server));
    const source = new MutableCredentialSource();
    const agent = createMtlsHttpsAgent(source);
    cleanups.push(() => agent.destroy());
    const pending = get(port, agent);
    await source.set(await pki.client());
    expect((await pending).body).toBe('ok');
    expect(() => createMtlsHttpsAgent(source, { minVersion: 'TLSv1' as 'TLSv1.2' })).toThrow(
      expect.objectContaining({ code: 'ERR_MTLS_INVALID_ARGUMENT' }),
    );
  });
});
