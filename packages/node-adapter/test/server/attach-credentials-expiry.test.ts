// Finding 11 of issue 13: after a rotation, connections of the old generation (idle and
// streaming HTTP/1.1, raw TLS) are closed before the old certificate's notAfter.
import { createServer as createHttpsServer, Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { attachCredentials } from '@mtlskit/node-adapter';
import { afterEach, describe, expect, it } from 'vitest';
import { closeServer, createTestPki, listen, MutableCredentialSource } from '../helpers/pki.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serverCredentials(notAfterMs: number) {
  const pki = await createTestPki('expiry CA');
  const issue = async (notAfter: number) => {
    const c = await pki.ca.issue({
      subject: { commonName: 'server' },
      profile: 'server',
      ipAddresses: ['127.0.0.1'],
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(notAfter),
    });
    return {
      certificateChainPem: c.chainPem,
      privateKeyPem: c.privateKeyPem!,
      trustAnchorsPem: pki.ca.certificatePem,
    };
  };
  return {
    ca: pki.ca.certificatePem,
    old: await issue(Date.now() + notAfterMs),
    next: () => issue(Date.now() + 3_600_000),
  };
}

function closedBy(socket: TLSSocket | import('node:net').Socket): Promise<number> {
  return new Promise((resolve) => socket.once('close', () => resolve(Date.now())));
}

describe('attachCredentials retires old-generation connections before the old certificate expires', () => {
  it('idle and streaming HTTP/1.1 connections are closed before notAfter', async () => {
    const creds = await serverCredentials(4000);
    const source = new MutableCredentialSource({ purpose: 'serverAuth' });
    await source.set(creds.old);
    const notAfter = source.current().notAfter.getTime();
    const server = createHttpsServer((req, res) => {
      if (req.url === '/stream') {
        res.writeHead(200);
        const t = setInterval(() => res.write('x'), 100);
        res.on('close', () => clearInterval(t));
        return;
      }
      res.end('ok');
    });
    server.keepAliveTimeout = 60_000;
    const attached = attachCredentials(server, source, { requestCert: false, retireBeforeExpiryMs: 1000 });
    await attached.ready();
    const port = await listen(server);
    cleanups.push(
      () => closeServer(server),
      () => attached.detach(),
    );
    const agent = new HttpsAgent({ keepAlive: true, ca: creds.ca, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    // An idle keep-alive connection: one request done, socket parked in the agent.
    const idleSocket = await new Promise<import('node:net').Socket>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(req.socket!));
      });
      req.on('error', reject);
      req.end();
    });
    const idleClosed = closedBy(idleSocket);
    // A streaming response that never ends.
    const streamSocket = await new Promise<import('node:net').Socket>((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port, path: '/stream', ca: creds.ca, agent: false },
        (res) => {
          res.on('data', () => undefined);
          res.on('error', () => undefined);
          resolve(req.socket!);
        },
      );
      req.on('error', () => undefined);
      req.on('error', reject);
      req.end();
    });
    streamSocket.on('error', () => undefined);
    const streamClosed = closedBy(streamSocket);
    await source.set(await creds.next());
    expect(attached.generation).toBe(2);
    const [idleAt, streamAt] = await Promise.all([idleClosed, streamClosed]);
    expect(idleAt).toBeLessThan(notAfter);
    expect(streamAt).toBeLessThan(notAfter);
    // New connections get the new certificate and work.
    const body = await new Promise<string>((resolve, reject) => {
      httpsRequest({ host: '127.0.0.1', port, path: '/', ca: creds.ca, agent: false }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => resolve(text));
      })
        .on('error', reject)
        .end();
    });
    expect(body).toBe('ok');
  }, 20_000);

  it('raw TLS connections of the old generation are ended before notAfter', async () => {
    const creds = await serverCredentials(4000);
    const source = new MutableCredentialSource({ purpose: 'serverAuth' });
    await source.set(creds.old);
    const notAfter = source.current().notAfter.getTime();
    const server = createTlsServer((socket) => socket.on('data', (d) => socket.write(d)));
    const attached = attachCredentials(server, source, { requestCert: false, retireBeforeExpiryMs: 1000 });
    await attached.ready();
    const port = await listen(server);
    cleanups.push(
      () => closeServer(server),
      () => attached.detach(),
    );
    const client = connect({ host: '127.0.0.1', port, ca: creds.ca });
    client.on('error', () => undefined);
    await new Promise<void>((resolve) => client.once('secureConnect', () => resolve()));
    const closed = closedBy(client);
    await source.set(await creds.next());
    expect(await closed).toBeLessThan(notAfter);
  }, 20_000);
});
