import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgent, MemoryStore, type MtlsAgent } from '@mtlskit/agent';
import { createTestBackend, type TestBackend } from '@mtlskit/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { nextEvent, waitFor } from '../lib/helpers.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function backend(options: Parameters<typeof createTestBackend>[0] = {}): Promise<TestBackend> {
  const b = await createTestBackend(options);
  cleanups.push(() => b.close());
  return b;
}

async function stateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mtlskit-agent-e2e-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'state');
}

function agentFor(b: TestBackend, extra: Partial<Parameters<typeof createAgent>[0]>): MtlsAgent {
  const agent = createAgent({
    backendUrl: b.url,
    trustAnchors: b.caPem,
    serviceName: 'e2e-svc',
    heartbeat: { enabled: false },
    ...(extra.store === undefined && extra.stateDir === undefined ? { store: new MemoryStore() } : {}),
    ...extra,
  } as Parameters<typeof createAgent>[0]);
  cleanups.push(() => agent.close());
  return agent;
}

describe('agent against createTestBackend (real time, real TLS)', () => {
  it('enrolls, heartbeats, renews three times with 5-second certificates, and restarts without re-registering', async () => {
    const b = await backend({ certificateLifetimeMs: 5_000 });
    const dir = await stateDir();
    const token = b.mintInstallToken({ serviceName: 'e2e-svc' });
    const agent = agentFor(b, { installToken: token, stateDir: dir, heartbeat: { intervalMs: 400 } });
    const first = await agent.start();
    expect(first.generation).toBe(1);
    expect(b.registrations).toBe(1);
    await nextEvent(agent, 'heartbeat');
    const record = b.agent(agent.status().agentId!);
    expect(record?.lastHeartbeat?.status).toBe('healthy');
    const generations: number[] = [];
    agent.on('renewed', (r) => generations.push(r.credentials.generation));
    await waitFor(() => generations.length >= 3, 25_000, 'three renewals');
    expect(generations.slice(0, 3)).toEqual([2, 3, 4]);
    expect(b.agent(agent.status().agentId!)?.renewals).toBeGreaterThanOrEqual(3);
    expect(agent.state === 'active' || agent.state === 'renewing').toBe(true);
    const last = agent.current();
    await agent.close();

    // Same stateDir, no token at all: the stored identity is used, nothing registers again.
    const again = agentFor(b, { stateDir: dir });
    const loaded = await again.start();
    expect(loaded.generation).toBeGreaterThanOrEqual(last.generation);
    expect(b.registrations).toBe(1);
    expect(again.status().agentId).toBe(agent.status().agentId);
  }, 45_000);

  it('refuses a token used before, with the same error a wrong token gets', async () => {
    const b = await backend({ tokenReuse: 'invalid' });
    const token = b.mintInstallToken({ serviceName: 'e2e-svc' });
    await agentFor(b, { installToken: token }).start();
    const second = agentFor(b, { installToken: token });
    const reused = await second.start().catch((e: unknown) => e);
    const wrong = await agentFor(b, { installToken: `${token.split('.')[0]}.wrong-secret` })
      .start()
      .catch((e: unknown) => e);
    expect(reused).toMatchObject({ code: 'ERR_MTLS_INSTALL_TOKEN_INVALID' });
    expect(wrong).toMatchObject({ code: 'ERR_MTLS_INSTALL_TOKEN_INVALID' });
    expect(second.state).toBe('idle');
    expect(b.registrations).toBe(1);
  });

  it('reports a token used by another key as ERR_MTLS_INSTALL_TOKEN_USED (409)', async () => {
    const b = await backend();
    const token = b.mintInstallToken({ serviceName: 'e2e-svc' });
    await agentFor(b, { installToken: token }).start();
    await expect(agentFor(b, { installToken: token }).start()).rejects.toMatchObject({
      code: 'ERR_MTLS_INSTALL_TOKEN_USED',
    });
  });

  it('stops when the backend revokes the identity', async () => {
    const b = await backend();
    const agent = agentFor(b, {
      installToken: b.mintInstallToken({ serviceName: 'e2e-svc' }),
      heartbeat: { intervalMs: 300 },
    });
    await agent.start();
    await nextEvent(agent, 'heartbeat');
    b.revoke(agent.status().agentId!);
    const revoked = await nextEvent(agent, 'revoked');
    expect(revoked.cause.code).toBe('ERR_MTLS_REVOKED');
    expect(agent.state).toBe('revoked');
    expect(agent.credentials()).toBeUndefined();
    expect(agent.status().nextHeartbeatAt).toBeUndefined();
  });

  it('honours 429 Retry-After on register', async () => {
    const b = await backend();
    b.faults.rateLimit('register', { times: 1, retryAfterMs: 1_000 });
    const agent = agentFor(b, { installToken: b.mintInstallToken({ serviceName: 'e2e-svc' }) });
    const failed = nextEvent(agent, 'enrollment-failed');
    const started = agent.start();
    const f = await failed;
    expect(f.cause.code).toBe('ERR_MTLS_RATE_LIMITED');
    expect(f.cause.details?.['retryAfterMs']).toBe(1_000);
    await started;
    const registers = b.requests.filter((r) => r.route === 'register');
    expect(registers.map((r) => r.status)).toEqual([429, 201]);
    expect(registers[1]!.at.getTime() - registers[0]!.at.getTime()).toBeGreaterThanOrEqual(950);
  });

  it('ends with exactly one registration when the register response is lost after commit', async () => {
    const b = await backend();
    b.faults.dropResponseAfterCommit('register');
    const agent = agentFor(b, { installToken: b.mintInstallToken({ serviceName: 'e2e-svc' }) });
    const failed = nextEvent(agent, 'enrollment-failed');
    const creds = await agent.start();
    expect((await failed).cause.code).toBe('ERR_MTLS_SERVER_UNAVAILABLE');
    expect(creds.generation).toBe(1);
    expect(b.registrations).toBe(1);
    expect(b.agents).toHaveLength(1);
  });

  it('refuses bad renew answers from the backend and keeps the current identity', async () => {
    const b = await backend();
    const agent = agentFor(b, { installToken: b.mintInstallToken({ serviceName: 'e2e-svc' }) });
    const first = await agent.start();
    for (const [kind, reason] of [
      ['wrong-key', 'key-mismatch'],
      ['foreign-ca', 'untrusted-chain'],
      ['expired', 'expired'],
    ] as const) {
      b.faults.nextRenew(kind);
      const err = await agent.renewNow().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_MTLS_INVALID_RESPONSE', details: { reason } });
      expect(agent.current()).toBe(first);
    }
  });
});
