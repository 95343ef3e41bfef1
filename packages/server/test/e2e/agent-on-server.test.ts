import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore as AgentMemoryStore, createAgent, type MtlsAgent } from '@mtlskit/agent';
import { type CertificateAuthority, createCertificateAuthority } from '@mtlskit/core';
import { createMemoryStore, type RegistrationStore } from '@mtlskit/server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nextEvent, waitFor } from '../../../agent/test/lib/helpers.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { type Replica, serverIdentity, startReplica } from '../support/replica.js';

// The agent's end-to-end story (packages/agent/test/e2e) against @mtlskit/server itself, on
// two replicas: once sharing a memory store in this process, once on a real redis-server.
describe.each(['memory', 'redis'] as const)(
  'agent against two replicas of @mtlskit/server (%s store)',
  (kind) => {
    let redis: RedisServer | undefined;
    let ca: CertificateAuthority;
    let tls: { cert: string; key: string };
    const cleanups: (() => Promise<unknown>)[] = [];

    beforeAll(async () => {
      if (kind === 'redis') redis = await startRedisServer();
      ca = await createCertificateAuthority({ subject: { commonName: `agent e2e CA (${kind})` } });
      tls = await serverIdentity(ca);
    });
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });
    afterAll(async () => {
      await redis?.close();
    });

    async function pair(options: Parameters<typeof startReplica>[2] = {}): Promise<[Replica, Replica]> {
      const prefix = `agent-e2e-${Math.random().toString(36).slice(2)}:`;
      const shared: RegistrationStore | undefined = kind === 'memory' ? createMemoryStore() : undefined;
      const one = (extra: Parameters<typeof startReplica>[2]) =>
        startReplica(ca, tls, {
          ...options,
          ...extra,
          ...(shared ? { store: shared } : { redisUrl: redis!.url, keyPrefix: prefix }),
        });
      const a = await one({});
      const b = await one({ hooks: {} });
      cleanups.push(
        () => a.close(),
        () => b.close(),
      );
      cleanups.push(async () => {
        expect([...a.internalErrors, ...b.internalErrors]).toEqual([]);
      });
      return [a, b];
    }

    async function stateDir(): Promise<string> {
      const dir = await mkdtemp(join(tmpdir(), 'mtlskit-server-e2e-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      return join(dir, 'state');
    }

    function agentFor(r: Replica, extra: Partial<Parameters<typeof createAgent>[0]>): MtlsAgent {
      const agent = createAgent({
        backendUrl: r.url,
        trustAnchors: ca.certificatePem,
        serviceName: 'e2e-svc',
        heartbeat: { enabled: false },
        ...(extra.store === undefined && extra.stateDir === undefined
          ? { store: new AgentMemoryStore() }
          : {}),
        ...extra,
      } as Parameters<typeof createAgent>[0]);
      cleanups.push(() => agent.close());
      return agent;
    }

    it('enrolls on A, heartbeats, renews three times with 5-second certificates, restarts against B without registering again', async () => {
      const [a, b] = await pair({ certificateLifetimeMs: 5_000 });
      const dir = await stateDir();
      const { token } = await a.service.mintInstallToken({ serviceName: 'e2e-svc' });
      const agent = agentFor(a, { installToken: token, stateDir: dir, heartbeat: { intervalMs: 400 } });
      expect((await agent.start()).generation).toBe(1);
      await nextEvent(agent, 'heartbeat');
      const generations: number[] = [];
      agent.on('renewed', (r) => generations.push(r.credentials.generation));
      await waitFor(() => generations.length >= 3, 25_000, 'three renewals');
      expect(generations.slice(0, 3)).toEqual([2, 3, 4]);
      const stats = await b.service.store.stats();
      expect(stats.registrations).toBe(1);
      expect(stats.renewals).toBeGreaterThanOrEqual(3);
      expect(stats.heartbeats).toBeGreaterThanOrEqual(1);
      await agent.close();

      const again = agentFor(b, { stateDir: dir, heartbeat: { intervalMs: 300 } });
      await again.start();
      await nextEvent(again, 'heartbeat');
      expect(again.status().agentId).toBe(agent.status().agentId);
      expect((await a.service.store.stats()).registrations).toBe(1);
    }, 45_000);

    it('reports a token used by another key as ERR_MTLS_INSTALL_TOKEN_USED (409), across replicas', async () => {
      const [a, b] = await pair();
      const { token } = await a.service.mintInstallToken({ serviceName: 'e2e-svc' });
      await agentFor(a, { installToken: token }).start();
      await expect(agentFor(b, { installToken: token }).start()).rejects.toMatchObject({
        code: 'ERR_MTLS_INSTALL_TOKEN_USED',
      });
    });

    it('stops when another replica revokes the identity', async () => {
      const [a, b] = await pair();
      const { token } = await a.service.mintInstallToken({ serviceName: 'e2e-svc' });
      const agent = agentFor(a, { installToken: token, heartbeat: { intervalMs: 300 } });
      await agent.start();
      await nextEvent(agent, 'heartbeat');
      await b.service.revoke({ agentId: agent.status().agentId! });
      const revoked = await nextEvent(agent, 'revoked');
      expect(revoked.cause.code).toBe('ERR_MTLS_REVOKED');
      expect(agent.state).toBe('revoked');
    });

    it('ends with exactly one registration when the register answer is lost after commit', async () => {
      let drop = 1;
      const [a] = await pair({ hooks: { dropAnswer: (route) => route === 'register' && drop-- > 0 } });
      const { token } = await a.service.mintInstallToken({ serviceName: 'e2e-svc' });
      const agent = agentFor(a, { installToken: token });
      const failed = nextEvent(agent, 'enrollment-failed');
      const creds = await agent.start();
      expect((await failed).cause.code).toBe('ERR_MTLS_SERVER_UNAVAILABLE');
      expect(creds.generation).toBe(1);
      expect((await a.service.store.stats()).registrations).toBe(1);
    });
  },
);
