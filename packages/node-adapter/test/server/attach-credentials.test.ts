import { once } from 'node:events';
import { createSecureServer, connect as http2Connect, type ServerHttp2Session } from 'node:http2';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { createServer as createTlsServer, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { inspect } from 'node:util';
import { request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createMtlsDispatcher } from '../../src/dispatcher/create-mtls-dispatcher.js';
import { attachCredentials } from '../../src/server/attach-credentials.js';
import { createPeerAllowList } from '../../src/server/create-peer-allow-list.js';
import { getPeerIdentity } from '../../src/server/get-peer-identity.js';
import { runOpenssl, tempDir } from '../helpers/openssl.js';
import { closeServer, createTestPki, listen, MutableCredentialSource, serialOf } from '../helpers/pki.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const dir = tempDir();
afterAll(() => dir.remove());

function tlsClient(
  port: number,
  c: { certificateChainPem: string; privateKeyPem: string },
  ca: string,
  session?: Buffer,
) {
  return new Promise<{ socket: TLSSocket; session: Buffer | undefined; error?: Error }>((resolve) => {
    let ticket: Buffer | undefined;
    const socket = tlsConnect({
      host: '127.0.0.1',
      port,
      cert: c.certificateChainPem,
      key: c.privateKeyPem,
      ca,
      servername: 'localhost',
      session,
    });
    socket.on('session', (s: Buffer) => {
      ticket = s;
    });
    socket.on('error', (error) => resolve({ socket, session: ticket, error }));
    socket.on('data', () => undefined);
    socket.once('secureConnect', () => {
      socket.write('ping');
      socket.once('data', () => setTimeout(() => resolve({ socket, session: ticket }), 20));
      socket.once('end', () => resolve({ socket, session: ticket, error: new Error('closed') }));
    });
  });
}

describe('attachCredentials', () => {
  it('swaps a tls.Server identity, with fresh ticket keys, and s_client sees the new certificate', async () => {
    const pki = await createTestPki();
    const source = new MutableCredentialSource();
    await source.set(await pki.server('server-1'));
    const server = createTlsServer((s) => s.on('data', (d) => s.write(d)));
    const clientErrors: Error[] = [];
    server.on('tlsClientError', (e) => clientErrors.push(e));
    const attached = attachCredentials(server, source);
    await attached.ready();
    const port = await listen(server);
    cleanups.push(() => closeServer(server));
    const client = await pki.client('c1');
    const first = await tlsClient(port, client, pki.ca.certificatePem);
    expect(first.error).toBeUndefined();
    expect(first.socket.getPeerX509Certificate()?.serialNumber.toUpperCase()).toBe(
      serialOf(source.current().certificateChainPem),
    );
    first.socket.destroy();
    const resumed = await tlsClient(port, client, pki.ca.certificatePem, first.session);
    expect(resumed.socket.isSessionReused()).toBe(true); // oracle: tickets work before the swap
    resumed.socket.destroy();

    const next = await pki.server('server-2');
    await source.set(next);
    expect(attached.generation).toBe(2);
    expect(inspect(server, { depth: 2 })).not.toContain('PRIVATE KEY');
    const afterSwap = await tlsClient(port, client, pki.ca.certificatePem, first.session);
    expect(afterSwap.socket.isSessionReused()).toBe(false);
    expect(afterSwap.socket.getPeerX509Certificate()?.serialNumber.toUpperCase()).toBe(
      serialOf(next.certificateChainPem),
    );
    afterSwap.socket.destroy();

    const cert = dir.write('c.pem', client.certificateChainPem);
    const key = dir.write('c.key', client.privateKeyPem);
    const ca = dir.write('ca.pem', pki.ca.certificatePem);
    const out = await runOpenssl(
      [
        's_client',
        '-connect',
        `127.0.0.1:${port}`,
        '-cert',
        cert,
        '-key',
        key,
        '-CAfile',
        ca,
        '-verify_return_error',
        '-showcerts',
      ],
      'hello\n',
    );
    expect(out.out).toContain('Verify return code: 0 (ok)');
    expect(out.out).toContain('CN = server-2');
    // s_client without a client certificate is refused
    const anon = await runOpenssl(['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', ca], 'hello\n');
    expect(anon.out).not.toMatch(/^hello$/m);
    expect(clientErrors.length).toBeGreaterThanOrEqual(1);
  });

  it('after the trust bundle drops a CA, clients of that CA can neither connect nor resume', async () => {
    const pki = await createTestPki('server CA');
    const partner = await createTestPki('partner CA');
    const source = new MutableCredentialSource();
    const serverCreds = await pki.server();
    await source.set({ ...serverCreds, trustAnchorsPem: pki.ca.certificatePem + partner.ca.certificatePem });
    const server = createTlsServer((s) => s.on('data', (d) => s.write(d)));
    server.on('tlsClientError', () => undefined);
    attachCredentials(server, source);
    const port = await listen(server);
    cleanups.push(() => closeServer(server));
    const partnerClient = await partner.client('partner');
    const ok = await tlsClient(port, partnerClient, pki.ca.certificatePem);
    expect(ok.error).toBeUndefined();
    ok.socket.destroy();
    await source.set(serverCreds); // only the server CA now
    const resumed = await tlsClient(port, partnerClient, pki.ca.certificatePem, ok.session);
    expect(resumed.error).toBeDefined();
    expect(resumed.socket.isSessionReused()).toBe(false);
    resumed.socket.destroy();
  });

  it('retires old-generation HTTP/1.1 keep-alive connections with Connection: close', async () => {
    const pki = await createTestPki();
    const source = new MutableCredentialSource();
    await source.set(await pki.server('s1'));
    const server = createHttpsServer((req, res) => res.end(getPeerIdentity(req)?.commonName ?? 'anonymous'));
    attachCredentials(server, source);
    const port = await listen(server);
    cleanups.push(() => closeServer(server));
    const clientSource = new MutableCredentialSource();
    await clientSource.set(await pki.client('alice'));
    const dispatcher = createMtlsDispatcher(clientSource);
    cleanups.push(() => dispatcher.close());
    const sockets: Array<{ generation: number; socket: TLSSocket }> = [];
    dispatcher.on(
      'socket' as 'connect',
      ((e: { generation: number; socket: TLSSocket }) => sockets.push(e)) as never,
    );
    const r1 = await request(`https://127.0.0.1:${port}/`, { dispatcher });
    expect(r1.headers.connection).toBe('keep-alive');
    expect(await r1.body.text()).toBe('alice');
    await source.set(await pki.server('s2'));
    const r2 = await request(`https://127.0.0.1:${port}/`, { dispatcher });
    expect(r2.headers.connection).toBe('close');
    await r2.body.text();
    const r3 = await request(`https://127.0.0.1:${port}/`, { dispatcher });
    expect(r3.headers.connection).toBe('keep-alive');
    await r3.body.text();
    expect(sockets).toHaveLength(2);
    expect(sockets[1]!.socket.getPeerX509Certificate()?.subject).toContain('CN=s2');
  });

  it('authorize() refuses peers outside the allow-list; the client gets a coded error', async () => {
    const pki = await createTestPki();
    const source = new MutableCredentialSource();
    await source.set(await pki.server());
    const server = createHttpsServer((req, res) => res.end(getPeerIdentity(req)?.spiffeId ?? 'none'));
    const attached = attachCredentials(server, source, {
      authorize: createPeerAllowList({ spiffeIds: ['spiffe://acme.test/ns/prod/*'] }),
    });
    const refused: unknown[] = [];
    attached.on('unauthorized', (e) => refused.push(e));
    const port = await listen(server);
    cleanups.push(() => closeServer(server));
    const good = new MutableCredentialSource();
    await good.set(await pki.client('billing', { uris: ['spiffe://acme.test/ns/prod/sa/billing'] }));
    const bad = new MutableCredentialSource();
    await bad.set(await pki.client('intruder', { uris: ['spiffe://acme.test/ns/dev/sa/x'] }));
    const d1 = createMtlsDispatcher(good);
    const d2 = createMtlsDispatcher(bad);
    cleanups.push(
      () => d1.close(),
      () => d2.close(),
    );
    const ok = await request(`https://127.0.0.1:${port}/`, { dispatcher: d1 });
    expect(await ok.body.text()).toBe('spiffe://acme.test/ns/prod/sa/billing');
    await expect(request(`https://127.0.0.1:${port}/`, { dispatcher: d2 })).rejects.toMatchObject({
      code: 'ERR_MTLS_PEER_REJECTED_CERTIFICATE',
    });
    expect(refused).toHaveLength(1);
  });

  it('sends a GOAWAY to old-generation HTTP/2 sessions; in-flight streams finish', async () => {
    const pki = await createTestPki();
    const source = new MutableCredentialSource();
    await source.set(await pki.server('h2-1'));
    const server = createSecureServer({ allowHTTP1: false });
    const peers: Array<string | undefined> = [];
    server.on('stream', (stream) => {
      peers.push(getPeerIdentity(stream.session as ServerHttp2Session)?.commonName);
      stream.respond({ ':status': 200 });
      stream.write('a');
      setTimeout(() => stream.end('b'), 200);
    });
    attachCredentials(server as never, source);
    const port = await listen(server as never);
    cleanups.push(() => closeServer(server as never));
    const client = await pki.client('h2c');
    const session = http2Connect(`https://localhost:${port}`, {
      cert: client.certificateChainPem,
      key: client.privateKeyPem,
      ca: pki.ca.certificatePem,
    });
    cleanups.push(() => session.destroy());
    const stream = session.request({ ':path': '/' });
    let body = '';
    stream.on('data', (d) => {
      body += String(d);
    });
    await once(stream, 'response');
    const goaway = once(session, 'goaway');
    await source.set(await pki.server('h2-2'));
    await goaway;
    await once(stream, 'end');
    expect(body).toBe('ab');
    expect(peers).toEqual(['h2c']);
  });

  it('refuses a server it cannot attach to', () => {
    expect(() => attachCredentials({} as never, new MutableCredentialSource())).toThrow(
      expect.objectContaining({ code: 'ERR_MTLS_INVALID_ARGUMENT' }),
    );
    void httpsRequest;
  });
});
