import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { MutableCredentialSource } from '@mtlskit/core';
import {
  attachCredentials,
  createMtlsDispatcher,
  createMtlsHttpsAgent,
  createPeerAllowList,
  getPeerIdentity,
} from '@mtlskit/node-adapter';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { closeServer, createTestPki, listen, type TestPki } from '../helpers/pki.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function spiffeServer(pki: TestPki, spiffeId: string): Promise<number> {
  const issued = await pki.ca.issue({
    profile: 'both',
    uris: [spiffeId],
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  const source = new MutableCredentialSource();
  await source.set({
    certificateChainPem: issued.chainPem,
    privateKeyPem: issued.privateKeyPem!,
    trustAnchorsPem: pki.ca.certificatePem,
  });
  const server = createHttpsServer((req, res) => res.end(getPeerIdentity(req)?.spiffeId ?? 'none'));
  attachCredentials(server, source);
  const port = await listen(server);
  cleanups.push(() => closeServer(server));
  return port;
}

async function clientSource(pki: TestPki, spiffeId: string): Promise<MutableCredentialSource> {
  const source = new MutableCredentialSource();
  await source.set(await pki.client('client', { uris: [spiffeId] }));
  return source;
}

function agentGet(
  agent: ReturnType<typeof createMtlsHttpsAgent>,
  port: number,
  host = '127.0.0.1',
): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host, port, path: '/', agent }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('SPIFFE ID authorization', () => {
  it('server allow-list by trust domain: members pass, other domains are refused', async () => {
    const pki = await createTestPki();
    const allow = createPeerAllowList({ spiffeTrustDomains: ['example.org', 'spiffe://partner.org'] });
    const peer = (spiffeId: string | undefined) =>
      ({ spiffeId, uris: spiffeId ? [spiffeId] : [], dnsNames: [], commonName: undefined }) as never;
    expect(allow(peer('spiffe://example.org/a/b'))).toBe(true);
    expect(allow(peer('spiffe://partner.org/x'))).toBe(true);
    expect(allow(peer('spiffe://example.org'))).toBe(true);
    expect(allow(peer('spiffe://example.org.evil/x'))).toBe(false);
    expect(allow(peer('spiffe://Example.org/x'))).toBe(false);
    expect(allow(peer('spiffe://other.org/x'))).toBe(false);
    expect(allow(peer(undefined))).toBe(false);
    expect(() => createPeerAllowList({ spiffeTrustDomains: ['Example.org/x'] })).toThrowError(
      expect.objectContaining({ code: 'ERR_MTLS_INVALID_ARGUMENT' }),
    );

    const serverSource = new MutableCredentialSource();
    await serverSource.set(await pki.server());
    const server = createHttpsServer((req, res) => res.end(getPeerIdentity(req)?.spiffeId ?? 'none'));
    attachCredentials(server, serverSource, { authorize: allow });
    const port = await listen(server);
    cleanups.push(() => closeServer(server));
    const member = createMtlsDispatcher(await clientSource(pki, 'spiffe://example.org/billing'));
    const stranger = createMtlsDispatcher(await clientSource(pki, 'spiffe://other.org/billing'));
    cleanups.push(
      () => member.close(),
      () => stranger.close(),
    );
    const ok = await request(`https://127.0.0.1:${port}/`, { dispatcher: member });
    expect(await ok.body.text()).toBe('spiffe://example.org/billing');
    await expect(request(`https://127.0.0.1:${port}/`, { dispatcher: stranger })).rejects.toMatchObject({
      code: 'ERR_MTLS_PEER_REJECTED_CERTIFICATE',
    });
  });

  it('undici: a client authorizing the server by SPIFFE ID refuses another ID even when the host name matches', async () => {
    const pki = await createTestPki();
    const right = await spiffeServer(pki, 'spiffe://example.org/api');
    const wrong = await spiffeServer(pki, 'spiffe://example.org/impostor');
    const source = await clientSource(pki, 'spiffe://example.org/client');
    const dispatcher = createMtlsDispatcher(source, {
      authorizeServer: createPeerAllowList({ spiffeIds: ['spiffe://example.org/api'] }),
    });
    const plain = createMtlsDispatcher(source);
    cleanups.push(
      () => dispatcher.close(),
      () => plain.close(),
    );
    // Both servers' certificates cover 127.0.0.1 and chain to the trusted CA: host-name checks pass.
    expect(await (await request(`https://127.0.0.1:${wrong}/`, { dispatcher: plain })).body.text()).toBe(
      'spiffe://example.org/client',
    );
    expect(await (await request(`https://127.0.0.1:${right}/`, { dispatcher })).body.text()).toBe(
      'spiffe://example.org/client',
    );
    const refused = await request(`https://127.0.0.1:${wrong}/`, { dispatcher }).catch((e: unknown) => e);
    expect(refused).toMatchObject({
      code: 'ERR_MTLS_SERVER_NOT_AUTHORIZED',
      details: { spiffeId: 'spiffe://example.org/impostor', hostname: '127.0.0.1' },
    });
  });

  it('undici: authorizeServer replaces the host-name check (an SVID without the host name is accepted by ID)', async () => {
    const pki = await createTestPki();
    const issued = await pki.ca.issue({ profile: 'both', uris: ['spiffe://example.org/api'] });
    const serverSource = new MutableCredentialSource();
    await serverSource.set({
      certificateChainPem: issued.chainPem,
      privateKeyPem: issued.privateKeyPem!,
      trustAnchorsPem: pki.ca.certificatePem,
    });
    const server = createHttpsServer((_req, res) => res.end('ok'));
    attachCredentials(server, serverSource);
    const port = await listen(server);
    cleanups.push(() => closeServer(server));
    const source = await clientSource(pki, 'spiffe://example.org/client');
    const byId = createMtlsDispatcher(source, {
      authorizeServer: createPeerAllowList({ spiffeTrustDomains: ['example.org'] }),
    });
    const byName = createMtlsDispatcher(source);
    cleanups.push(
      () => byId.close(),
      () => byName.close(),
    );
    expect(await (await request(`https://127.0.0.1:${port}/`, { dispatcher: byId })).body.text()).toBe('ok');
    await expect(request(`https://127.0.0.1:${port}/`, { dispatcher: byName })).rejects.toMatchObject({
      code: 'ERR_MTLS_SERVER_NOT_TRUSTED',
    });
  });

  it('https.Agent: authorizeServer refuses a server with another SPIFFE ID on the same host name', async () => {
    const pki = await createTestPki();
    const right = await spiffeServer(pki, 'spiffe://example.org/api');
    const wrong = await spiffeServer(pki, 'spiffe://example.org/impostor');
    const source = await clientSource(pki, 'spiffe://example.org/client');
    const agent = createMtlsHttpsAgent(source, {
      authorizeServer: createPeerAllowList({ spiffeIds: ['spiffe://example.org/api'] }),
    });
    cleanups.push(() => agent.destroy());
    expect(await agentGet(agent, right, 'localhost')).toBe('spiffe://example.org/client');
    await expect(agentGet(agent, wrong, 'localhost')).rejects.toMatchObject({
      code: 'ERR_MTLS_SERVER_NOT_AUTHORIZED',
      details: { spiffeId: 'spiffe://example.org/impostor' },
    });
    expect(() => createMtlsHttpsAgent(source, { authorizeServer: 'spiffe://x' as never })).toThrowError(
      expect.objectContaining({ code: 'ERR_MTLS_INVALID_ARGUMENT' }),
    );
  });
});
