import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { AGENT_CHANNELS, createAgent, MemoryStore } from '@mtlskit/agent';
import { afterEach, describe, expect, it } from 'vitest';
import { nextEvent } from '../lib/helpers.js';
import { type ProtocolServer, startProtocolServer } from '../lib/protocol-server.js';

const TOKEN = 'obsid.observability-secret-token';
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

describe('agent observability', () => {
  it('publishes enrollment, renewal and heartbeat phases on diagnostics channels and reports status', async () => {
    expect(AGENT_CHANNELS).toEqual({
      enrollment: 'mtlskit:agent:enrollment',
      renewal: 'mtlskit:agent:renewal',
      heartbeat: 'mtlskit:agent:heartbeat',
    });
    const server: ProtocolServer = await startProtocolServer({ tokens: { [TOKEN]: 'svc' } });
    open.push(server);
    const seen: Record<string, { phase: string }[]> = { enrollment: [], renewal: [], heartbeat: [] };
    const handlers = Object.entries(AGENT_CHANNELS).map(([k, name]) => {
      const fn = (m: unknown): void => {
        seen[k]!.push(m as { phase: string });
      };
      subscribe(name, fn);
      return () => unsubscribe(name, fn);
    });
    open.push({
      close: async () => {
        for (const h of handlers) h();
      },
    });
    server.faults.set('renew', [{ status: 503 }]);
    const agent = createAgent({
      backendUrl: server.url,
      trustAnchors: server.caPem,
      installToken: TOKEN,
      serviceName: 'svc',
      store: new MemoryStore(),
      heartbeat: { intervalMs: 100 },
    });
    open.push(agent);
    const creds = await agent.start();
    await nextEvent(agent, 'heartbeat');
    await expect(agent.renewNow()).rejects.toMatchObject({ code: 'ERR_MTLS_SERVER_UNAVAILABLE' });
    await agent.renewNow();
    expect(seen['enrollment']!.map((m) => m.phase)).toEqual(['start', 'success']);
    expect(seen['renewal']!.map((m) => m.phase)).toEqual(['start', 'failure', 'start', 'success']);
    expect(seen['heartbeat']!.some((m) => m.phase === 'success')).toBe(true);
    const failure = seen['renewal']![1] as unknown as { error: { code: string } };
    expect(failure.error.code).toBe('ERR_MTLS_SERVER_UNAVAILABLE');

    const status = agent.status();
    expect(status).toMatchObject({
      state: 'active',
      strategy: 'install-token:csr',
      generation: 2,
      serviceId: server.registrations[0]!.serviceId,
      agentId: server.registrations[0]!.agentId,
      counters: { enrollments: 1, renewals: 1, renewalFailures: 1 },
      lastError: { code: 'ERR_MTLS_SERVER_UNAVAILABLE' },
    });
    expect(status.notAfter!.getTime()).toBeGreaterThan(creds.notAfter.getTime() - 1);
    expect(status.nextRenewalAt!.getTime()).toBeLessThan(status.notAfter!.getTime());
    expect(status.lastHeartbeatAt).toBeInstanceOf(Date);
    // The Prometheus recipe of docs/agent.md: expiry as seconds since the epoch.
    expect(Math.floor(status.notAfter!.getTime() / 1000)).toBeGreaterThan(Date.now() / 1000);
    expect(JSON.parse(JSON.stringify(agent))).toMatchObject({ state: 'active', generation: 2 });
  });
});
