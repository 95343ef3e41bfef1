import { allocationEnrollment, createAgent, MemoryStore } from '@mtlskit/agent';
import { parseCertificates } from '@mtlskit/core';
import { createTestBackend, type TestBackend } from '@mtlskit/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { startProtocolServer } from '../lib/protocol-server.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function backend(): Promise<TestBackend> {
  const b = await createTestBackend();
  open.push(b);
  return b;
}

function agent(b: { url: string; caPem: string }, enrollment: ReturnType<typeof allocationEnrollment>) {
  const a = createAgent({
    backendUrl: b.url,
    trustAnchors: b.caPem,
    serviceName: 'worker',
    store: new MemoryStore(),
    heartbeat: { enabled: false },
    enrollment,
  });
  open.push(a);
  return a;
}

describe('allocationEnrollment', () => {
  it('allocates a certificate whose CN carries the allocation token id, and renews by allocating again', async () => {
    const b = await backend();
    const token = b.mintAllocationToken({ owner: 'team-a', pools: ['gpu'] });
    const a = agent(b, allocationEnrollment({ poolName: 'gpu', namespace: 'ml', token }));
    const creds = await a.start();
    const id = token.split('.')[0]!;
    expect(parseCertificates(creds.certificateChainPem)[0]!.commonName).toBe(`alloc:${id}`);
    expect(b.allocations[0]).toMatchObject({ route: 'allocate', poolName: 'gpu', namespace: 'ml' });
    const renewed = await a.renewNow();
    expect(renewed.generation).toBe(2);
    expect(b.allocations).toHaveLength(2);
  });

  it("says clearly when the certificate's CN does not carry the token (the plain /api/v1/cert endpoint)", async () => {
    // A backend whose answer at the configured path carries the caller's identity, not the token.
    const token = 'tokid.allocation-secret';
    const b = await startProtocolServer({ allocationTokens: { [token]: 'team-a' } });
    open.push(b);
    const a = agent(b, allocationEnrollment({ poolName: 'gpu', token, path: '/api/v1/cert' }));
    const err = await a.start().catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'ERR_MTLS_ALLOCATION_CN_MISMATCH',
      details: { commonName: 'team-a', endpoint: '/api/v1/cert' },
    });
    expect(String((err as Error).message)).toContain('/api/v1/worker/allocate');
    expect(String((err as Error).message)).not.toContain(token);
  });

  it("endpoint 'cert' uses {pools} and accepts the caller's identity as CN", async () => {
    const b = await backend();
    const token = b.mintAllocationToken({ owner: 'team-b' });
    const a = agent(b, allocationEnrollment({ poolName: 'cpu', token, endpoint: 'cert' }));
    const creds = await a.start();
    expect(parseCertificates(creds.certificateChainPem)[0]!.commonName).toBe('team-b');
    expect(b.allocations[0]).toMatchObject({ route: 'cert', pools: ['cpu'] });
  });

  it('maps a refused bearer token and validates options', async () => {
    const s = await startProtocolServer({ allocationTokens: { 'good.token-secret': 'x' } });
    open.push(s);
    await expect(
      agent(s, allocationEnrollment({ poolName: 'p', token: 'bad.token-secret' })).start(),
    ).rejects.toMatchObject({
      code: 'ERR_MTLS_ALLOCATION_TOKEN_INVALID',
    });
    expect(() => allocationEnrollment({ poolName: '', token: 'x' })).toThrow(
      expect.objectContaining({ code: 'ERR_MTLS_INVALID_ARGUMENT' }),
    );
    expect(() => allocationEnrollment({ poolName: 'p' })).toThrow(
      expect.objectContaining({ code: 'ERR_MTLS_INVALID_ARGUMENT' }),
    );
    // The independent server works too.
    const ok = agent(s, allocationEnrollment({ poolName: 'p', token: 'good.token-secret' }));
    expect((await ok.start()).generation).toBe(1);
  });
});
