import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createAgent, MemoryStore } from '@mtlskit/agent';
import { afterEach, describe, expect, it } from 'vitest';
import { nextEvent, waitFor } from '../lib/helpers.js';
import { type ProtocolServer, startProtocolServer } from '../lib/protocol-server.js';

async function apiIdentity(server: ProtocolServer): Promise<{ key: string; cert: string }> {
  const leaf = await server.ca.issue({
    subject: { commonName: 'api' },
    profile: 'server',
    ipAddresses: ['127.0.0.1'],
  });
  return { key: leaf.privateKeyPem!, cert: leaf.certificatePem };
}

// The agent against a backend written only from the protocol text (node:https, no testkit).
describe('agent against an independent protocol backend', () => {
  let server: ProtocolServer | undefined;
  afterEach(async () => {
    await server?.close();
  });

  it('enrolls, heartbeats and renews with real TLS', async () => {
    server = await startProtocolServer({ tokens: { 'tok1.s3cr3t-value': 'svc-a' }, lifetimeMs: 6_000 });
    const store = new MemoryStore();
    const agent = createAgent({
      backendUrl: server.url,
      trustAnchors: server.caPem,
      installToken: 'tok1.s3cr3t-value',
      serviceName: 'svc-a',
      store,
      heartbeat: { intervalMs: 500 },
      renewal: { jitter: 0 },
    });
    try {
      const first = await agent.start();
      expect(agent.state).toBe('active');
      expect(first.generation).toBe(1);
      expect(server.registrations).toHaveLength(1);
      const reg = server.registrations[0]!;
      expect(reg.agentId).toBe(agent.status().agentId);
      const regRequest = server.requests.find((r) => r.route === 'register')!;
      expect(regRequest.headers['idempotency-key']).toBe(reg.idempotencyKey);
      expect(JSON.parse(regRequest.body).metadata).toMatchObject({
        agent_id: reg.agentId,
        hostname: expect.any(String),
      });
      await nextEvent(agent, 'heartbeat');
      const hb = server.heartbeats[0]!;
      expect(hb.body).toMatchObject({
        agent_id: reg.agentId,
        status: 'healthy',
        metrics: expect.any(Object),
      });
      const metrics = hb.body['metrics'] as Record<string, number>;
      for (const k of ['cpu_usage', 'memory_usage', 'disk_usage']) {
        expect(metrics[k]).toBeGreaterThanOrEqual(0);
        expect(metrics[k]).toBeLessThanOrEqual(100);
      }
      const renewed = await nextEvent(agent, 'renewed', 10_000);
      expect(renewed.credentials.generation).toBe(2);
      expect(renewed.previousGeneration).toBe(1);
      expect(server.renewals).toHaveLength(1);
      expect((await store.load())?.generation).toBe(2);
      // Heartbeats now go out with the new certificate.
      const before = server.heartbeats.length;
      await waitFor(() => server!.heartbeats.length > before + 1);
      expect(server.heartbeats.at(-1)!.fingerprint).not.toBe(hb.fingerprint);
      expect(server.registrations).toHaveLength(1);

      // agent.fetch() presents the current identity to any mTLS server that trusts the CA.
      const peers: string[] = [];
      const api = createServer(
        { ...(await apiIdentity(server)), ca: server.caPem, requestCert: true, rejectUnauthorized: true },
        (req, res) => {
          peers.push((req.socket as TLSSocket).getPeerCertificate().fingerprint256);
          res.end('ok');
        },
      );
      await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
      try {
        const url = `https://127.0.0.1:${(api.address() as AddressInfo).port}/`;
        expect(await (await agent.fetch(url)).text()).toBe('ok');
        const before = agent.current();
        const next = await agent.renewNow();
        expect(next.generation).toBe(before.generation + 1);
        await (await agent.fetch(url)).text();
        const fp = (pem: string) => new X509Certificate(pem).fingerprint256;
        expect(peers).toEqual([fp(before.certificateChainPem), fp(next.certificateChainPem)]);
      } finally {
        api.closeAllConnections();
        await new Promise<void>((r) => api.close(() => r()));
      }
    } finally {
      await agent.close();
    }
  }, 30_000);
});
